"""Finding 7 of issue 18: one record holding a lone surrogate (`"\\ud800"` in JSON) broke a project. Import
accepted it; then the record list, the annotator's next, the annotate page and pull answered 500 (UTF-8 cannot
encode a lone surrogate), and the record stayed leased.

Now imports refuse such text naming the line (or request item) and the field, and text already stored (put
here straight into the database, as an older version could have) is shown with U+FFFD in its place: no page
or JSON answer fails because of it (a surrogate in a metadata key included), and a pull writes it as U+FFFD
into the dataset version, saying how many it replaced.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, update

from assay.domain.records import Completion, Message, Record
from assay.errors import Invalid
from assay.formats import load_records
from tests.security.routes import call
from tests.security.test_escaping import PAGES
from tests.security.test_permission_matrix import RULES, _client
from tests.security.world import World, copy_world

LONE = "\ud800"
# a JSON file spells it as an escape: the bytes are valid UTF-8, the decoded text is not valid Unicode
ESCAPED = "\\ud800"


def _jsonl(tmp_path: Path, bad_line: str) -> Path:
    good = {"id": "r1", "prompt": "Which is better?", "completions": [{"text": "A"}, {"text": "B"}]}
    path = tmp_path / "records.jsonl"
    path.write_text(json.dumps(good) + "\n" + bad_line + "\n" + json.dumps({**good, "id": "r3"}) + "\n")
    return path


@pytest.mark.parametrize(("line", "field"), [
    ('{"id": "r2", "prompt": "Which?", "completions": [{"text": "A"}, {"text": "B ' + ESCAPED + ' end"}]}',
     "completions[1].text"),
    ('{"id": "r2", "messages": [{"role": "user", "content": "hi ' + ESCAPED + '"}], "completions": [{"text": "A"}]}',
     "messages[0].content"),
    ('{"id": "r2", "prompt": "Which?", "completions": [{"text": "A"}], "metadata": {"tags": ["x", "' + ESCAPED + '"]}}',
     "metadata.tags[1]"),
    ('{"id": "r2", "prompt": "Which?", "completions": [{"text": "A"}], "metadata": {"k' + ESCAPED + '": 1}}',
     "metadata.k\\ud800"),
])
def test_file_import_refuses_a_lone_surrogate_naming_line_and_field(tmp_path: Path, line: str, field: str) -> None:
    path = _jsonl(tmp_path, line)
    with pytest.raises(Invalid) as e:
        load_records(path)
    assert e.value.details["line"] == 2
    assert e.value.details["field"] == field
    assert f"records.jsonl line 2, field {field}: " in e.value.message
    assert "surrogate" in e.value.message
    e.value.message.encode("utf-8")  # the error itself can be shown and sent


def test_file_import_refuses_a_lone_surrogate_in_a_json_array(tmp_path: Path) -> None:
    path = tmp_path / "records.json"
    path.write_text('[{"id": "a", "prompt": "ok", "completions": [{"text": "A"}]},\n'
                    ' {"id": "b", "prompt": "bad ' + ESCAPED + '", "completions": [{"text": "A"}]}]')
    with pytest.raises(Invalid) as e:
        load_records(path)
    assert (e.value.details["unit"], e.value.details["line"], e.value.details["field"]) == ("record", 2, "prompt")


def test_paired_surrogate_escapes_are_ordinary_text(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, '{"id": "r2", "prompt": "smile \\ud83d\\ude00", "completions": [{"text": "A"}]}')
    assert load_records(path)[1].messages[-1].content == "smile \U0001f600"


def test_api_import_refuses_a_lone_surrogate_and_imports_nothing(world: World, client) -> None:  # type: ignore[no-untyped-def]
    body = ('[{"id": "fine", "prompt": "ok", "completions": [{"text": "A", "model": "m"}, {"text": "B", "model": "m"}]},'
            ' {"id": "bad", "prompt": "ok", "completions": [{"text": "A", "model": "m"},'
            ' {"text": "B ' + ESCAPED + '", "model": "m"}]}]')
    headers = {"Authorization": f"Bearer {world.write_tokens['lead']}", "Content-Type": "application/json"}
    resp = client.post(f"/api/v1/projects/{world.project_id}/records", content=body, headers=headers)
    assert resp.status_code == 422, resp.text
    err = resp.json()["error"]
    assert err["details"]["field"] == "completions[1].text"
    assert err["message"].startswith("request item 1, field completions[1].text: ")
    listed = client.get(f"/api/v1/projects/{world.project_id}/records", headers=headers).json()["items"]
    assert {x["record"]["id"] for x in listed}.isdisjoint({"fine", "bad"})  # all or nothing


def test_service_import_refuses_a_lone_surrogate(world: World) -> None:
    from assay.services.projects import records
    from assay.store.db import open_db
    from tests.security.world import settings_for

    rec = Record(external_id="x", messages=[Message("user", "fine")], source="data.jsonl:7",
                 completions=[Completion("A", "m"), Completion("B", "m", metadata={"note": "n" + LONE})])
    db = open_db(settings_for(world.path), migrate=False)
    try:
        with pytest.raises(Invalid) as e:
            records.import_records(db, world.project_id, [rec])
    finally:
        db.close()
    assert e.value.message.startswith("data.jsonl line 7, field completions[1].metadata.note: ")


def _answering_client(w: World):  # type: ignore[no-untyped-def]
    """The permission matrix's client over `w`, answering 500 for a server error instead of raising it."""
    from fastapi.testclient import TestClient

    raising, db = _client(w)
    raising.close()
    return TestClient(raising.app, raise_server_exceptions=False, follow_redirects=False), db


