"""The dataset card: a README.md beside the exported files (Hugging Face dataset-card layout).

The YAML header lists the data files per split, so `datasets.load_dataset(<export folder>)` finds them.
The body states the source project, counts (kept and excluded, by reason), agreement figures the caller
passed in, how many trainers' judgments went in, the filters, the lineage, the pipeline history (each step of
the dataset versions the records came from), the sources' licences, the columns and how to load the data for
its TRL trainer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assay.domain.annotations import ExportSource
from assay.exporters.table import ExportTable


def _value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, dict, tuple)):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def render_card(source: ExportSource, table: ExportTable, files: Mapping[str, Path],
                split_counts: Mapping[str, int], file_format: str,
                agreement: Mapping[str, Any] | None = None, test_fraction: float = 0.0,
                created: datetime | None = None) -> str:
    """The card's markdown. `files` maps split → file (only names are written); `agreement` is shown as
    given (e.g. {"krippendorff_alpha": 0.61}); `created` defaults to now (UTC)."""
    when = (created or datetime.now(UTC)).isoformat(timespec="seconds")
    builder = "parquet" if file_format == "parquet" else "json"
    lines = ["---", "configs:", "- config_name: default", "  data_files:"]
    for split, path in files.items():
        lines += [f"  - split: {split}", f"    path: {path.name}"]
    lines += ["tags:", "- assay", f"- {table.format}", "---", "",
              f"# {source.project} — {table.format} export", "",
              f"Made by Assay from the project **{source.project}** on {when}.", "",
              f"Trainer: {table.trainer}.", "", "## Counts", "", "| what | count |", "|---|---|"]
    for k, v in table.counts.items():
        lines.append(f"| {k.replace('_', ' ')} | {v} |")
    for split, n in split_counts.items():
        lines.append(f"| rows in {split} | {n} |")
    lines.append(f"| trainers whose judgments went in | {len(table.annotators)} |")
    if source.k:
        lines.append(f"| annotators per record (k) | {source.k} |")
    if source.export_id:
        lines.append(f"| export id (every row's `lineage.export_id`) | {source.export_id} |")
    if table.warnings:
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in table.warnings]
    lines += ["", "## Agreement", ""]
    if agreement:
        lines += ["| measure | value |", "|---|---|"]
        lines += [f"| {k} | {_value(v)} |" for k, v in agreement.items()]
    else:
        lines.append("No agreement figures were given for this export.")
    lines += ["", "## Filters and options", "", "| option | value |", "|---|---|"]
    lines += [f"| {k} | {_value(v)} |" for k, v in table.options.items()]
    lines.append(f"| test_fraction | {_value(test_fraction)} (split by a hash of the prompt) |")
    lines += ["", "## Lineage", ""]
    if source.lineage:
        lines += [x if x.startswith("  - ") else f"- {x}" for x in source.lineage]  # "  - …": a sub-item
    else:
        lines.append(f"- project {source.project} ({len(source.items)} records)")
    lines += ["", "## Pipeline history", ""]
    if source.history:
        lines += ["| version | step | rows in | kept | dropped (reason: n) |", "|---|---|---|---|---|"] + source.history
    else:
        lines.append("No pipeline made these records: they were imported into the project as they are.")
    lines += ["", "## Sources and licences", ""]
    if source.licenses:
        lines += [f"- {x}" for x in source.licenses]
    else:
        lines.append("No licence was recorded for the sources; check each upstream data set's terms before sharing "
                     "(`assay data import --license` or `assay records import --license` records one).")
    lines += ["", "## Columns", "", "| column | meaning |", "|---|---|"]
    lines += [f"| `{k}` | {v} |" for k, v in table.columns.items()]
    snippet = table.snippet
    if builder == "json":
        snippet = snippet.replace('load_dataset("parquet", data_files={"train": "train.parquet"})',
                                  'load_dataset("json", data_files={"train": "train.jsonl"})')
    lines += ["", "## Loading", "", "```python", snippet, "```", ""]
    return "\n".join(lines)
