"""Make tests/fixtures/label_studio/export_1_23.json with a real Label Studio 1.23.

What it does, all through Label Studio's own server and HTTP API:

1. starts `label-studio start` (from its own venv, default ~/.cache/assay-peers/label-studio) on a free
   loopback port with a fresh data folder, an admin user and a legacy API token;
2. adds a second annotator (a Django shell script: user, organization membership, API token);
3. creates a project with the label config below (Paragraphs + two Text objects; Pairwise, Labels,
   Choices, Rating, TextArea controls);
4. imports N tasks made from the first short pairs of Anthropic HH (harmless-base test split, read with
   Assay's HH reader): `messages` (the conversation), `answer1` and `answer2` (the two replies);
5. annotates every task as the admin and all but the last two as the second annotator (rule-based answers
   derived from the text, so a rerun gives the same answers), cancels (skips) one task as the second
   annotator, and adds a model prediction to every task;
6. exports the project twice and writes both (pretty-printed as Label Studio returned them) with the label
   config beside them: `export_1_23.json` is a snapshot export (`POST /api/projects/{id}/exports/` with
   serialization options asking for full predictions and annotators, then
   `GET .../exports/{export}/download?exportType=JSON`); `export_1_23_quick.json` is the quick export
   (`GET /api/projects/{id}/export?exportType=JSON`, the Data Manager's Export button), in which
   predictions and `completed_by` are ids only.

Run (takes about a minute once Label Studio is installed):

    python -m venv ~/.cache/assay-peers/label-studio   # or: uv venv --python 3.11 ...
    ~/.cache/assay-peers/label-studio/bin/pip install 'label-studio>=1.23,<1.24'
    uv run python scripts/label_studio_fixture.py --tasks 10

Options: --label-studio (the venv folder), --hh (the HH file), --out (the fixture folder).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from assay.formats import read_records

LABEL_CONFIG = """<View>
  <Paragraphs name="dialogue" value="$messages" layout="dialogue" nameKey="role" textKey="content"/>
  <Header value="Reply A"/>
  <Text name="answer1" value="$answer1"/>
  <Header value="Reply B"/>
  <Text name="answer2" value="$answer2"/>
  <Pairwise name="preference" toName="answer1,answer2"/>
  <Labels name="spans" toName="answer1">
    <Label value="harmful"/>
    <Label value="evasive"/>
  </Labels>
  <Choices name="safety" toName="dialogue" choice="multiple">
    <Choice value="safe"/>
    <Choice value="unsafe"/>
    <Choice value="refusal"/>
  </Choices>
  <Rating name="helpfulness" toName="answer1" maxRating="5"/>
  <TextArea name="rationale" toName="dialogue" placeholder="Why?"/>
</View>
"""

ADMIN = ("admin@example.com", "assay-fixture-admin", "assayfixturetokenadmin0000000000000000001")
SECOND = ("trainer2@example.com", "assayfixturetokentrainer20000000000000002")
REFUSAL_WORDS = ("sorry", "can't", "cannot", "won't", "not able", "i don't")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Api:
    """A tiny JSON client for Label Studio's API with a legacy token."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"Token {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raise SystemExit(f"{method} {path}: {e.code} {e.read()[:2000]!r}")
        return json.loads(raw) if raw else None


def wait_up(base: str, proc: subprocess.Popen[bytes], log: Path, seconds: float = 1200) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"label-studio exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(base + "/health", timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(2)
    raise SystemExit(f"label-studio did not answer /health within {seconds} s; see {log}")


SHELL_SCRIPT = """
from django.contrib.auth import get_user_model
from organizations.models import Organization
from rest_framework.authtoken.models import Token
User = get_user_model()
org = Organization.objects.first()
u, _ = User.objects.get_or_create(email={email!r}, defaults={{"username": {email!r}}})
u.set_password("assay-fixture-trainer2")
u.active_organization = org
u.save()
org.add_user(u)
Token.objects.filter(user=u).delete()
Token.objects.create(user=u, key={token!r})
print("USER_ID", u.id)
"""


def add_second_user(ls_bin: Path, env: dict[str, str]) -> None:
    script = SHELL_SCRIPT.format(email=SECOND[0], token=SECOND[1])
    out = subprocess.run([str(ls_bin / "label-studio"), "shell"], input=script.encode(), env=env,
                         capture_output=True, timeout=300, check=False)
    if b"USER_ID" not in out.stdout:
        raise SystemExit(f"could not add the second user: {out.stdout[-2000:]!r} {out.stderr[-2000:]!r}")


