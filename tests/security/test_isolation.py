"""An annotator cannot reach what is not theirs: other people's annotations and drafts, gold answers,
review comments, records outside their queue, other projects, exports — by guessing ids in pages,
htmx fragments and JSON alike."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.security.conftest import as_role
from tests.security.world import ANN2_SECRET, GOLD_SECRET, OTHER_PROJECT_SECRET, REVIEW_SECRET, World

HIDDEN = (ANN2_SECRET, GOLD_SECRET, REVIEW_SECRET, OTHER_PROJECT_SECRET)


def _hdr(w: World, role: str = "annotator") -> dict[str, str]:
    return {"X-CSRF-Token": w.csrf[role]}


def _assert_hidden(r: object, what: str) -> None:
    text = r.text  # type: ignore[attr-defined]
    for secret in HIDDEN:
        assert secret not in text, f"{what} leaks {secret}"


@pytest.mark.slow
def test_other_records_by_guessed_ids_are_not_found(client: TestClient, world: World) -> None:
    c = as_role(client, world, "annotator")
    p, q = world.project_id, world.other_project_id
    guesses = [(p, world.ann2_lease_record), (p, world.free_record), (p, world.gold_record),
               (q, world.other_record), (p, world.other_record), (q, world.lease_record), (p, 999999)]
    for pid, rid in guesses:
        for url in (f"/projects/{pid}/records/{rid}", f"/api/v1/projects/{pid}/records/{rid}/task",
                    f"/api/v1/projects/{pid}/records/{rid}/suggestions"):
            r = c.get(url)
            assert r.status_code == 404, f"{url}: {r.status_code}"
            _assert_hidden(r, url)
        r = c.get(f"/projects/{pid}/records/{rid}", headers={"HX-Request": "true"})  # htmx fragment
        assert r.status_code == 404
        _assert_hidden(r, "fragment")


@pytest.mark.slow
def test_cannot_write_someone_elses_draft_or_submit_or_skip(client: TestClient, world: World) -> None:
    c = as_role(client, world, "annotator")
    p, rid = world.project_id, world.ann2_lease_record
    body = {"answers": {"preference": {"choice": "b", "strength": 1}}, "active_seconds": 1}
    assert c.put(f"/api/v1/projects/{p}/records/{rid}/draft", json=body, headers=_hdr(world)).status_code == 404
    assert c.post(f"/api/v1/projects/{p}/records/{rid}/submit", json=body, headers=_hdr(world)).status_code == 404
    assert c.post(f"/api/v1/projects/{p}/records/{rid}/skip", json={"reason": "x"},
                  headers=_hdr(world)).status_code == 404
    assert c.post(f"/projects/{p}/records/{rid}/submit", data={"a.preference.choice": "b"},
                  headers=_hdr(world)).status_code == 404
    # ann2's draft is untouched: ann2 still sees their own words
    r = client.get(f"/api/v1/projects/{p}/records/{rid}/task",
                   headers={"Authorization": f"Bearer {_ann2_token(client, world)}"})
    assert r.status_code == 200 and ANN2_SECRET + "-draft" in r.text


def _ann2_token(client: TestClient, world: World) -> str:
    from assay.services.accounts import auth

    db = client.app.state.ctx.db  # type: ignore[attr-defined]
    return auth.create_api_token(db, world.user_ids["ann2"], "t", "read")[0]


def test_annotations_feed_gives_an_annotator_only_their_own(client: TestClient, world: World) -> None:
    c = as_role(client, world, "annotator")
    r = c.get(f"/api/v1/projects/{world.project_id}/annotations")
    assert r.status_code == 200
    items = r.json()["items"]
    assert items and all(a["record_id"] == world.shared_record for a in items)
    assert {a["annotator"] for a in items} == {"ann1"}
    _assert_hidden(r, "annotations feed")


def test_my_own_task_shows_my_answers_but_nobody_elses(client: TestClient, world: World) -> None:
    c = as_role(client, world, "annotator")
    for url in (f"/projects/{world.project_id}/records/{world.lease_record}",
                f"/api/v1/projects/{world.project_id}/records/{world.lease_record}/task",
                f"/projects/{world.project_id}", "/projects", f"/api/v1/projects/{world.project_id}"):
        r = c.get(url)
        assert r.status_code == 200, url
        _assert_hidden(r, url)


def test_other_project_is_invisible(client: TestClient, world: World) -> None:
    c = as_role(client, world, "annotator")
    q = world.other_project_id
    for url in (f"/projects/{q}", f"/api/v1/projects/{q}", f"/projects/{q}/next",
                f"/api/v1/projects/{q}/annotations", f"/api/v1/projects/{q}/records"):
        r = c.get(url)
        assert r.status_code == 404, f"{url}: {r.status_code}"
        _assert_hidden(r, url)
    r = c.post(f"/api/v1/projects/{q}/next", headers=_hdr(world))
    assert r.status_code == 404
    listed = c.get("/api/v1/projects").json()
    assert [x["id"] for x in listed] == [world.project_id]


@pytest.mark.parametrize("role", ["annotator", "reviewer", "outsider"])
@pytest.mark.slow
def test_exports_are_refused_to_non_leads(client: TestClient, world: World, role: str) -> None:
    c = as_role(client, world, role)
    p = world.project_id
    assert c.post(f"/projects/{p}/export", data={"fmt": "raw"}, headers=_hdr(world, role)).status_code in (403, 404)
    assert c.post(f"/api/v1/projects/{p}/exports", json={"format": "raw"},
                  headers=_hdr(world, role)).status_code in (403, 404)
    assert c.get(f"/api/v1/projects/{p}/exports").status_code in (403, 404)
    r = c.get(f"/api/v1/projects/{p}/exports/{world.export_id}/files/{world.export_file}")
    assert r.status_code in (403, 404)
    _assert_hidden(r, "export file")


def test_the_lead_export_does_not_carry_gold_answers_as_judgments(client: TestClient, world: World) -> None:
    """Leads may export; the export holds submitted annotations, never the gold key as a person's answer."""
    c = as_role(client, world, "lead")
    r = c.get(f"/api/v1/projects/{world.project_id}/exports/{world.export_id}/files/{world.export_file}")
    assert r.status_code == 200
    assert GOLD_SECRET not in r.text

