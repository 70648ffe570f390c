"""The dashboard's charts through the real app: CSV downloads with their figures, who may fetch them, and
chart data embedded so that stored text (a username) stays inert."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from assay.services.accounts import auth, users
from assay.services.projects import projects
from assay.services.quality.charts import window
from assay.store.tables import UserRow
from assay.web.app import create_app
from tests.quality.dashboard_world import TIMES, build

EVIL = "</script><img src=x onerror=alert(1)>"


def _client(db, *names):
    c = TestClient(create_app(db.settings, db))
    heads = {}
    for n in names:
        tok = auth.create_api_token(db, users.find_user(db, n).id, "t")[0]
        heads[n] = {"Authorization": f"Bearer {tok}"}
    return c, heads


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_chart_csv_downloads_carry_the_figures(db):
    p, _, _ = build(db)
    c, h = _client(db, "lead")
    base = f"/projects/{p.id}/dashboard/charts"
    r = c.get(f"{base}/trainers.csv", headers=h["lead"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == f'attachment; filename="project-{p.id}-trainers.csv"'
    rows = rows_trainers = _csv(r.text)[1:]
    rows = _csv(r.text)
    assert rows[0] == ["trainer", "submitted", "drafts", "active hours", "minutes per submission"]
    assert {row[0]: (int(row[1]), float(row[3])) for row in rows[1:]} == {
        "ann1": (6, pytest.approx(0.2)), "ann2": (6, pytest.approx(0.5)), "ann3": (2, pytest.approx(60 / 3600, abs=1e-4))}
    conf = _csv(c.get(f"{base}/confusion.csv", params={"question": "preference", "a": "ann2", "b": "ann1"},
                      headers=h["lead"]).text)
    assert conf == [["ann2 \\ ann1", "a", "tie", "b"], ["a", "1", "1", "0"], ["tie", "0", "0", "0"], ["b", "1", "0", "1"]]
    agreement = {row[0]: row for row in _csv(c.get(f"{base}/agreement.csv", headers=h["lead"]).text)[1:]}
    assert float(agreement["preference"][5]) == pytest.approx(10 / 38, abs=1e-4)
    assert agreement["preference"][11] == "exact"
    ratings = _csv(c.get(f"{base}/ratings.csv", headers=h["lead"]).text)
    assert ratings[1:] == [["quality", "helpful", "1", "4"], ["quality", "helpful", "2", "5"],
                           ["quality", "helpful", "3", "7"]]
    for name in ("throughput-hour", "throughput-day", "gold-accuracy"):
        rows = _csv(c.get(f"{base}/{name}.csv", headers=h["lead"]).text)
        assert len(rows) == 1 + (48 if name == "throughput-hour" else 30)
    # the per-day CSV counts every submission whose time falls in the last 30 UTC days (the world's times are fixed)
    start, _, _ = window("day", datetime.now(UTC))
    in_window = sum(1 for at in TIMES.values() if start <= at < start + timedelta(days=30))
    assert sum(int(r[1]) for r in _csv(c.get(f"{base}/throughput-day.csv", headers=h["lead"]).text)[1:]) == in_window
    # the JSON twin carries the same tables
    twin = c.get(f"/api/v1/projects/{p.id}/dashboard/charts", headers=h["lead"]).json()
    tables = {v["name"]: v for v in twin["charts"]}
    assert set(tables) == {"throughput-hour", "throughput-day", "trainers", "agreement", "confusion",
                           "gold-accuracy", "ratings"}
    assert [[str(x) for x in row] for row in tables["trainers"]["rows"]] == rows_trainers
    assert twin["confusion"]["cells"] == [[1, 0, 1], [1, 0, 0], [0, 0, 1]]
    bad = c.get(f"{base}/nope.csv", headers=h["lead"])
    assert bad.status_code == 404 and "throughput-day" in bad.text
    assert c.get(f"{base}/confusion.csv", params={"question": "preference", "a": "ann1", "b": "ann1"},
                 headers=h["lead"]).status_code == 422


def test_chart_routes_are_for_the_projects_leads_only(db):
    p, _, _ = build(db)
    other, _, _ = build(db, name="other", lead_name="lead2", people=("b1", "b2", "b3"))
    admin = users.add_user(db, "root", "password123", "admin")
    c, h = _client(db, "lead", "lead2", "ann1", admin.username)
    url = f"/projects/{p.id}/dashboard/charts/agreement.csv"
    assert c.get(url, headers=h["lead"]).status_code == 200
    assert c.get(url, headers=h["root"]).status_code == 200          # admins see every project
    assert c.get(url, headers=h["ann1"]).status_code == 403          # a trainer in the project
    assert c.get(url, headers=h["lead2"]).status_code == 404         # another project's lead: not even told it exists
    assert c.get(url, follow_redirects=False).status_code in (401, 303)  # nobody signed in
    assert c.get(f"/projects/{p.id}/dashboard", headers=h["ann1"]).status_code == 403
    assert c.get(f"/api/v1/projects/{p.id}/dashboard/charts", headers=h["ann1"]).status_code == 403
    assert c.get(f"/api/v1/projects/{p.id}/dashboard/charts", headers=h["lead2"]).status_code == 404
    assert c.get(f"/projects/{p.id}/dashboard", headers=h["lead2"]).status_code == 404
    assert c.get(f"/projects/{other.id}/dashboard/charts/trainers.csv", headers=h["lead2"]).status_code == 200
    # a reviewer in the project is no lead either
    projects.add_member(db, p.id, "ann2", role="reviewer")
    _, h2 = _client(db, "ann2")
    assert c.get(url, headers=h2["ann2"]).status_code == 403


def test_chart_data_is_embedded_inert(db):
    p, _, made = build(db)
    with db.write() as s:
        s.execute(update(UserRow).where(UserRow.id == made["ann1"].id).values(username=EVIL))
        s.execute(update(UserRow).where(UserRow.id == made["ann2"].id).values(username="=HYPERLINK(1)"))
    c, h = _client(db, "lead")
    page = c.get(f"/projects/{p.id}/dashboard", headers=h["lead"])
    assert page.status_code == 200
    html = page.text
    assert "<img src=x" not in html and EVIL not in html            # escaped wherever it is shown
    m = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html, re.DOTALL)
    assert m is not None
    specs = json.loads(m.group(1))                                   # the element ends where it should
    trainers = next(s for s in specs if s["type"] == "bar" and s.get("y2_label"))
    assert EVIL in trainers["labels"]                                # and the data still carries the name
    matrix = next(s for s in specs if s["type"] == "matrix")
    assert EVIL in (matrix["y_label"] + matrix["x_label"])
    assert html.count("<script") == html.count("</script>")
    # the CSV neutralises a cell a spreadsheet would run as a formula, and keeps the name otherwise
    rows = _csv(c.get(f"/projects/{p.id}/dashboard/charts/trainers.csv", headers=h["lead"]).text)
    assert {r[0] for r in rows[1:]} == {EVIL, "'=HYPERLINK(1)", "ann3"}
    # the confusion pickers accept the stored name back
    r = c.get(f"/projects/{p.id}/dashboard/charts/confusion.csv",
              params={"question": "preference", "a": EVIL, "b": "=HYPERLINK(1)"}, headers=h["lead"])
    assert r.status_code == 200 and _csv(r.text)[1] == ["a", "1", "0", "1"]


def test_odd_stored_answers_do_not_break_the_dashboard(db):
    """A score far outside its scale and a half-broken answer (e.g. from an old import) still give a page."""
    from assay.store.tables import AnnotationRow

    p, _, made = build(db)
    with db.write() as s:
        s.execute(update(AnnotationRow).where(AnnotationRow.user_id == made["ann1"].id).values(
            answers={"preference": {"choice": 7}, "quality": {"scores": {"0": {"helpful": 10**9}, "x": "y"}}}))
    c, h = _client(db, "lead")
    page = c.get(f"/projects/{p.id}/dashboard", headers=h["lead"])
    assert page.status_code == 200
    ratings = _csv(c.get(f"/projects/{p.id}/dashboard/charts/ratings.csv", headers=h["lead"]).text)
    # ann1's four non-gold answers now score 10**9 once each; ann2's scores stay (1 ×2, 2 ×3, 3 ×3)
    assert {int(r[2]): int(r[3]) for r in ratings[1:]} == {1: 2, 2: 3, 3: 3, 10**9: 4}


def test_a_confusion_choice_that_does_not_fit_shows_the_default_with_a_note(db):
    p, _, _ = build(db)
    c, h = _client(db, "lead")
    r = c.get(f"/projects/{p.id}/dashboard", params={"question": "quality.helpful", "a": "ann3", "b": "ann1"},
              headers=h["lead"])
    assert r.status_code == 200
    note = re.search(r'data-testid="confusion-note">(.*?)</p>', r.text).group(1)
    assert "ann3" in note and "Showing quality.helpful: ann1 and ann2 instead" in note
    same = c.get(f"/projects/{p.id}/dashboard", params={"question": "preference", "a": "ann1", "b": "ann1"},
                 headers=h["lead"])
    assert same.status_code == 200 and "two different annotators" in same.text
    strict = c.get(f"/projects/{p.id}/dashboard/charts/confusion.csv",
                   params={"question": "quality.helpful", "a": "ann3", "b": "ann1"}, headers=h["lead"])
    assert strict.status_code == 422 and "ann3" in strict.text
