"""Make tests/fixtures/argilla/ with the Argilla 2.x SDK's own export code (no Argilla server).

`Dataset.to_disk` and `Dataset.to_hub` need records fetched from a server (Argilla's server needs
Elasticsearch, which this machine cannot run), so this script builds the records locally with the SDK
(`rg.Record`, `rg.Response`, `rg.Suggestion`) and calls the very functions those two methods call to write
them:

- to_disk layout (`argilla/datasets/_io/_disk.py`): `JsonIO.to_json(records, "records.json")`,
  `settings.to_json(".argilla/settings.json")`, `json.dump(dataset.api_model().model_dump())` to
  `.argilla/dataset.json`;
- to_hub layout (`argilla/datasets/_io/_hub.py`): `HFDatasetsIO.to_datasets(records, dataset)` written as
  `data/train-00000-of-00001.parquet` (what `push_to_hub` uploads) plus the same `.argilla/` files.

The SDK's client checks its server at start-up (`GET /api/v1/me`, `/api/v1/me/workspaces`): an
`httpx.MockTransport` answers those two calls and refuses every other one, so nothing else is faked.

Run with the SDK's own venv (the HH pairs are read from the shared data folder, first short ones):

    uv venv --python 3.11 ~/.cache/assay-peers/argilla
    uv pip install --python ~/.cache/assay-peers/argilla/bin/python argilla==2.8.0 requests
    ~/.cache/assay-peers/argilla/bin/python scripts/argilla_fixture.py --pairs 6
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import argilla as rg
import httpx
from argilla.records._io import HFDatasetsIO, JsonIO

WORKSPACE = "3f2d0c4e-8a51-4b1e-9f6a-0c1d2e3f4a5b"
USERS = (uuid.UUID("7a1c2b3d-0000-4000-8000-000000000001"), uuid.UUID("7a1c2b3d-0000-4000-8000-000000000002"))
STAMP = "2026-12-07T00:00:00"


def offline_client() -> rg.Argilla:
    me = {"id": str(USERS[0]), "username": "owner", "role": "owner", "first_name": "Owner", "last_name": None,
          "inserted_at": STAMP, "updated_at": STAMP, "api_key": "offline"}

    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.path == "/api/v1/me":
            return httpx.Response(200, json=me)
        if req.url.path == "/api/v1/me/workspaces":
            return httpx.Response(200, json={"items": [{"id": WORKSPACE, "name": "argilla", "inserted_at": STAMP,
                                                        "updated_at": STAMP}]})
        raise RuntimeError(f"this script runs without an Argilla server; the SDK asked for {req.url}")

    return rg.Argilla(api_url="http://argilla.invalid", api_key="offline",
                      mounts={"http://argilla.invalid": httpx.MockTransport(handler)})


def hh_pairs(path: Path, n: int) -> list[dict[str, str]]:
    """The n shortest single-turn pairs of the first 300 lines: prompt, chosen reply, rejected reply."""
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= 300:
                break
            row = json.loads(line)
            parts = []
            for side in ("chosen", "rejected"):
                head, _, reply = row[side].rpartition("\n\nAssistant:")
                parts.append((head, reply.strip()))
            (h1, chosen), (h2, rejected) = parts
            if h1 != h2 or h1.count("\n\nHuman:") != 1:
                continue
            out.append({"prompt": h1.replace("\n\nHuman:", "").strip(), "chosen": chosen, "rejected": rejected})
    out.sort(key=lambda p: (len(p["prompt"]) + len(p["chosen"]) + len(p["rejected"]), p["prompt"]))
    return out[:n]


def settings() -> rg.Settings:
    return rg.Settings(
        guidelines="Compare the two replies to the prompt.",
        fields=[rg.TextField(name="prompt"), rg.TextField(name="response_a"), rg.TextField(name="response_b")],
        questions=[
            rg.LabelQuestion(name="safety", labels=["safe", "unsafe"]),
            rg.MultiLabelQuestion(name="flags", labels=["harmful", "evasive", "off_topic"], required=False),
            rg.RatingQuestion(name="helpfulness", values=[1, 2, 3, 4, 5]),
            rg.TextQuestion(name="rationale", required=False),
            rg.RankingQuestion(name="ranking", values=["response_a", "response_b"]),
            rg.SpanQuestion(name="spans", field="response_a", labels=["harmful", "evasive"], required=False),
        ],
    )


def records(pairs: list[dict[str, str]]) -> list[rg.Record]:
    out = []
    for i, p in enumerate(pairs):
        a, b = (p["chosen"], p["rejected"]) if i % 2 == 0 else (p["rejected"], p["chosen"])
        better_a = a == p["chosen"]
        responses = []
        for u, user in enumerate(USERS):
            if u == 1 and i == len(pairs) - 1:
                break  # the last record has one annotator only
            status = "draft" if (u == 1 and i == 1) else ("discarded" if (u == 1 and i == 2) else "submitted")
            agree = better_a if u == 0 else (better_a if i % 3 else not better_a)
            order = ["response_a", "response_b"] if agree else ["response_b", "response_a"]
            responses += [
                rg.Response("safety", "safe" if i % 4 else "unsafe", user_id=user, status=status),
                rg.Response("helpfulness", 4 if agree else 2, user_id=user, status=status),
                rg.Response("ranking", order, user_id=user, status=status),
                rg.Response("rationale", f"{'A' if agree else 'B'} answers the request.", user_id=user,
                            status=status),
            ]
            if u == 0:
                responses.append(rg.Response("flags", ["evasive"] if "sorry" in a.lower() else [], user_id=user,
                                             status=status))
                word = a.split()[0] if a.split() else ""
                if word:
                    responses.append(rg.Response("spans", [{"label": "evasive", "start": 0, "end": len(word)}],
                                                 user_id=user, status=status))
        out.append(rg.Record(
            id=f"hh-{i}",
            fields={"prompt": p["prompt"], "response_a": a, "response_b": b},
            metadata={"source": "hh-rlhf-harmless-base"},
            suggestions=[rg.Suggestion("safety", "safe", score=0.9 - 0.1 * i, agent="safety-judge-v1"),
                         rg.Suggestion("ranking", ["response_a", "response_b"], score=0.6, agent="length-v1")],
            responses=responses,
        ))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hh", type=Path, default=Path("../shared/data/hh-rlhf-harmless-base/test.jsonl.gz"))
    ap.add_argument("--pairs", type=int, default=6)
    ap.add_argument("--out", type=Path, default=Path("tests/fixtures/argilla"))
    args = ap.parse_args()
    offline_client()
    ds = rg.Dataset(name="hh-pairs", settings=settings())
    recs = records(hh_pairs(args.hh, args.pairs))
    for layout in ("to_disk", "to_hub"):
        folder = args.out / layout
        shutil.rmtree(folder, ignore_errors=True)
        (folder / ".argilla").mkdir(parents=True)
        ds.settings.to_json(path=folder / ".argilla" / "settings.json")
        with open(folder / ".argilla" / "dataset.json", "w") as f:
            json.dump(ds.api_model().model_dump(), f, default=str)
        if layout == "to_disk":
            JsonIO.to_json(records=recs, path=folder / "records.json")
        else:
            (folder / "data").mkdir()
            HFDatasetsIO.to_datasets(recs, dataset=ds).to_parquet(folder / "data" / "train-00000-of-00001.parquet")
    n: dict[str, Any] = {"records": len(recs), "responses": sum(len(r.responses) for r in recs)}
    print(f"argilla {rg.__version__}: {n['records']} records, {n['responses']} responses -> {args.out}")
    print(f"reproduce: ~/.cache/assay-peers/argilla/bin/python scripts/argilla_fixture.py --pairs {args.pairs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
