"""Issue 19, "What it must show": the whole journey of a NEW LEAD in a real browser, following links only.

A fresh database holds an admin, a lead (site role `lead`, who may create projects) and two trainers, nothing
else. After the first page (the sign-in form) no URL is typed: every step is a click on a link or button a
new lead would see (top bar, project list, project menu, buttons), or a key.

 1. the lead signs in -> top bar "New project" -> gallery -> pairwise template -> create (gold mixed in);
 2. project menu "Import data" -> the REAL HH test split (the whole file, 2,312 lines) -> dry run with the
    divergent-pair warnings -> import -> summary; expected counts computed here from the file;
 3. two more projects: a ranking one with the OASST trees file, a pairwise one with a real Label Studio 1.23
    export (records, judgments, predictions);
 4. Records -> filter -> select two rows -> mark them gold, the expected answer entered in the trainers' form;
 5. Overview -> Members: both trainers added through the form;
 6. each trainer signs in and annotates by keyboard (gold records first, then normal ones);
 7. the lead opens Review, walks by keyboard, accepts one, rejects one with a comment;
 8. Dashboard: the charts' data tables show the counts computed here from what the test did;
 9. Export -> DPO -> download -> the file has the rows the test's own majority count says.

Every page visited is screenshotted to docs/img/journey-NN-<page>.png (docs/lead-journey.md shows them).
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_file
from tests.web.conftest import LiveServer, start_live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
DOCS_IMG = ROOT / "docs" / "img"
LS_EXPORT = ROOT / "tests" / "fixtures" / "label_studio" / "export_1_23.json"
PASSWORDS = {"admin": "admin-pass-12345", "lead1": "lead1-pass-12345",
             "trainer1": "trainer1-pass-12345", "trainer2": "trainer2-pass-12345"}
GOLD_SETTINGS = "  gold: {first_n: 2, min_items: 2, warn_below: 0.7, pause_below: 0.3}\n"


@pytest.fixture
def fresh_server(settings) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """tests/web/conftest.py's live server without the demo: only an admin, a lead and two trainers."""
    from assay.services.accounts import users
    from assay.store.db import open_db

    db = open_db(settings, migrate=False)
    users.add_user(db, "admin", PASSWORDS["admin"], "admin")
    users.add_user(db, "lead1", PASSWORDS["lead1"], "lead")
    users.add_user(db, "trainer1", PASSWORDS["trainer1"], "annotator")
    users.add_user(db, "trainer2", PASSWORDS["trainer2"], "annotator")
    with start_live_server(settings, db, demo=False) as live:
        yield live


class Journey:
    """The browser page plus the screenshot counter (docs/img/journey-NN-<name>.png)."""

    def __init__(self, page: Any, url: str) -> None:
        self.page, self.url, self.n = page, url, 0
        self.shots: list[str] = []

    def shot(self, name: str, *, height: int = 2000, full_page: bool = True) -> None:
        """The page (at most its top `height` pixels, so a long page stays readable in the docs)."""
        self.n += 1
        wide = self.page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert wide[0] <= wide[1], f"{name} ({self.page.url}) scrolls sideways: {wide[0]} > {wide[1]} px"
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        target = DOCS_IMG / f"journey-{self.n:02d}-{name}.png"
        # caret="initial": hiding the caret puts style attributes on inputs, which the CSP then reports
        if not full_page:
            self.page.screenshot(path=str(target), caret="initial")
        else:
            tall = self.page.evaluate("document.documentElement.scrollHeight")
            width = self.page.viewport_size["width"]
            self.page.screenshot(path=str(target), full_page=True, caret="initial",
                                 clip={"x": 0, "y": 0, "width": width, "height": min(tall, height)})
        self.shots.append(target.name)

    def click(self, selector: str) -> None:
        loc = self.page.locator(selector)
        assert loc.count() >= 1, f"no link or button {selector} on {self.page.url}: a lead cannot go on from here"
        loc.first.click()

    def nav(self, key: str) -> None:
        """A click on the project menu's item `key` (the menu every project page carries)."""
        self.click(f"[data-testid=project-nav] [data-testid=nav-{key}]")

    def sign_in(self, who: str) -> None:
        p = self.page
        if p.locator("[data-testid=logout]").count():
            p.click("[data-testid=logout]")
            p.wait_for_load_state()
        if "/login" not in p.url:  # signed out lands on the home page: its sign-in link
            self.click("a[href^='/login']")
        p.wait_for_selector("input[name=username]")
        p.fill("input[name=username]", who)
        p.fill("input[name=password]", PASSWORDS[who])
        p.click("button[type=submit]")
        p.wait_for_url(self.url + "/projects")

    def open_project(self, name: str) -> int:
        """From the project list (top bar "Projects"), open the project called `name`."""
        self.click("[data-testid=site-nav] [data-testid=nav-projects]")
        self.page.wait_for_url(self.url + "/projects")
        row = self.page.locator("[data-testid=project-list] tr", has_text=name)
        assert row.count() == 1, f"project {name} not in the list"
        row.locator("td a").first.click()
        self.page.wait_for_url(re.compile(r".*/projects/\d+$"))
        return int(self.page.url.rsplit("/", 1)[1])


