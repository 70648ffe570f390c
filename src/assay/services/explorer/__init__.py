"""The dataset explorer: browsing, search, statistics, lineage and its per-version cache."""
