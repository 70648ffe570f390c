"""Dataset versions: immutable Parquet files plus a manifest, in a dataset store (pure; no database)."""