# ---------------------------------------------------------------------------------------------- expectations
# Computed from the files here, independently of Assay's readers.

def hh_expected(path: Path) -> dict[str, int]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]

    def before_last_reply(t: str) -> str:
        return t[: t.rfind("\n\nAssistant:")]

    def last_reply(t: str) -> str:
        return t[t.rfind("\n\nAssistant:") + len("\n\nAssistant:"):].strip()

    divergent = sum(1 for r in rows if before_last_reply(r["chosen"]) != before_last_reply(r["rejected"]))
    distinct = len({(r["chosen"], r["rejected"]) for r in rows})
    empty = sum(1 for r in rows for side in ("chosen", "rejected") if not last_reply(r[side]))
    return {"rows": len(rows), "records": len(rows), "new": distinct, "divergent": divergent, "empty": empty}


def oasst_expected(path: Path) -> int:
    """One record per prompter message with at least two live, ranked assistant replies (deleted messages and
    everything under them left out)."""

    def groups(node: dict[str, Any]) -> int:
        if node.get("deleted"):
            return 0
        live = [c for c in node.get("replies") or [] if not c.get("deleted")]
        ranked = [c for c in live if c.get("role") == "assistant" and c.get("rank") is not None]
        return (1 if len(ranked) >= 2 else 0) + sum(groups(c) for c in live)

    trees = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    return sum(groups(t["prompt"]) for t in trees)


def label_studio_expected(path: Path) -> dict[str, int]:
    tasks = json.loads(path.read_text(encoding="utf-8"))
    done = [a for t in tasks for a in t.get("annotations") or [] if not a.get("was_cancelled")]
    return {"records": len(tasks), "judgments": len(done),
            "annotators": len({json.dumps(a["completed_by"], sort_keys=True) for a in done}),
            "predictions": sum(len(t.get("predictions") or []) for t in tasks)}


def majority_rows(votes: dict[int, list[str]], k: int) -> int:
    """DPO rows: records judged by at least k people (the export's default minimum) whose pair has a side with
    more votes than the other side and than the ties."""
    n = 0
    for vs in votes.values():
        if len(vs) < k:
            continue
        c = Counter(vs)
        a, b, tie = c["a"], c["b"], c["tie"]
        if max(a, b) > min(a, b) and max(a, b) > tie:
            n += 1
    return n


# ---------------------------------------------------------------------------------------------- steps

def upload(j: Journey, path: Path, name: str, fmt: str | None = None) -> dict[str, str]:
    """On the import page: choose the file, Upload and check, wait for the dry run; its counts."""
    p = j.page
    p.set_input_files("[data-testid=upload-file]", str(path))
    if fmt:
        p.select_option("[data-testid=upload-format]", fmt)
    j.shot(f"{name}-upload")
    p.click("[data-testid=upload-submit]")
    p.wait_for_url(lambda u: "/import/jobs/" in u, timeout=120_000)
    assert wait_job(p) == "done", p.inner_text("main")
    p.wait_for_selector("[data-testid=import-counts]")
    if p.locator("[data-testid=preview-record]").count() == 0:
        # the report came by htmx; the first records come with the full page. A reload is not a typed URL.
        p.reload()
    counts = {el.get_attribute("data-testid").removeprefix("count-"): el.inner_text().strip()
              for el in p.locator("[data-testid^=count-]").all()}
    return counts


