"""Write Assay exports of real data for the TRL check: OpenAssistant trees as ranked records.

    UV_PYTHON_DOWNLOADS=never uv run python bench/trl_load/make_exports.py /tmp/assay-trl-exports

Each message of ../shared/data/oasst-en-100-trees with two or more ranked replies becomes a record (the
path to it as the conversation, the ranked replies as completions) with one ranking annotation, in a
project with that one ranking question: DPO, reward (explicit and implicit), KTO and SFT exports all come
from the OpenAssistant rankings. Prints rows per export and the seconds each took.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from assay.domain.annotations import AnnotationView, ExportSource, JudgedRecord
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.exporters import export

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "oasst-en-100-trees" / "en_100_tree.jsonl"
ROLE = {"prompter": "user", "assistant": "assistant"}
EXPORTS: dict[str, tuple[str, dict[str, Any]]] = {
    "dpo": ("dpo", {"mode": "all_pairs"}),
    "reward": ("reward", {"form": "explicit"}),
    "reward_implicit": ("reward", {"form": "implicit"}),
    "kto": ("kto", {}),
    "sft": ("sft", {}),
}


def oasst_source(path: Path = DATA) -> ExportSource:
    """The OpenAssistant trees as an ExportSource with one ranking question."""
    items: list[JudgedRecord] = []

    def walk(node: dict[str, Any], history: list[Message]) -> None:
        convo = history + [Message(ROLE[node["role"]], node["text"])]
        ranked = [r for r in node.get("replies", []) if r.get("rank") is not None and not r.get("deleted")]
        if len(ranked) >= 2:
            ranks = [int(r["rank"]) for r in ranked]
            groups = [[i for i, g in enumerate(ranks) if g == level] for level in sorted(set(ranks))]
            rec = Record(node["message_id"], convo,
                         [Completion(r["text"], r.get("model_name") or "human") for r in ranked])
            items.append(JudgedRecord(len(items) + 1, rec, [AnnotationView("oasst", {"rank": {"order": groups}})]))
        for r in node.get("replies", []):
            walk(r, convo)

    with path.open(encoding="utf-8") as f:
        for line in f:
            walk(json.loads(line)["prompt"], [])
    return ExportSource("oasst-en-100", [Question("rank", "ranking")], items,
                        lineage=[f"OpenAssistant trees {path.name}"])


def main(out: Path) -> dict[str, int]:
    """Write every export as Parquet under `out/<name>/`; returns rows per export."""
    source = oasst_source()
    rows: dict[str, int] = {}
    for name, (fmt, options) in EXPORTS.items():
        t0 = time.perf_counter()
        result = export(source, fmt, out / name, file_format="parquet", **options)
        rows[name] = result.rows
        print(f"{name:16s} {result.rows:5d} rows  {time.perf_counter() - t0:.3f} s  -> {result.paths['train']}")
    return rows


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/assay-trl-exports")
    main(target)
    print(f"reproduce: UV_PYTHON_DOWNLOADS=never uv run python bench/trl_load/make_exports.py {target}")
