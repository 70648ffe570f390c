"""`read_records` / `load_records`: any supported file to `Record`s, with format sniffing.

Formats are named in FORMATS. "auto" looks at the keys of the first row (see `sniff`). Every record gets
`source` ("file.jsonl:17") and a stable `external_id` (the source's id field, else a content hash).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from assay.domain.records import Record
from assay.errors import Invalid
from assay.formats.chat import from_assay, from_openai, from_prompt_response, from_sharegpt
from assay.formats.checks import Options, ReadStats, Where
from assay.formats.code import from_humaneval, from_mbpp
from assay.formats.code_x import from_humaneval_x, looks_like_humaneval_x
from assay.formats.expected import take_expected
from assay.formats.hh import DIVERGENCE_MODES, from_hh
from assay.formats.judgments import from_llmbar, from_pandalm, from_tulu
from assay.formats.label_studio import from_task as from_label_studio
from assay.formats.label_studio import looks_like_task
from assay.formats.oasst import best_path_record, from_oasst_tree
from assay.formats.rows import DEFAULT_MAX_LINE_BYTES, Row, iter_rows
from assay.formats.shp import from_shp, looks_like_shp
from assay.formats.ultrafeedback import from_ultrafeedback, looks_like_binarized, looks_like_raw

RowFn = Callable[[Where, dict[str, Any], Options], "Record | Iterable[Record] | None"]
GroupFn = Callable[[Iterator[Row], Options], Iterator[Record]]

ROW_FORMATS: dict[str, RowFn] = {
    "assay": from_assay,
    "hh": from_hh,
    "openai": from_openai,
    "sharegpt": from_sharegpt,
    "prompt_response": from_prompt_response,
    "oasst": from_oasst_tree,
    "humaneval": from_humaneval,
    "humaneval_x": from_humaneval_x,
    "mbpp": from_mbpp,
    "pandalm": from_pandalm,
    "llmbar": from_llmbar,
    "ultrafeedback": from_ultrafeedback,
    "shp": from_shp,
    "label_studio": from_label_studio,
}
GROUP_FORMATS: dict[str, GroupFn] = {"tulu": from_tulu}
FORMATS = ("auto", *ROW_FORMATS, *GROUP_FORMATS)
ANSWER_KEYS = ("response", "completion", "chosen", "rejected")


def sniff(row: dict[str, Any], where: Where) -> str:
    """The format of a row from its keys. Raises Invalid naming the keys when none fits."""
    keys = set(row)
    chosen = row.get("chosen")
    if (
        {"chosen", "rejected"} <= keys
        and isinstance(chosen, str)
        and "prompt" not in keys
        and chosen.lstrip("\n").startswith("Human:")
    ):
        return "hh"
    if looks_like_task(row):
        return "label_studio"
    if "message_tree_id" in keys and isinstance(row.get("prompt"), dict):
        return "oasst"
    if looks_like_humaneval_x(row):
        return "humaneval_x"
    if {"task_id", "prompt", "canonical_solution", "test"} <= keys:
        return "humaneval"
    if {"task_id", "test_list", "code"} <= keys:
        return "mbpp"
    if {"response1", "response2"} <= keys and any(k.startswith("annotator") for k in keys):
        return "pandalm"
    if {"completion_a", "completion_b", "preference", "evaluator"} <= keys:
        return "tulu"
    if {"input", "output_1", "output_2", "label"} <= keys:
        return "llmbar"
    if looks_like_raw(row) or looks_like_binarized(row):
        return "ultrafeedback"
    if looks_like_shp(row):
        return "shp"
    if keys & {"completions", "code"}:
        return "assay"
    if "messages" in keys:
        return "openai"
    if "conversations" in keys:
        return "sharegpt"
    if keys & set(ANSWER_KEYS) or (keys & {"question", "instruction"} and keys & {"answer", "output"}):
        return "prompt_response"
    if "prompt" in keys:
        return "assay"
    raise where.invalid(
        f"cannot tell the format from the keys {', '.join(sorted(keys)) or '(none)'}; "
        f"pass fmt= one of {', '.join(FORMATS[1:])}"
    )


def _counted(rows: Iterator[Row], stats: ReadStats) -> Iterator[Row]:
    for row in rows:
        stats.rows += 1
        yield row


def read_records(
    path: str | Path,
    fmt: str = "auto",
    *,
    on_divergence: str = "keep",
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    with_reference_as_completion: bool = False,
    stats: ReadStats | None = None,
) -> Iterator[Record]:
    """Stream the records of one file (JSONL, JSON array, CSV or Parquet; gzip is detected).

    `fmt` is one of FORMATS; "auto" sniffs the first row's keys. `on_divergence` ("keep", "skip",
    "error") governs HH pairs whose transcripts differ before the last turn. `max_line_bytes` caps one
    JSONL line (or CSV cell). `with_reference_as_completion` adds code tasks' reference solutions as a
    completion. Pass a `ReadStats` to learn rows read, records yielded and what was skipped or merged.

    Raises Invalid at once for an unknown format or option or a missing file; while iterating, on the
    first bad row (details: file, line, unit, field, reason) and when the file gives no records.
    Records before a bad row have already been yielded: use `load_records` for all-or-nothing.
    """
    p = Path(path)
    if fmt not in FORMATS and fmt.replace("-", "_") in FORMATS:  # humaneval-x, label-studio as on the CLI
        fmt = fmt.replace("-", "_")
    if fmt not in FORMATS:
        raise Invalid(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if on_divergence not in DIVERGENCE_MODES:
        raise Invalid(f"on_divergence must be one of {', '.join(DIVERGENCE_MODES)}, not {on_divergence!r}")
    if max_line_bytes < 1:
        raise Invalid(f"max_line_bytes must be a positive number of bytes, not {max_line_bytes!r}")
    if not p.is_file():
        raise Invalid(
            f"{p}: no such file; check the path",
            details={"file": str(p), "line": 0, "reason": "no such file"},
        )
    opts = Options(
        on_divergence=on_divergence,
        with_reference_as_completion=with_reference_as_completion,
        stats=stats if stats is not None else ReadStats(),
    )
    return _read(p, fmt, max_line_bytes, opts)


def _read(p: Path, fmt: str, max_line_bytes: int, opts: Options) -> Iterator[Record]:
    rows = iter_rows(p, max_line_bytes)
    first = next(rows, None)
    if first is None:
        raise Where(str(p), "line", 0).invalid("no records: the file is empty")
    if fmt == "auto":
        fmt = sniff(first[1], first[0])
    all_rows = itertools.chain([first], rows)
    produced = 0
    for record in _convert(fmt, all_rows, opts):
        produced += 1
        opts.stats.records += 1
        yield record
    if produced == 0:
        skipped = ", ".join(f"{k}={v}" for k, v in sorted(opts.stats.counts.items()) if v) or "none"
        raise Where(str(p), "line", 0).invalid(
            f"no records: {opts.stats.rows} row(s) read as {fmt} gave none (skipped: {skipped})"
        )


def _convert(fmt: str, rows: Iterator[Row], opts: Options) -> Iterator[Record]:
    if fmt in GROUP_FORMATS:
        yield from GROUP_FORMATS[fmt](rows, opts)
        return
    convert = ROW_FORMATS[fmt]
    for where, row in _counted(rows, opts.stats):
        out = convert(where, row, opts)
        if out is None:
            continue
        if isinstance(out, Record):
            yield take_expected(out, row, where)  # a `gold` / `expected` field makes it gold (formats/expected.py)
        else:
            yield from out


def load_records(path: str | Path, fmt: str = "auto", **kw: Any) -> list[Record]:
    """Read every record first, so a bad row anywhere raises before the caller writes anything.
    Takes the same keyword options as `read_records`."""
    return list(read_records(path, fmt, **kw))


def oasst_best_paths(
    path: str | Path, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, stats: ReadStats | None = None
) -> Iterator[Record]:
    """One SFT record per OpenAssistant tree: the best reply (rank 0) at every step; the last assistant
    turn is the completion. Trees without a live assistant reply are skipped (`oasst_no_reply_skipped`)."""
    p = Path(path)
    if not p.is_file():
        raise Invalid(f"{p}: no such file; check the path", details={"file": str(p), "line": 0})
    opts = Options(stats=stats if stats is not None else ReadStats())
    produced = 0
    for where, row in _counted(iter_rows(p, max_line_bytes), opts.stats):
        record = best_path_record(where, row, opts)
        if record is None:
            opts.stats.add("oasst_no_reply_skipped")
            continue
        produced += 1
        opts.stats.records += 1
        yield record
    if produced == 0:
        raise Where(str(p), "line", 0).invalid("no records: no tree has an assistant reply")
