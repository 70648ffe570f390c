"""The export entry point: pick a format by name, build its rows, write files and the dataset card.

    result = export(source, "dpo", out_dir, file_format="parquet", test_fraction=0.1, min_agreement=0.6)

writes `out_dir/train.parquet` (and `test.parquet` when `test_fraction` > 0) plus `out_dir/README.md`.
Options other than `file_format`, `agreement`, `test_fraction` and `split_salt` go to the format's
builder (`dpo_rows`, `sft_rows`, `reward_rows`, `kto_rows`, `raw_rows`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from assay.domain.annotations import ExportSource
from assay.errors import Invalid
from assay.exporters.card import render_card
from assay.exporters.dpo import dpo_rows
from assay.exporters.kto import kto_rows
from assay.exporters.label_studio import label_studio_rows
from assay.exporters.raw import raw_rows
from assay.exporters.reward import reward_rows
from assay.exporters.sft import sft_rows
from assay.exporters.table import ExportTable
from assay.exporters.writers import FILE_FORMATS, split_rows, write_rows

Builder = Callable[..., ExportTable]

EXPORTERS: dict[str, Builder] = {
    "dpo": dpo_rows,
    "sft": sft_rows,
    "reward": reward_rows,
    "kto": kto_rows,
    "raw": raw_rows,
    "label-studio": label_studio_rows,
}
#: Formats written in one file format whatever the caller asks (Label Studio imports a JSON array only).
FIXED_FILE_FORMAT: dict[str, str] = {"label-studio": "json"}


@dataclass
class ExportResult:
    """What an export wrote: `paths` by split ('train', 'test'), total `rows`, the card, and the counts."""

    paths: dict[str, Path]
    rows: int
    card_path: Path
    counts: dict[str, int]
    format: str
    file_format: str
    warnings: list[str] = field(default_factory=list)


def build(source: ExportSource, fmt: str, **options: Any) -> ExportTable:
    """The rows of format `fmt` without writing anything.

    Raises Invalid for an unknown format or an option the format does not take (naming those it does).
    """
    if fmt not in EXPORTERS:
        raise Invalid(f"export format {fmt!r} is unknown; use one of {', '.join(EXPORTERS)}")
    builder = EXPORTERS[fmt]
    accepted = [p for p in inspect.signature(builder).parameters if p != "source"]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise Invalid(f"the {fmt} export takes no option {', '.join(unknown)}; it takes: {', '.join(accepted)}")
    return builder(source, **options)


def export(source: ExportSource, fmt: str, out_dir: str | Path, file_format: str = "jsonl", *,
           agreement: Mapping[str, Any] | None = None, test_fraction: float = 0.0, split_salt: str = "",
           created: datetime | None = None, **options: Any) -> ExportResult:
    """Build format `fmt` from `source` and write it to `out_dir` with its dataset card (README.md).

    `agreement` (figures computed by the caller, e.g. by assay.quality) is printed in the card;
    `test_fraction` > 0 adds a test split chosen by a hash of the prompt (salted by `split_salt`).
    Existing files of the same names are overwritten. Raises Invalid for unknown formats, file formats
    or options, and whatever the format's builder raises.
    """
    if file_format not in FILE_FORMATS:
        raise Invalid(f"file format {file_format!r} is unknown; use one of {', '.join(FILE_FORMATS)}")
    file_format = FIXED_FILE_FORMAT.get(fmt, file_format)
    table = build(source, fmt, **options)
    splits = split_rows(table, test_fraction, split_salt)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: write_rows(rows, table.schema, out / f"{name}.{file_format}", file_format)
             for name, rows in splits.items()}
    card = render_card(source, table, paths, {k: len(v) for k, v in splits.items()}, file_format,
                       agreement=agreement, test_fraction=test_fraction, created=created)
    card_path = out / "README.md"
    card_path.write_text(card, encoding="utf-8")
    counts = dict(table.counts)
    counts.update({f"rows_{k}": len(v) for k, v in splits.items()})
    counts["trainers"] = len(table.annotators)
    return ExportResult(paths=paths, rows=len(table.rows), card_path=card_path, counts=counts, format=fmt,
                        file_format=file_format, warnings=list(table.warnings))