def wait_job(page: Any) -> str:
    page.wait_for_function(
        "() => { const s = document.querySelector('[data-testid=import-job]');"
        " return s && !['queued', 'running'].includes(s.dataset.state); }", timeout=600_000)
    return str(page.get_attribute("[data-testid=import-job]", "data-state"))


def run_import(j: Journey, name: str) -> dict[str, str]:
    p = j.page
    p.click("[data-testid=import-run]")
    p.wait_for_url(lambda u: "/import/jobs/" in u)
    assert wait_job(p) == "done", p.inner_text("main")
    p.wait_for_selector("[data-testid=import-done]")
    j.shot(f"{name}-summary")
    return {el.get_attribute("data-testid").removeprefix("summary-"): el.inner_text().strip()
            for el in p.locator("[data-testid^=summary-]").all()}


def create_project(j: Journey, template: str, name: str, extra_yaml: str = "") -> int:
    p = j.page
    j.click("[data-testid=site-nav] [data-testid=nav-new-project]")
    p.wait_for_url(j.url + "/new-project")
    j.shot(f"gallery-for-{name}")
    j.click(f"[data-testid=pick-{template}]")
    p.wait_for_url(f"**/new-project?template={template}")
    p.locator("[data-testid^=preview-q-]").first.wait_for()
    p.fill("[data-testid=f-name]", name)
    wait_yaml(p, f"name: {name}")
    if extra_yaml:
        # into the template's own `settings:` block (a second top-level `settings:` would replace it)
        yaml_text = p.input_value("#yaml-editor")
        assert yaml_text.count("\nsettings:\n") == 1, yaml_text
        p.fill("#yaml-editor", yaml_text.replace("\nsettings:\n", "\nsettings:\n" + extra_yaml))
        p.locator("[data-testid^=preview-q-]").first.wait_for()
        assert p.locator("[data-testid=editor-error]").count() == 0, p.inner_text("[data-testid=editor-error]")
        wait_form_settled(p)
    j.shot(f"editor-{template}")
    p.click("[data-testid=save-setup]")
    p.wait_for_url(re.compile(r".*/projects/\d+$"))
    return int(p.url.rsplit("/", 1)[1])


def wait_yaml(page: Any, text: str, timeout_s: float = 10) -> None:
    for _ in range(int(timeout_s * 10)):
        if text in page.input_value("#yaml-editor"):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the YAML never showed {text!r}")


def wait_form_settled(page: Any) -> None:
    page.wait_for_timeout(800)  # the editor checks the YAML after a short pause; let its answer land


def annotate(page: Any, choice_key: str, strength_key: str) -> int:
    """The trainer's page by keyboard: the side (1/2/3), how much better (4/5/6), Ctrl+Enter submits."""
    page.wait_for_selector("#answer-form")
    rid = int(page.get_attribute("#answer-form", "data-record"))
    page.locator("body").click(position={"x": 5, "y": 5})  # focus the page, not a field
    page.keyboard.press(choice_key)
    page.keyboard.press(strength_key)
    page.keyboard.press("Control+Enter")
    page.wait_for_url(lambda u: f"/records/{rid}" not in u)
    return rid


def share(text: str) -> float:
    """A table cell's share: "0.75" or "75 %"."""
    t = text.replace("\u202f", " ").strip()
    return float(t.rstrip("% ").strip()) / 100 if t.endswith("%") else float(t)


def chart_table(page: Any, chart: str) -> list[list[str]]:
    """The rows of a chart's accessible data table (opened from its <details>)."""
    card = page.locator(f"[data-testid=chart-{chart}]")
    assert card.count() == 1, f"no chart {chart} on the dashboard"
    summary = card.locator("details.chart-table summary")
    assert summary.count() == 1, f"the {chart} chart has no data table"
    summary.click()
    return [[c.inner_text().strip() for c in r.locator("th, td").all()]
            for r in card.locator(f"[data-testid=table-{chart}] tbody tr").all()]


# ---------------------------------------------------------------------------------------------- the journey

