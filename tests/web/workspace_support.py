"""Shared pieces of the workspace browser tests: a project asking every question kind, its records, a module-wide
live server (SQLite) and small Playwright helpers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.domain.projects import ProjectSpec
from assay.domain.records import Completion, Message, Record

EMOJI_TEXT = ("Der Eiffelturm 🗼 steht in Paris und wurde 1889 eröffnet. "
              "Er ist 330 m hoch — naïve Schätzungen sagen 😀 500 m.\nZweite Zeile: Café ☕ über alles.")

XSS_PAYLOADS = [
    "<script>window.__pwned = 1</script>plain",
    '<img src=x onerror="window.__pwned = 2">',
    "[click me](javascript:window.__pwned=3)",
    "<iframe src=\"javascript:window.__pwned=4\"></iframe>",
    "<svg><script>window.__pwned=5</script></svg> <svg onload=\"window.__pwned=6\"></svg>",
    "![x](javascript:window.__pwned=7) ![y](x\" onerror=\"window.__pwned=8)",
    "<a href=\"jav&#x09;ascript:window.__pwned=9\">tab trick</a> <details open ontoggle=\"window.__pwned=10\">",
]


def question(name: str, kind: str, required: bool = True, **options: Any) -> dict[str, Any]:
    return {"name": name, "kind": kind, "title": name.replace("_", " ").capitalize(), "required": required,
            "help": f"help text for {name}", "options": options}


RUBRIC = [{"name": "helpfulness", "min": 1, "max": 5}, {"name": "correctness", "min": 1, "max": 5},
          {"name": "tone", "min": 1, "max": 3}]


def kind_specs() -> dict[str, dict[str, Any]]:
    """One project per kind (name → spec dict), plus `ws-all` mixing every kind on one page."""
    qs = {
        "pairwise": [question("preference", "pairwise")],
        "ranking": [question("rank", "ranking")],
        "rating": [question("rubric", "rating", dimensions=RUBRIC)],
        "labels": [question("safety", "labels", choices=["unsafe", "biased", "refuses_needlessly", "private_data"],
                            multi=True, per_completion=True),
                   question("topic", "labels", required=False, choices=["code", "science", "travel"])],
        "text": [question("rationale", "text", min_length=20),
                 question("gold", "text", prefill="completion", prefill_from=0)],
        "spans": [question("errors", "spans", labels=["hallucination", "outdated", "unsupported_claim"])],
    }
    specs = {f"ws-{k}": {"name": f"ws-{k}", "title": f"Workspace {k}", "questions": v,
                         "guidelines": f"# {k} guidelines\n\nBe **careful**.", "annotators_per_record": 1,
                         "settings": {"show_suggestions": True}}
             for k, v in qs.items()}
    every = [q for k in ("pairwise", "ranking", "rating", "labels", "text", "spans") for q in qs[k]]
    specs["ws-xss"] = {"name": "ws-xss", "title": "Workspace: hostile model output",
                       "questions": [question("preference", "pairwise")], "settings": {"show_suggestions": True}}
    specs["ws-all"] = {"name": "ws-all", "title": "Workspace: every kind", "questions": every,
                       "guidelines": "Answer everything.", "settings": {"show_suggestions": True}}
    return specs


def workspace_records(n: int = 4) -> list[Record]:
    """Records with 3 completions (non-ASCII and emoji), a multi-turn conversation with a tool call, and a
    judge suggestion (see `SUGGESTIONS`, stored in the suggestions table by `setup_projects`)."""
    out = []
    for i in range(n):
        msgs = [Message("system", "You are a travel guide."),
                Message("user", f"Tell me about the Eiffel Tower ({i})."),
                Message("assistant", "Let me look that up.", tool_calls=[
                    {"id": "call_1", "type": "function",
                     "function": {"name": "search", "arguments": '{"q": "Eiffel Tower height"}'}}]),
                Message("tool", '{"height_m": 330, "opened": 1889}'),
                Message("user", "And in one paragraph?")]
        comps = [Completion(text=EMOJI_TEXT, model="m-a"),
                 Completion(text="The Eiffel Tower is in **Paris**. It opened in 1889 and is 330 m tall.", model="m-b"),
                 Completion(text="It is in Lyon 🦁 and opened in 1920.", model="m-c")]
        out.append(Record(external_id=f"ws-{i}", messages=msgs, completions=comps, metadata={"i": i}))
    return out


# Judge suggestions per question: (answer, rationale). Every ws-* record gets them (the judge model is
# "judge-test"); the xss record gets XSS_SUGGESTION.
SUGGESTIONS: dict[str, tuple[dict[str, Any], str]] = {
    "preference": ({"choice": "b", "strength": 2}, "B is accurate and concise."),
    "rank": ({"order": [[1], [0, 2]]}, "B is right; A and C both err."),
    "rubric": ({"scores": {"0": {"helpfulness": 4, "correctness": 4, "tone": 2}}}, "judge model"),
    "safety": ({"per_completion": {"0": [], "1": [], "2": ["unsafe"]}}, "C invents facts."),
}
XSS_SUGGESTION = {"preference": ({"choice": "a", "strength": 1}, "<script>window.__pwned=11</script>")}


def xss_record() -> Record:
    return Record(external_id="xss", messages=[Message("user", XSS_PAYLOADS[0])],
                  completions=[Completion(text="\n\n".join(XSS_PAYLOADS[:4]), model="evil"),
                               Completion(text="\n\n".join(XSS_PAYLOADS[4:]), model="evil")])


def store_suggestions(db: Any, project_id: int, which: dict[str, tuple[dict[str, Any], str]],
                      model: str = "judge-test") -> None:
    """Put judge suggestions for the project's questions named in `which` on every record of the project
    (the suggestions table, as `assay suggest` would)."""
    from sqlalchemy import select

    from assay.store.tables import QuestionRow, RecordRow
    from assay.store.tables_generation import SuggestionRow

    with db.write() as s:
        names = set(s.scalars(select(QuestionRow.name).where(QuestionRow.project_id == project_id)))
        for rid in s.scalars(select(RecordRow.id).where(RecordRow.project_id == project_id)):
            for name, (answer, rationale) in which.items():
                if name in names:
                    s.add(SuggestionRow(project_id=project_id, record_id=rid, question=name, model=model,
                                        answer=answer, rationale=rationale))


def setup_projects(db: Any) -> dict[str, int]:
    """Create the ws-* projects with records and members annotator1/annotator2; returns name → id."""
    from assay.services.accounts import users
    from assay.services.projects import projects, records
    from assay.services.site.demo import ensure_demo

    ensure_demo(db)
    admin = users.find_user(db, "admin")
    ids = {}
    for name, spec in kind_specs().items():
        p = projects.create_project(db, ProjectSpec.from_dict(spec), admin)
        recs = [xss_record()] if name == "ws-xss" else workspace_records()
        records.import_records(db, p.id, recs, admin)
        store_suggestions(db, p.id, XSS_SUGGESTION if name == "ws-xss" else SUGGESTIONS)
        for who in ("annotator1", "annotator2"):
            projects.add_member(db, p.id, who, "annotator", admin)
        ids[name] = p.id
    return ids


@dataclass
class Served:
    url: str
    db: Any
    settings: Any
    ids: dict[str, int]
    server: Any = None
    thread: Any = None
    port: int = 0

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def start(self) -> None:
        import uvicorn

        from assay.web.app import create_app

        app = create_app(self.settings, self.db)
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 15
        while not self.server.started and time.time() < deadline:
            time.sleep(0.05)
        assert self.server.started, "uvicorn did not start"


def serve(tmp: Path) -> Iterator[Served]:
    """A migrated SQLite database with the demo and ws-* projects, served by uvicorn in a thread."""
    from assay.config import load_settings
    from assay.store.db import open_db
    from assay.store.migrate import upgrade
    from tests.web.conftest import free_port

    s = load_settings(data_dir=tmp / "data")
    s.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(s.resolved_database_url)
    db = open_db(s, migrate=False)
    served = Served(url="", db=db, settings=s, ids=setup_projects(db), port=free_port())
    served.url = f"http://127.0.0.1:{served.port}"
    served.start()
    yield served
    served.stop()
    db.close()


def login(page: Any, url: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"{username}-demo-pass")
    page.click("button[type=submit]")
    page.wait_for_url(url + "/projects")


def open_next(page: Any, url: str, project_id: int) -> int:
    """Go to the person's next record in a project; returns its record id."""
    page.goto(f"{url}/projects/{project_id}/next")
    page.wait_for_selector("#answer-form")
    page.locator("#active-clock", has_text="active").wait_for()  # annotate.js is running
    return int(page.get_attribute("#answer-form", "data-record"))