def hh_tasks(path: Path, n: int) -> list[dict[str, Any]]:
    """The n shortest two-turn-or-more HH pairs among the first 300 (short keeps the fixture small)."""
    records = []
    for i, rec in enumerate(read_records(path, "hh")):
        if i >= 300:
            break
        if "hh_divergence" in rec.metadata:
            continue
        records.append(rec)
    records.sort(key=lambda r: (sum(len(m.content) for m in r.messages) + sum(len(c.text) for c in r.completions),
                                r.external_id))
    tasks = []
    for rec in records[:n]:
        tasks.append({"data": {
            "assay_id": rec.external_id,
            "messages": [{"role": m.role, "content": m.content} for m in rec.messages],
            "answer1": rec.completions[0].text,
            "answer2": rec.completions[1].text,
        }})
    return tasks


def _rid(i: int, name: str) -> str:
    return f"{name[:4]}{i:05d}"[:10]


def answers_for(task: dict[str, Any], who: int) -> list[dict[str, Any]]:
    """Deterministic answers: annotator 0 prefers the longer reply, annotator 1 the one without a refusal
    word (else the shorter); spans mark the first refusal word in answer1 when there is one."""
    data = task["data"]
    a1, a2 = data["answer1"], data["answer2"]
    if who == 0:
        left = len(a1) >= len(a2)
    else:
        r1 = any(w in a1.lower() for w in REFUSAL_WORDS)
        r2 = any(w in a2.lower() for w in REFUSAL_WORDS)
        left = (not r1 and r2) or (r1 == r2 and len(a1) <= len(a2))
    refusal = any(w in (a1 + a2).lower() for w in REFUSAL_WORDS)
    choices = ["safe", "refusal"] if refusal and who == 0 else (["refusal"] if refusal else ["safe"])
    out: list[dict[str, Any]] = [
        {"id": _rid(who, "pref"), "from_name": "preference", "to_name": "answer1,answer2", "type": "pairwise",
         "origin": "manual", "value": {"selected": "left" if left else "right"}},
        {"id": _rid(who, "safe"), "from_name": "safety", "to_name": "dialogue", "type": "choices",
         "origin": "manual", "value": {"choices": choices}},
        {"id": _rid(who, "help"), "from_name": "helpfulness", "to_name": "answer1", "type": "rating",
         "origin": "manual", "value": {"rating": min(5, 1 + len(a1) // 60 + who)}},
        {"id": _rid(who, "rati"), "from_name": "rationale", "to_name": "dialogue", "type": "textarea",
         "origin": "manual", "value": {"text": [f"{'A' if left else 'B'} answers the request more directly."]}},
    ]
    low = a1.lower()
    for word in REFUSAL_WORDS:
        at = low.find(word)
        if at >= 0:
            out.append({"id": _rid(who, "span"), "from_name": "spans", "to_name": "answer1", "type": "labels",
                        "origin": "manual", "value": {"start": at, "end": at + len(word),
                                                      "text": a1[at:at + len(word)], "labels": ["evasive"]}})
            break
    return out


def prediction_for(task: dict[str, Any]) -> list[dict[str, Any]]:
    a1, a2 = task["data"]["answer1"], task["data"]["answer2"]
    return [
        {"id": "predpref1", "from_name": "preference", "to_name": "answer1,answer2", "type": "pairwise",
         "value": {"selected": "left" if len(a1) > len(a2) else "right"}},
        {"id": "predsafe1", "from_name": "safety", "to_name": "dialogue", "type": "choices",
         "value": {"choices": ["safe"]}},
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label-studio", type=Path, default=Path.home() / ".cache/assay-peers/label-studio")
    ap.add_argument("--hh", type=Path, default=Path("../shared/data/hh-rlhf-harmless-base/test.jsonl.gz"))
    ap.add_argument("--tasks", type=int, default=10)
    ap.add_argument("--out", type=Path, default=Path("tests/fixtures/label_studio"))
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="Label Studio's data folder (default: a new temporary one, removed afterwards); an "
                    "existing one skips the first start's database migrations (minutes on a busy machine)")
    args = ap.parse_args()
    ls_bin = args.label_studio / "bin"
    if not (ls_bin / "label-studio").exists():
        raise SystemExit(f"no label-studio in {ls_bin}; install it there first (see this script's docstring)")
    version = subprocess.run([str(ls_bin / "python"), "-c", "import label_studio; print(label_studio.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    keep = args.data_dir is not None
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="ls-fixture-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "COLLECT_ANALYTICS": "false", "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": "",
           "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir), "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
           "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "false"}
    log = data_dir / "server.log"
    with open(log, "wb") as logf:
        proc = subprocess.Popen(
            [str(ls_bin / "label-studio"), "start", "--no-browser", "--port", str(port), "--host", base,
             "--data-dir", str(data_dir), "--username", ADMIN[0], "--password", ADMIN[1],
             "--user-token", ADMIN[2], "--enable-legacy-api-token"],
            env=env, stdout=logf, stderr=subprocess.STDOUT)
    ok = False
    try:
        wait_up(base, proc, log)
        add_second_user(ls_bin, env)
        admin, second = Api(base, ADMIN[2]), Api(base, SECOND[1])
        project = admin.call("POST", "/api/projects", {"title": "HH preferences (Assay fixture)",
                                                        "label_config": LABEL_CONFIG,
                                                        "maximum_annotations": 2})
        pid = project["id"]
        tasks = hh_tasks(args.hh, args.tasks)
        admin.call("POST", f"/api/projects/{pid}/import", tasks)
        listed = admin.call("GET", f"/api/tasks?project={pid}&page_size=1000")
        ls_tasks = sorted(listed["tasks"] if isinstance(listed, dict) else listed, key=lambda t: t["id"])
        for i, t in enumerate(ls_tasks):
            admin.call("POST", f"/api/tasks/{t['id']}/annotations?project={pid}",
                       {"result": answers_for(t, 0), "lead_time": 20.0 + i, "task": t["id"], "project": pid})
            if i == len(ls_tasks) - 1:
                second.call("POST", f"/api/tasks/{t['id']}/annotations?project={pid}",
                            {"result": [], "was_cancelled": True, "lead_time": 3.0, "task": t["id"],
                             "project": pid})
            elif i < len(ls_tasks) - 2:
                second.call("POST", f"/api/tasks/{t['id']}/annotations?project={pid}",
                            {"result": answers_for(t, 1), "lead_time": 31.5 + i, "task": t["id"],
                             "project": pid})
            admin.call("POST", "/api/predictions", {"task": t["id"], "result": prediction_for(t),
                                                     "score": round(0.5 + 0.04 * i, 2),
                                                     "model_version": "length-baseline-v1"})
        # the quick export (Data Manager's Export button): predictions and annotators as ids only
        quick = admin.call("GET", f"/api/projects/{pid}/export?exportType=JSON&download_all_tasks=true")
        # a snapshot export with full predictions and annotators ({id, email, ...})
        snap = admin.call("POST", f"/api/projects/{pid}/exports/", {
            "title": "assay fixture",
            "serialization_options": {"predictions": {"only_id": False}, "drafts": {"only_id": False},
                                      "annotations__completed_by": {"only_id": False}},
            "annotation_filter_options": {"usual": True, "skipped": True, "ground_truth": True}})
        for _ in range(120):
            state = admin.call("GET", f"/api/projects/{pid}/exports/{snap['id']}")
            if state["status"] == "completed":
                break
            if state["status"] == "failed":
                raise SystemExit(f"the snapshot export failed: {state}")
            time.sleep(1)
        exported = admin.call("GET", f"/api/projects/{pid}/exports/{snap['id']}/download?exportType=JSON")
        args.out.mkdir(parents=True, exist_ok=True)
        for name, body in (("export_1_23.json", exported), ("export_1_23_quick.json", quick)):
            (args.out / name).write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        (args.out / "label_config.xml").write_text(LABEL_CONFIG, encoding="utf-8")
        n_ann = sum(len(t.get("annotations", [])) for t in exported)
        print(f"label-studio {version}: project {pid}, {len(exported)} tasks, {n_ann} annotations, "
              f"{sum(len(t.get('predictions', [])) for t in exported)} predictions -> {args.out / 'export_1_23.json'}")
        print(f"reproduce: uv run python scripts/label_studio_fixture.py --tasks {args.tasks}")
        ok = True
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        if ok and not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        elif not ok:
            print(f"left {data_dir} (server log: {log})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
