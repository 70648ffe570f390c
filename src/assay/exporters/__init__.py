"""Training formats made from judged records (pure: no database, no web).

Input is always an `assay.domain.annotations.ExportSource`. Each format has a builder returning an
`ExportTable` (rows + schema + counts); `export()` writes JSONL or Parquet plus a dataset card:

    from assay.exporters import export
    result = export(source, "dpo", "out/dpo", file_format="parquet", min_agreement=0.6)

Formats: dpo (`dpo_rows`), sft (`sft_rows`), reward (`reward_rows`), kto (`kto_rows`), raw (`raw_rows`).
See docs/exports.md for every rule and option.
"""

from assay.exporters.registry import EXPORTERS, ExportResult, build, export
from assay.exporters.table import ExportTable

__all__ = ["EXPORTERS", "ExportResult", "ExportTable", "build", "export"]