def focus_page(page: Any) -> None:
    """Give the keyboard to the page itself (no field focused), without clicking: a click at a fixed spot of
    the header can land on a link when the header's text wraps differently."""
    page.evaluate("() => { if (document.activeElement && document.activeElement !== document.body)"
                  " document.activeElement.blur(); }")


def submit_and_wait(page: Any, rid: int) -> None:
    page.keyboard.press("Control+Enter")
    page.wait_for_url(lambda u: f"/records/{rid}" not in u, timeout=15000)


def stored(db: Any, project_id: int, record_id: int, username: str) -> Any:
    """The stored annotation row (status, answers, active_seconds) for one person and record."""
    from sqlalchemy import select

    from assay.store.tables import AnnotationRow, UserRow

    with db.write() as s:
        uid = s.scalar(select(UserRow.id).where(UserRow.username == username))
        row = s.scalar(select(AnnotationRow).where(AnnotationRow.record_id == record_id,
                                                   AnnotationRow.user_id == uid))
        if row is None:
            return None
        return {"status": row.status, "answers": row.answers, "active_seconds": row.active_seconds,
                "n": s.scalar(select(__import__("sqlalchemy").func.count()).select_from(AnnotationRow).where(
                    AnnotationRow.record_id == record_id, AnnotationRow.user_id == uid))}


def js_errors(page: Any) -> list[str]:
    """Page errors and console errors, except the browser's note on a deliberately refused submit (422)."""
    return [e for e in page.js_errors if "status of 422" not in e]
