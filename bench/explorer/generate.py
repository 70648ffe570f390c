"""Generate a large dataset version for the explorer benchmark (outside the repository).

Records are stitched from real sentences (GSM8K train, HH harmless-base, PandaLM) so word frequencies and
lengths look like chat data: 1-3 user/assistant turns, two completions of 3-12 sentences, metadata with a
model and a language, and the attribute columns a cleaning pipeline adds (language, PII, quality,
near-dedup cluster). 5% of records carry pulled `judgments` (3 annotators, a pairwise choice and labels).
Twenty records carry the rare word `zyxquartz`, for the "rare term" search. About 3% of records gain one
sentence from EXTRA (accents, CJK, Cyrillic, curly quotes, `e-mail`, `don't`) from a second random stream,
so the phrase, punctuation and non-ASCII searches of the bench have hits and the main stream is unchanged.

    uv run python bench/explorer/generate.py --rows 1000000 --store /work/bench-data/explorer/store
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from assay.datasets import DatasetStore
from assay.datasets.schema import CODE_TYPE, COMPLETION_TYPE, MESSAGE_TYPE

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
MODELS = ["llama-3-8b", "qwen2-7b", "mistral-7b", "gpt-4o-mini", "gemma-2-9b"]
LANGS = ["en"] * 17 + ["de", "fr", "es"]
LABELS = ["safe", "unsafe", "harmful", "off_topic"]
EXTRA = ["Please send me an e-mail with the café menu.", "Ich möchte über die Straße gehen, sagte Jürgen.",
         "Don't forget: the naïve façade costs 5 €.", "東京で会いましょう。", "Привет, как дела?",
         "He said “don’t” and left — E-Mail him at bob@example.com.", "Señor Muñoz answered the e-mail.",
         "We don't know how do-it-yourself kits work."]


def sentences() -> list[str]:
    """Real sentences from the shared data (about 60k)."""
    texts: list[str] = []
    for line in (DATA / "gsm8k" / "train.jsonl").read_text().splitlines():
        r = json.loads(line)
        texts += [r["question"], r["answer"]]
    with gzip.open(DATA / "hh-rlhf-harmless-base" / "test.jsonl.gz", "rt") as f:
        for line in f:
            r = json.loads(line)
            texts += re.split(r"\n\n(?:Human|Assistant): ", r["chosen"])
    out = [s.strip() for t in texts for s in re.split(r"(?<=[.?!])\s+", t) if 8 < len(s.strip()) < 400]
    return out


def chunk(rng: np.random.Generator, sents: list[str], start: int, n: int) -> pa.Table:
    S = len(sents)
    extra = np.random.default_rng(start + 1)
    ids, srcs, msgs, comps, metas = [], [], [], [], []
    langs, lscore, pii, cluster, words = [], [], [], [], []
    for k in range(n):
        i = start + k
        turns = int(rng.integers(1, 4))
        conv = []
        for t in range(turns):
            conv.append({"role": "user", "content": " ".join(sents[j] for j in rng.integers(0, S, rng.integers(1, 5))),
                         "tool_calls": None})
            if t < turns - 1:
                conv.append({"role": "assistant",
                             "content": " ".join(sents[j] for j in rng.integers(0, S, rng.integers(2, 8))),
                             "tool_calls": None})
        if i % 50_000 == 7:
            conv[0]["content"] += " zyxquartz"
        if extra.random() < 0.03:
            conv[-1]["content"] += " " + EXTRA[int(extra.integers(0, len(EXTRA)))]
        models = rng.choice(len(MODELS), 2, replace=False)
        cs = []
        for m in models:
            text = " ".join(sents[j] for j in rng.integers(0, S, rng.integers(3, 13)))
            if rng.random() < 0.05:
                text += "\n\n```python\ndef f(x):\n    return x * 2\n```"
            cs.append({"model": MODELS[m], "text": text, "metadata": "{}"})
        lang = LANGS[int(rng.integers(0, len(LANGS)))]
        meta: dict[str, object] = {"model": MODELS[models[0]], "lang": lang, "split": "train"}
        if rng.random() < 0.05:
            meta["judgments"] = [{"annotator": f"ann{a}", "answers": {
                "pref": {"choice": "a" if rng.random() < 0.7 else "b", "strength": 2},
                "safety": {"labels": [LABELS[int(rng.integers(0, 4))]]}}} for a in range(3)]
        ids.append(f"r{i:07d}")
        srcs.append(f"synthetic.jsonl:{i + 1}")
        msgs.append(conv)
        comps.append(cs)
        metas.append(json.dumps(meta, sort_keys=True, separators=(",", ":")))
        langs.append(lang)
        lscore.append(round(float(rng.uniform(0.5, 1.0)), 3))
        pii.append(int(rng.random() < 0.02))
        c = int(rng.integers(0, n // 3 + 1)) + start if rng.random() < 0.1 else None
        cluster.append(None if c is None else f"r{c:07d}")
        words.append(sum(len(c["text"].split()) for c in cs))
    return pa.table({
        "id": pa.array(ids), "source": pa.array(srcs), "messages": pa.array(msgs, pa.list_(MESSAGE_TYPE)),
        "completions": pa.array(comps, pa.list_(COMPLETION_TYPE)), "metadata": pa.array(metas),
        "code": pa.nulls(n, CODE_TYPE),
        "language__lang": pa.array(langs), "language__score": pa.array(lscore, pa.float64()),
        # the attribute columns the real steps write: pii (count, kinds), near_dedup (cluster = kept id)
        "pii__count": pa.array(pii, pa.int32()),
        "pii__kinds": pa.array([["email"] if p else [] for p in pii], pa.list_(pa.string())),
        "near_dedup__near_dup_cluster": pa.array(cluster, pa.string()),
        "quality__words": pa.array(words, pa.int64()),
    })


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--chunk", type=int, default=100_000)
    ap.add_argument("--store", default="/work/bench-data/explorer/store")
    ap.add_argument("--name", default="big")
    a = ap.parse_args()
    t0 = time.time()
    sents = sentences()
    rng = np.random.default_rng(0)
    store = DatasetStore(a.store)
    base = store.write_version(f"{a.name}-raw", [chunk(rng, sents, 0, 1000).select(
        ["id", "source", "messages", "completions", "metadata", "code"])], note="a small raw parent")

    def parts():  # type: ignore[no-untyped-def]
        for s in range(0, a.rows, a.chunk):
            print(f"  rows {s:,}..{min(a.rows, s + a.chunk):,} ({time.time() - t0:.0f} s)", flush=True)
            yield chunk(rng, sents, s, min(a.chunk, a.rows - s))

    m = store.write_version(a.name, parts(), parents=[base.ref], pipeline={"generated": "bench/explorer"},
                            steps=[{"id": "language", "step": "language", "rows_in": a.rows, "kept": a.rows,
                                    "dropped": {}, "would_drop": {}, "counters": {}}])
    print(f"{m.ref}: {m.row_count:,} rows in {time.time() - t0:.0f} s; {len(sents):,} source sentences")


if __name__ == "__main__":
    main()
