"""The project editor over HTTP: the gallery, every template's preview (real question markup on its sample
records), inline errors with the line and field, form → YAML sync, creating from every template, clone and
setup."""

from __future__ import annotations

import html
import json
import re

import pytest
import yaml

from assay.domain.questions import QuestionKind
from assay.services.projects import gallery, projects

#: markup each question component writes (templates/questions/<kind>.html), by kind
MARKUP = {"pairwise": 'name="a.{n}.choice"', "ranking": 'data-testid="rank-{n}"', "rating": 'data-testid="rating-{n}"',
          "labels": "data-label=", "text": 'name="a.{n}.text"', "spans": 'data-testid="span-text-{n}-0"',
          "code_review": 'data-testid="candidate-0"'}


def _client(app, who: str):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    c = TestClient(app)
    r = c.get("/login")
    token = r.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = c.post("/login", data={"username": who, "password": f"{who}-demo-pass", "csrf_token": token})
    assert r.status_code in (200, 303)
    return c


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The app with the demo on one fresh database for the whole module (both back ends): the tests use
    their own project names, so they share it and the fast loop pays for one setup."""
    from assay.config import load_settings
    from assay.services.site.demo import ensure_demo
    from assay.store.db import open_db
    from assay.store.migrate import upgrade
    from assay.web.app import create_app
    from tests.conftest import PG_URL, reset_postgres

    data = tmp_path_factory.mktemp("new-project") / "data"
    if request.param == "postgres":
        reset_postgres(PG_URL)
        settings = load_settings(data_dir=data, database_url=PG_URL)
    else:
        settings = load_settings(data_dir=data)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    db = open_db(settings, migrate=False)
    ensure_demo(db)
    yield create_app(settings, db), db
    db.close()


@pytest.fixture(scope="module")
def db(served):  # type: ignore[no-untyped-def]
    return served[1]


@pytest.fixture(scope="module")
def admin(served):  # type: ignore[no-untyped-def]
    return _client(served[0], "admin")


def csrf(c, path: str = "/projects") -> str:  # type: ignore[no-untyped-def]
    return c.get(path).text.split('name="csrf-token" content="')[1].split('"')[0]


def editor_yaml(page_html: str) -> str:
    raw = page_html.split('data-testid="yaml-editor"')[1].split(">", 1)[1].split("</textarea>")[0]
    return html.unescape(raw)


def preview(c, text: str, url: str = "/new-project/preview", **extra: str):  # type: ignore[no-untyped-def]
    return c.post(url, data={"source": "yaml", "yaml": text, **extra},
                  headers={"HX-Request": "true", "X-CSRF-Token": csrf(c)})


def errors_of(r) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """(line, field, message) of each inline error in a response."""
    out = []
    for li in re.findall(r'<li data-testid="editor-error">(.*?)</li>', r.text, re.DOTALL):
        line = re.search(r'data-goto-line="(\d+)"', li)
        field = re.search(r'data-testid="error-field">(.*?)</code>', li)
        msg = re.search(r"<span>(.*?)</span>", li, re.DOTALL)
        out.append((line.group(1) if line else "", html.unescape(field.group(1)) if field else "",
                    html.unescape(msg.group(1)) if msg else ""))
    return out


def with_endpoint(db) -> str:  # type: ignore[no-untyped-def]
    """A site-wide model endpoint (the chat and red-team templates talk to one); nothing is called."""
    from assay.services.accounts import users
    from assay.services.authoring import endpoints

    from assay.errors import Conflict

    admin = users.find_user(db, "admin")
    try:
        endpoints.save_endpoint(db, admin, name="local-model", base_url="http://127.0.0.1:9/v1", model="m",
                                sampling={"temperature": 0.7})
    except Conflict:
        pass  # an earlier test of the module made it
    return "local-model"


def test_gallery_has_a_card_for_every_kind(admin, db) -> None:  # type: ignore[no-untyped-def]
    r = admin.get("/new-project")
    assert r.status_code == 200
    names = [t.name for t in gallery.templates()]
    for name in ("pairwise", "ranking", "rating", "labels", "gold_rewrite", "spans", "code_review", "mixed", "chat",
                 "redteam", "factcheck"):
        assert name in names
        assert f'data-testid="pick-{name}"' in r.text
    kinds = {k for t in gallery.templates() for k in t.kinds}
    assert kinds == {k.value for k in QuestionKind}
    assert "The trainer sees:" in r.text
    # the project list offers the way in
    assert 'data-testid="new-project-button"' in admin.get("/projects").text


@pytest.mark.slow  # every template rendered (0.8 s): CI runs it; the create test stays in the fast loop
def test_every_template_previews_with_real_question_markup(admin, db) -> None:  # type: ignore[no-untyped-def]
    with_endpoint(db)
    for t in gallery.templates():
        page = admin.get(f"/new-project?template={t.name}")
        assert page.status_code == 200, (t.name, page.text[:300])
        text = editor_yaml(page.text)
        assert yaml.safe_load(text)["name"] == t.project["name"]
        assert 'data-testid="preview-record"' in page.text  # the first render already has the preview
        r = preview(admin, text, template=t.name)
        assert r.status_code == 200, (t.name, r.text[:300])
        assert errors_of(r) == [], (t.name, errors_of(r))
        assert "HX-Reswap" not in r.headers
        for q in t.project["questions"]:
            assert f'data-testid="preview-q-{q["name"]}"' in r.text, (t.name, q["name"])
            assert MARKUP[q["kind"]].format(n=q["name"]) in r.text, (t.name, q["kind"])
        shown = gallery.samples_for(t.kinds, t.samples)[0]
        assert shown.external_id in r.text and html.escape(shown.messages[-1].content[:25], quote=False) in r.text


def test_a_syntax_error_names_its_line_and_keeps_the_preview(admin) -> None:  # type: ignore[no-untyped-def]
    text = "name: broken\nquestions:\n  - name: preference\n    kind: pairwise\n  title: [unclosed\n"
    r = preview(admin, text)
    assert r.status_code == 200
    assert r.headers.get("HX-Reswap") == "none"  # the last good preview stays
    errs = errors_of(r)
    assert len(errs) == 1 and "not valid YAML" in errs[0][2]
    assert errs[0][0] in ("5", "6")  # PyYAML reports the unclosed flow sequence where the document ends
    assert 'data-lines="' in r.text and 'hx-swap-oob="true"' in r.text


def test_an_invalid_setting_names_its_line_and_field(admin) -> None:  # type: ignore[no-untyped-def]
    text = ("name: ok-name\n"
            "annotators_per_record: 0\n"
            "questions:\n"
            "  - name: preference\n"
            "    kind: pairwise\n"
            "  - name: quality\n"
            "    kind: ratng\n"
            "  - name: rubric\n"
            "    kind: rating\n"
            "    options: {dimensions: []}\n"
            "settings:\n"
            "  gold: {rate: 2}\n")
    errs = errors_of(preview(admin, text))
    assert ("2", "annotators_per_record", "annotators_per_record must be between 1 and 50, not 0") in errs
    assert any(e[:2] == ("7", "questions[1].kind") and "ratng" in e[2] for e in errs), errs
    assert any(e[:2] == ("10", "questions[2].options.dimensions") for e in errs), errs
    assert any(e[:2] == ("12", "settings.gold") and "rate" in e[2] for e in errs), errs


def test_valid_questions_preview_even_while_other_fields_are_wrong(admin) -> None:  # type: ignore[no-untyped-def]
    r = preview(admin, "name: Not A Slug\nquestions:\n  - {name: preference, kind: pairwise}\n")
    assert errors_of(r)[0][:2] == ("1", "name")
    assert 'data-testid="preview-q-preference"' in r.text and "HX-Reswap" not in r.headers


def test_form_edits_come_back_as_yaml_and_yaml_edits_as_form(admin) -> None:  # type: ignore[no-untyped-def]
    form = {"source": "form", "name": "from-form", "title": "Made in the form", "annotators_per_record": "3",
            "lease_minutes": "15", "guidelines": "Read *carefully*.", "idle_seconds": "60",
            "settings_json": '{"review": {"mode": "all"}}',
            "q-0-name": "better", "q-0-kind": "pairwise", "q-0-title": "Which is better?", "q-0-required": "on",
            "q-1-name": "tags", "q-1-kind": "labels", "q-1-options": "{choices: [wrong, rude], multi: true}"}
    r = admin.post("/new-project/preview", data=form, headers={"HX-Request": "true", "X-CSRF-Token": csrf(admin)})
    assert r.status_code == 200 and errors_of(r) == []
    data = yaml.safe_load(editor_yaml(r.text))
    assert data["title"] == "Made in the form" and data["annotators_per_record"] == 3
    assert data["questions"][1] == {"name": "tags", "kind": "labels", "required": False,
                                    "options": {"choices": ["wrong", "rude"], "multi": True}}
    assert data["settings"]["review"] == {"mode": "all"}  # settings the form does not show are kept
    assert 'data-testid="preview-q-tags"' in r.text and 'data-label="rude"' in r.text
    # and a YAML edit fills the form (out of band)
    r = preview(admin, editor_yaml(r.text).replace("Made in the form", "Edited as YAML"))
    assert 'id="spec-form-fields"' in r.text and 'value="Edited as YAML"' in r.text
    # a form row whose options do not parse names the row
    bad = dict(form, **{"q-1-options": "{choices: [unclosed"})
    r = admin.post("/new-project/preview", data=bad, headers={"HX-Request": "true", "X-CSRF-Token": csrf(admin)})
    assert any(e[1] == "questions[1].options" for e in errors_of(r))


def test_create_works_for_every_template(admin, db) -> None:  # type: ignore[no-untyped-def]
    endpoint = with_endpoint(db)
    token = csrf(admin)
    for t in gallery.templates():
        text = editor_yaml(admin.get(f"/new-project?template={t.name}").text)
        r = admin.post("/new-project", data={"source": "yaml", "yaml": text, "template": t.name, "csrf_token": token},
                       follow_redirects=False)
        assert r.status_code == 303, (t.name, errors_of(r))
        p = projects.find_project(db, t.project["name"])
        assert r.headers["location"] == f"/projects/{p.id}"
        assert [q.name for q in p.questions] == [q["name"] for q in t.project["questions"]]
        assert projects.member_role(db, p.id, _uid(db, "admin")) == "lead"
        if t.needs_endpoint:
            assert p.settings["authoring"]["endpoints"] == [endpoint]
        # the new project's settings page opens in the same editor and links to the data import
        setup = admin.get(f"/projects/{p.id}/setup")
        assert setup.status_code == 200 and f"/projects/{p.id}/import" in setup.text
        assert yaml.safe_load(editor_yaml(setup.text))["name"] == p.name
    # the same name again is refused on the name's line, and nothing more is stored
    text = editor_yaml(admin.get("/new-project?template=pairwise").text)
    before = len(projects.list_projects(db, _user(db, "admin")))
    r = admin.post("/new-project", data={"source": "yaml", "yaml": text, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 409 and errors_of(r)[0][:2] == ("1", "name")
    assert len(projects.list_projects(db, _user(db, "admin"))) == before


def test_a_missing_model_endpoint_says_where_to_add_one(admin) -> None:  # type: ignore[no-untyped-def]
    text = editor_yaml(admin.get("/new-project?template=redteam").text)
    data = yaml.safe_load(text)
    data["name"], data["settings"]["authoring"]["endpoints"] = "needs-model", ["no-such-model"]
    r = admin.post("/new-project", data={"source": "yaml", "yaml": yaml.safe_dump(data), "csrf_token": csrf(admin)},
                   follow_redirects=False)
    assert r.status_code == 422
    err = [e for e in errors_of(r) if e[1] == "settings.authoring.endpoints"]
    assert err and "/authoring/endpoints" in err[0][2] and err[0][0]
    data["settings"]["authoring"]["endpoints"] = []  # a template before any endpoint exists
    r = admin.post("/new-project", data={"source": "yaml", "yaml": yaml.safe_dump(data), "csrf_token": csrf(admin)},
                   follow_redirects=False)
    assert r.status_code == 422 and any(e[1] == "settings.authoring.endpoints" for e in errors_of(r))


def test_clone_copies_settings_not_records(admin, db) -> None:  # type: ignore[no-untyped-def]
    demo = projects.find_project(db, "demo-pairwise")
    assert projects.progress(db, demo.id).records > 0
    page = admin.get(f"/projects/{demo.id}/clone")
    assert page.status_code == 200
    data = yaml.safe_load(editor_yaml(page.text))
    assert data["name"] == "demo-pairwise-copy" and data["guidelines"] == demo.guidelines
    r = admin.post("/new-project", data={"source": "yaml", "yaml": editor_yaml(page.text), "mode": "clone",
                                         "csrf_token": csrf(admin)}, follow_redirects=False)
    assert r.status_code == 303
    copy = projects.find_project(db, "demo-pairwise-copy")
    assert [q.to_dict() for q in copy.questions] == [q.to_dict() for q in demo.questions]
    assert copy.annotators_per_record == demo.annotators_per_record
    assert projects.progress(db, copy.id).records == 0
    # the next clone gets the next free name
    assert yaml.safe_load(editor_yaml(admin.get(f"/projects/{demo.id}/clone").text))["name"] == "demo-pairwise-copy-2"


def test_setup_saves_from_yaml_and_refuses_a_rename_on_its_line(admin, db) -> None:  # type: ignore[no-untyped-def]
    demo = projects.find_project(db, "demo-pairwise")
    page = admin.get(f"/projects/{demo.id}/setup")
    text = editor_yaml(page.text)
    token = csrf(admin)
    r = admin.post(f"/projects/{demo.id}/setup", data={"source": "yaml", "yaml": text.replace("name: demo-pairwise",
                                                                                             "name: renamed"),
                                                       "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 422 and errors_of(r)[0][:2] == ("1", "name")
    changed = text.replace("lease_minutes: 30", "lease_minutes: 45")
    r = admin.post(f"/projects/{demo.id}/setup", data={"source": "yaml", "yaml": changed, "csrf_token": token},
                   follow_redirects=False)
    assert r.status_code == 303
    assert projects.get_project(db, demo.id).lease_seconds == 45 * 60
    # its preview endpoint answers for the project's lead
    r = preview(admin, changed, url=f"/projects/{demo.id}/setup/preview")
    assert r.status_code == 200 and 'data-testid="preview-q-preference"' in r.text


def _user(db, name: str):  # type: ignore[no-untyped-def]
    from assay.services.accounts import users

    return users.find_user(db, name)


def _uid(db, name: str) -> int:  # type: ignore[no-untyped-def]
    return int(_user(db, name).id)


def test_json_twins_list_templates_and_check_files(admin) -> None:  # type: ignore[no-untyped-def]
    r = admin.get("/api/v1/project-templates")
    assert r.status_code == 200
    body = r.json()
    assert [t["name"] for t in body] == [t.name for t in gallery.templates()]
    for t in body:
        assert json.loads(json.dumps(yaml.safe_load(t["yaml"]))) == t["project"] and t["kinds"]
    headers = {"X-CSRF-Token": csrf(admin)}
    bad = "name: api-check\nquestions:\n  - name: q\n    kind: nope\n"
    r = admin.post("/api/v1/project-files/check", json={"yaml": bad}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["ok"] is False
    assert r.json()["errors"][0]["line"] == 4 and r.json()["errors"][0]["field"] == "questions[0].kind"
    r = admin.post("/api/v1/project-files/check", json={"yaml": body[0]["yaml"]}, headers=headers)
    assert r.json() == {"ok": True, "errors": [], "warnings": [], "project": body[0]["project"]}
    # what the API says matches what the page shows for the same text
    page_errors = errors_of(preview(admin, bad))
    assert [(str(e["line"]), e["field"], e["message"]) for e in admin.post(
        "/api/v1/project-files/check", json={"yaml": bad}, headers=headers).json()["errors"]] == page_errors
