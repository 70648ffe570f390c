"""Writing export rows: a train/test split by prompt hash, JSONL and Parquet files.

Parquet files use the exporter's explicit Arrow schema, so message columns are real
`list<struct<role, content>>` columns and `datasets.load_dataset("parquet", ...)` gives TRL-ready lists of
dicts (never JSON strings). JSONL files hold the same rows, one JSON object a line, UTF-8.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from assay.errors import Invalid
from assay.exporters.table import ExportTable, prompt_key

FILE_FORMATS = ("jsonl", "parquet", "json")


def holdout_share(prompt: list[dict[str, str]], salt: str = "") -> float:
    """A stable number in [0, 1) from the prompt's text: rows with the same prompt get the same number."""
    digest = hashlib.sha256((salt + "\x00" + prompt_key(prompt)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_rows(table: ExportTable, test_fraction: float = 0.0, salt: str = "") -> dict[str, list[dict[str, Any]]]:
    """Rows by split: {'train': ...} alone, or with 'test' holding rows whose prompt hashes below the fraction.

    The same prompt never lands on both sides, across exporters and reruns with the same salt.
    Raises Invalid when `test_fraction` is outside [0, 1).
    """
    if not 0.0 <= test_fraction < 1.0:
        raise Invalid(f"test_fraction {test_fraction} must be at least 0 and below 1 (e.g. 0.1)")
    if test_fraction == 0.0:
        return {"train": list(table.rows)}
    out: dict[str, list[dict[str, Any]]] = {"train": [], "test": []}
    for row in table.rows:
        side = "test" if holdout_share(table.prompt_of(row), salt) < test_fraction else "train"
        out[side].append(row)
    return out


def write_jsonl(rows: list[dict[str, Any]], path: Path) -> Path:
    """Write rows as JSON lines (UTF-8, non-ASCII kept). Returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, default=str))
            f.write("\n")
    return path


def write_parquet(rows: list[dict[str, Any]], schema: pa.Schema, path: Path) -> Path:
    """Write rows as one Parquet file with `schema` (nested columns stay nested). Returns the path.

    Raises Invalid when a row does not fit the schema (a bug in an exporter, named in the message).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        table = pa.Table.from_pylist(rows, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise Invalid(f"export rows do not fit their Parquet schema ({e}); please report this as a bug")
    pq.write_table(table, path)
    return path


def write_json(rows: list[dict[str, Any]], path: Path) -> Path:
    """Write rows as one JSON array (UTF-8, non-ASCII kept; what Label Studio imports). Returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        json.dump(rows, f, ensure_ascii=False, default=str)
        f.write("\n")
    return path


def write_rows(rows: list[dict[str, Any]], schema: pa.Schema, path: Path, file_format: str) -> Path:
    """Write rows to `path` as 'jsonl', 'parquet' or 'json' (one array). Raises Invalid for another format."""
    if file_format == "jsonl":
        return write_jsonl(rows, path)
    if file_format == "json":
        return write_json(rows, path)
    if file_format == "parquet":
        return write_parquet(rows, schema, path)
    raise Invalid(f"file format {file_format!r} is unknown; use one of {', '.join(FILE_FORMATS)}")