@pytest.mark.parametrize("settings", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_new_lead_runs_a_project_end_to_end_by_links_only(  # type: ignore[no-untyped-def]
        fresh_server, page, shared_data, tmp_path) -> None:
    from assay.services.projects import projects

    hh = require_file(shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz")
    oasst = require_file(shared_data / "oasst-en-100-trees" / "en_100_tree.jsonl")
    ls_export = require_file(LS_EXPORT)
    url, db = fresh_server.url, fresh_server.db
    page.set_viewport_size({"width": 1360, "height": 900})
    j = Journey(page, url)

    # 1. sign in (the one typed URL) -> New project -> gallery -> pairwise -> create
    page.goto(url + "/login")
    j.shot("sign-in")
    j.sign_in("lead1")
    j.shot("projects-empty")
    pid = create_project(j, "pairwise", "hh-harmless", GOLD_SETTINGS)
    j.shot("overview-new")
    stored = projects.find_project(db, "hh-harmless").settings
    assert stored["gold"]["first_n"] == 2 and stored["edit_after_submit"] is True, stored

    # 2. Import data -> the real HH file -> dry run -> import -> summary
    want = hh_expected(hh)
    j.nav("import")
    page.wait_for_url(f"{url}/projects/{pid}/import")
    counts = upload(j, hh, "hh")
    assert {k: int(counts[k]) for k in want} == want, counts
    divergent = page.locator("[data-testid=warning][data-kind=divergent]")
    assert divergent.count() == want["divergent"]
    assert "differ before the last reply" in divergent.first.inner_text()
    assert page.locator("[data-testid=preview-record]").count() >= 1
    j.shot("hh-dry-run")
    summary = run_import(j, "hh")
    assert int(summary["created"]) == want["new"]
    j.click("[data-testid=import-back]")
    page.wait_for_url(f"{url}/projects/{pid}")
    assert page.locator(".stats article h3").first.inner_text() == str(want["new"])
    j.shot("overview-imported")

    # 3a. a ranking project with the OASST trees
    rid_project = create_project(j, "ranking", "oasst-ranking")
    j.nav("import")
    counts = upload(j, oasst, "oasst")
    n_oasst = oasst_expected(oasst)
    assert int(counts["records"]) == n_oasst and int(counts["new"]) == n_oasst, counts
    j.shot("oasst-dry-run")
    assert int(run_import(j, "oasst")["created"]) == n_oasst
    assert projects.progress(db, rid_project).records == n_oasst

    # 3b. a pairwise project with the Label Studio 1.23 export (tasks, annotations, predictions)
    ls_project = create_project(j, "pairwise", "from-label-studio")
    j.nav("import")
    counts = upload(j, ls_export, "label-studio")
    ls = label_studio_expected(ls_export)
    assert int(counts["records"]) == ls["records"] and int(counts["new"]) == ls["records"], counts
    assert int(counts["judgments"]) == ls["judgments"], counts
    assert int(counts["suggestions"]) == ls["predictions"], counts
    j.shot("label-studio-dry-run")
    summary = run_import(j, "label-studio")
    assert int(summary["created"]) == ls["records"] and int(summary["judgments"]) == ls["judgments"], summary
    assert projects.progress(db, ls_project).records == ls["records"]

    # 4. back to the HH project: Records -> filter -> select two -> mark gold with the trainers' form
    j.open_project("hh-harmless")
    j.nav("records")
    page.wait_for_url(f"{url}/projects/{pid}/records")
    page.fill("[data-testid=f-q]", "police")
    page.press("[data-testid=f-q]", "Enter")
    page.wait_for_url(lambda u: "q=police" in u)
    page.wait_for_load_state("networkidle")
    count_text = ""
    for _ in range(300):  # the count comes after the rows (htmx), the rows may be swapped twice
        counter = page.locator("[data-testid=match-count]")
        count_text = counter.inner_text() if counter.count() == 1 else ""
        if "match" in count_text:
            break
        page.wait_for_timeout(100)
    assert "records match" in count_text, (count_text, page.inner_text("main")[:2000])
    rows = page.locator("tr[data-record]")
    assert rows.count() >= 2
    gold_ext = [rows.nth(i).get_attribute("data-record") for i in (0, 1)]
    for ext in gold_ext:
        page.check(f"tr[data-record='{ext}'] [data-testid=select-row]")
    assert page.inner_text("[data-testid=selected-count]") == "2 selected"
    j.shot("records-filtered")
    page.select_option("[data-testid=bulk-action]", "gold")
    page.click("[data-testid=bulk-apply]")
    page.wait_for_selector("#gold-dialog[open] [data-testid=gold-form]")
    page.click("#gold-dialog fieldset[data-question=preference] legend")
    page.keyboard.press("1")  # the expected answer: A is better
    assert page.is_checked("#gold-dialog input[name='a.preference.choice'][value=a]")
    j.shot("records-gold-form", full_page=False)  # the dialog covers the window
    page.click("[data-testid=gold-save]")
    page.wait_for_selector("[data-testid=bulk-flash]")
    assert "Marked gold: 2 record(s)" in page.inner_text("[data-testid=bulk-flash]")
    j.shot("records-gold-marked")
    j.nav("gold")
    page.wait_for_url(lambda u: "gold=yes" in u)
    assert sorted(page.eval_on_selector_all("tr[data-record]", "rs => rs.map(r => r.dataset.record)")) == sorted(
        gold_ext)
    assert page.locator("[data-testid=gold-flag]").count() == 2
    j.shot("gold")
    gold_rids = _record_ids(db, pid, gold_ext)
    assert len(gold_rids) == 2

    # 5. Overview -> Members: add both trainers
    j.nav("overview")
    page.wait_for_url(f"{url}/projects/{pid}")
    for who in ("trainer1", "trainer2"):
        form = page.locator("[data-testid=add-member]")
        assert form.count() == 1, "the overview has no members form"
        form.locator("input[name=username]").fill(who)
        form.locator("select[name=role]").select_option("annotator")
        form.locator("[data-testid=add-member-submit]").click()
        page.wait_for_selector(f"[data-testid=members] tr[data-member={who}]")
    j.shot("members")

    # 6. each trainer signs in and annotates by keyboard: first the two gold records (first_n: 2), then three
    #    normal ones (trainer 2 is served the records trainer 1 judged first: they already have judgments)
    plans = {"trainer1": [("1", "6"), ("1", "5"), ("1", "6"), ("2", "5"), ("1", "4")],
             "trainer2": [("1", "5"), ("2", "5"), ("1", "5"), ("2", "6"), ("1", "6")]}
    done: dict[str, list[tuple[int, str]]] = {}
    for who, plan in plans.items():
        j.sign_in(who)
        if who == "trainer1":
            j.shot("trainer-projects")
        j.open_project("hh-harmless")
        if who == "trainer1":
            j.shot("trainer-overview")
        j.nav("annotate")
        done[who] = []
        for i, (choice, strength) in enumerate(plan):
            page.wait_for_selector("#answer-form")
            if who == "trainer1" and i == 0:
                j.shot("trainer-annotate")
            rid = annotate(page, choice, strength)
            done[who].append((rid, {"1": "a", "2": "b", "3": "tie"}[choice]))
        assert {rid for rid, _ in done[who][:2]} == gold_rids, "the first two served are the gold records"
    normal1 = [rid for rid, _ in done["trainer1"][2:]]
    assert [rid for rid, _ in done["trainer2"][2:]] == normal1
    j.shot("trainer-after")

    # 7. the lead reviews by keyboard: next, accept, reject with a comment
    j.sign_in("lead1")
    j.open_project("hh-harmless")
    j.nav("review")
    page.wait_for_selector("[data-testid=review-item]")
    pending = int(page.inner_text("[data-testid=review-position]").split(" of ")[1])
    assert pending == 2 * len(normal1)  # gold answers are scored by gold, not reviewed
    j.shot("review")
    page.locator("body").click(position={"x": 5, "y": 5})
    with page.expect_navigation():
        page.keyboard.press("j")
    page.wait_for_selector("[data-testid=review-bar]")
    accepted = int(page.get_attribute("[data-testid=review-item]", "data-annotation"))
    with page.expect_navigation():
        page.keyboard.press("a")
    page.wait_for_selector("[data-testid=review-item]")
    rejected = int(page.get_attribute("[data-testid=review-item]", "data-annotation"))
    rejected_who = page.inner_text("[data-testid=review-annotator]").strip()
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "review-comment"
    page.keyboard.type("B is the safer reply here; please look again.")
    j.shot("review-reject")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    page.wait_for_selector("[data-testid=review-bar], [data-testid=review-empty]")
    assert int(page.inner_text("[data-testid=review-position]").split(" of ")[1]) == pending - 2
    from assay.services.annotation import review
    decided = {d.annotation_id: (d.decision, d.comment) for d in review.history(db, pid, 10)}
    assert decided[accepted] == ("accepted", "")
    assert decided[rejected][0] == "rejected" and "safer reply" in decided[rejected][1]
    returned = _annotation(db, rejected)  # (record id, annotator) of the rejected one, now back with its author

    # 8. Dashboard: the trainers' submitted counts and the throughput total, from what the test did
    submitted = {who: len(d) for who, d in done.items()}
    submitted[rejected_who] -= 1  # returned to its author: a draft again
    j.nav("dashboard")
    page.wait_for_url(f"{url}/projects/{pid}/dashboard")
    page.wait_for_function("() => window.Chart && document.querySelectorAll('canvas[data-chart]').length >= 1")
    j.shot("dashboard")
    trainers = {r[0]: r for r in chart_table(page, "trainers")}
    assert set(trainers) == set(plans), trainers
    for who, n in submitted.items():
        assert int(trainers[who][1]) == n, (who, trainers[who])
    per_day = chart_table(page, "throughput-day")
    assert sum(int(r[1]) for r in per_day) == sum(submitted.values()), per_day
    # gold: every trainer's answers on the two gold records against the expected "A is better"
    gold_answers = [c for d in done.values() for rid, c in d if rid in gold_rids]
    right = sum(1 for c in gold_answers if c == "a")
    standing = {r[0]: r for r in (
        [c.inner_text().strip() for c in row.locator("td").all()]
        for row in page.locator("[data-testid=trainers] tbody tr").all())}
    for who, d in done.items():
        mine = [c for rid, c in d if rid in gold_rids]
        assert f"({sum(1 for c in mine if c == 'a')} of {len(mine)})" in standing[who][3], standing[who]
    gold_days = [r for r in chart_table(page, "gold-accuracy") if r[1] not in ("", "0")]  # day, answers, accuracy
    assert sum(int(r[1]) for r in gold_days) == len(gold_answers), gold_days
    matched = sum(int(r[1]) * share(r[2]) for r in gold_days)
    assert abs(matched - right) < 0.01, (gold_days, right)

    # 9. Export -> DPO -> download: one row per normal record with a majority (gold records are not exported)
    votes: dict[int, list[str]] = {}
    for who, d in done.items():
        for rid, choice in d:
            if rid in gold_rids or (rid, who) == returned:
                continue
            votes.setdefault(rid, []).append(choice)
    j.nav("export")
    page.select_option("select[name=fmt]", "dpo")
    page.click("[data-testid=export]")
    page.wait_for_url(lambda u: "/exports/jobs/" in u)
    page.wait_for_selector("[data-testid=export-done]", timeout=60_000)
    j.shot("export")
    with page.expect_download() as dl:
        page.click("[data-testid=export-download]")
    z = zipfile.ZipFile(io.BytesIO(dl.value.path().read_bytes()))
    train = [n for n in z.namelist() if n.endswith(".jsonl")]
    assert train, z.namelist()
    lines = [json.loads(x) for x in z.read(train[0]).decode().splitlines() if x.strip()]
    k = projects.find_project(db, "hh-harmless").annotators_per_record  # the template's 2
    assert len(lines) == majority_rows(votes, k), (len(lines), votes)
    assert {row["record_id"] for row in lines} <= set(votes)
    assert not [e for e in page.js_errors if "status of 4" not in e], page.js_errors


def _record_ids(db: Any, project_id: int, external_ids: list[str]) -> set[int]:
    from sqlalchemy import select

    from assay.store.tables import RecordRow

    with db.read() as s:
        return set(s.scalars(select(RecordRow.id).where(RecordRow.project_id == project_id,
                                                        RecordRow.external_id.in_(external_ids))))


def _annotation(db: Any, annotation_id: int) -> tuple[int, str]:
    from sqlalchemy import select

    from assay.store.tables import AnnotationRow, UserRow

    with db.read() as s:
        rid, who = s.execute(select(AnnotationRow.record_id, UserRow.username)
                             .join(UserRow, UserRow.id == AnnotationRow.user_id)
                             .where(AnnotationRow.id == annotation_id)).one()
    return int(rid), str(who)