def _store_surrogates(db, w: World) -> int:  # type: ignore[no-untyped-def]
    """Put lone surrogates into every record of project P straight through the store (prompt, metadata,
    completion metadata) and add one fresh record holding them at the top of the queue; its id."""
    from assay.store.tables import CompletionRow, RecordRow

    hostile = f"bad {LONE} text"
    with db.write() as s:
        s.execute(update(RecordRow).where(RecordRow.project_id == w.project_id).values(
            messages=[{"role": "user", "content": f"Which is better? {hostile}"}],
            meta={"note": hostile, "tags": [hostile], f"key {LONE}": hostile}))
        for c in s.scalars(select(CompletionRow).join(RecordRow).where(RecordRow.project_id == w.project_id)):
            c.meta = {"why": hostile, f"k{LONE}": 1}
        row = RecordRow(project_id=w.project_id, external_id="surrogate-record", priority=100,
                        messages=[{"role": "system", "content": hostile}, {"role": "user", "content": hostile}],
                        meta={"note": hostile}, source="old.jsonl:1")
        row.completions = [CompletionRow(position=i, model="m", text=f"**Answer {i}**", meta={"m": hostile})
                           for i in range(2)]
        s.add(row)
        s.flush()
        return int(row.id)


def _victim_credentials(db, w: World) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A session cookie and a write token for `victim`, an annotator of P with nothing leased."""
    from assay.services.accounts import auth
    from assay.services.accounts.passwords import new_token, token_digest
    from assay.store.tables import SessionRow

    tok = new_token()
    with db.write() as s:
        s.add(SessionRow(id=token_digest(tok), user_id=w.user_ids["victim"], csrf_token=new_token(24)))
    return tok, auth.create_api_token(db, w.user_ids["victim"], "victim", "write")[0]


def test_stored_lone_surrogates_never_make_the_annotator_path_answer_500(world_template: World,
                                                                         tmp_path: Path) -> None:
    from assay.web.security import SESSION_COOKIE

    w = copy_world(world_template, tmp_path / "w")
    client, db = _answering_client(w)
    try:
        record_id = _store_surrogates(db, w)
        session, token = _victim_credentials(db, w)
        bearer = {"Authorization": f"Bearer {token}"}
        nxt = client.post(f"/api/v1/projects/{w.project_id}/next", headers=bearer)
        assert nxt.status_code == 200, nxt.text
        task = nxt.json()
        assert task["record_id"] == record_id
        assert "bad \ufffd text" in json.dumps(task, ensure_ascii=False)
        again = client.get(f"/api/v1/projects/{w.project_id}/records/{record_id}/task", headers=bearer)
        assert again.status_code == 200 and again.json()["record_id"] == record_id
        client.cookies.set(SESSION_COOKIE, session)
        page = client.get(f"/projects/{w.project_id}/records/{record_id}")
        assert page.status_code == 200, page.text[:300]
        assert "bad \ufffd text" in page.text and "<strong>Answer 1</strong>" in page.text
        assert client.get(f"/projects/{w.project_id}/next").status_code == 303  # the live lease again
        client.cookies.clear()
        lead = {"Authorization": f"Bearer {w.write_tokens['lead']}"}
        listed = client.get(f"/api/v1/projects/{w.project_id}/records", headers=lead)
        assert listed.status_code == 200, listed.text
        assert any(x["record"]["metadata"].get("note") == "bad \ufffd text" for x in listed.json()["items"])
    finally:
        client.close()
        db.close()  # type: ignore[attr-defined]


def test_review_queue_shows_a_lone_surrogate_in_a_metadata_key(world_template: World, tmp_path: Path) -> None:
    """The review queue answered `plain(...)` data validated against `Any`: pydantic's JSON mode failed on a
    lone surrogate in a dict key (a record's metadata key) with 500."""
    w = copy_world(world_template, tmp_path / "w")
    client, db = _answering_client(w)
    try:
        _store_surrogates(db, w)
        resp = client.get(f"/api/v1/projects/{w.project_id}/review/queue",
                          headers={"Authorization": f"Bearer {w.write_tokens['lead']}"})
    finally:
        client.close()
        db.close()  # type: ignore[attr-defined]
    assert resp.status_code == 200, resp.text[:300]
    items = resp.json()
    assert items and all(x["record"]["metadata"]["key \ufffd"] == "bad \ufffd text" for x in items)


def _pull(client, w: World, name: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    resp = client.post(f"/api/v1/projects/{w.project_id}/pull", json={"name": name},
                       headers={"Authorization": f"Bearer {w.write_tokens['lead']}"})
    assert resp.status_code == 200, resp.text[:300]
    return dict(resp.json())


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (str(k), *_strings(v))]
    if isinstance(value, list):
        return [t for v in value for t in _strings(v)]
    return []


def test_pull_writes_stored_lone_surrogates_as_replacement_characters_and_counts_them(
        world_template: World, tmp_path: Path) -> None:
    """Pulling a project whose stored text holds lone surrogates used to fail (Arrow cannot encode them);
    now each is written as U+FFFD, the pull says how many, and the explorer shows the version."""
    from assay.datasets.store import open_store
    from assay.store.db import open_db
    from tests.security.world import settings_for

    w = copy_world(world_template, tmp_path / "w")
    client, db = _answering_client(w)
    try:
        _store_surrogates(db, w)
        version = _pull(client, w, "pulled-bad")
        lead = {"Authorization": f"Bearer {w.write_tokens['lead']}"}
        ref = version["ref"]
        shown = client.get(f"/api/v1/explore/{ref}/records/surrogate-record", headers=lead)
    finally:
        client.close()
        db.close()  # type: ignore[attr-defined]
    replaced = version["pipeline"]["replaced_lone_surrogates"]
    assert replaced > 0 and f"{replaced} lone surrogate" in version["note"]
    check = open_db(settings_for(w.path), migrate=False)
    try:
        store = open_store(check.settings.resolved_dataset_store)
        m = store.resolve(ref)
        cells = [t for table in store.iter_tables(m) for row in table.to_pylist() for t in _strings(row)]
    finally:
        check.close()
    text = "".join(cells)
    assert LONE not in text and text.count("\ufffd") == replaced  # every replacement counted, nothing else
    assert any(c == "bad \ufffd text" for c in cells)
    assert shown.status_code == 200, shown.text[:300]
    assert "bad \ufffd text" in shown.text


API_GETS = sorted(k for k in RULES if k.startswith("GET /api/v1/") and "{" in k)
DATASET_ROUTES = ("GET /explore", "GET /api/v1/explore/", "GET /api/v1/datasets")


@pytest.mark.slow  # every page and API read over a copied world: several seconds
def test_no_page_or_api_read_answers_500_over_stored_lone_surrogates(world_template: World,
                                                                     tmp_path: Path) -> None:
    """Every GET page and every GET API route of the permission matrix that takes an id, as each signed-in
    role, over a project whose records all hold lone surrogates; the explorer and dataset routes over the
    version pulled from that project."""
    from dataclasses import replace

    w = copy_world(world_template, tmp_path / "w")
    client, db = _answering_client(w)
    failures = []
    try:
        _store_surrogates(db, w)
        pulled = _pull(client, w, "pulled-bad")
        over_pull = World(**{**w.__dict__, "dataset": pulled["dataset"], "dataset_version": str(pulled["version"])})
        for key in (*PAGES, *API_GETS):
            path = key.split(" ", 1)[1]
            rule, world = RULES[key], w
            if key.startswith(DATASET_ROUTES):
                world = over_pull
                if "{record_id}" in path:
                    rule = replace(rule, params={**rule.params, "record_id": lambda w, r: "surrogate-record"})
            for role in ("admin", "lead", "reviewer", "annotator"):
                resp = call(client, world, role, "GET", path, rule)
                if resp.status_code >= 500:
                    failures.append(f"{key} as {role}: {resp.status_code} {resp.text[:120]!r}")
    finally:
        client.close()
        db.close()  # type: ignore[attr-defined]
    assert not failures, "\n".join(failures)
