"""The project editor's preview endpoints are open to untrusted input: who may call them, YAML bombs and huge
or deep documents are refused with a clear error (quickly, without building them), and record text and
typed settings reach the preview escaped."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from assay.domain.records import Completion, Message, Record
from assay.services.projects import gallery
from assay.services.projects.spec_check import MAX_BRACKETS, MAX_CHARS, MAX_INDENT, MAX_NODES, check_text
from tests.security.conftest import as_role
from tests.security.test_escaping import live_markup
from tests.security.world import World

OK_YAML = "name: fine\nquestions:\n  - {name: preference, kind: pairwise}\n"
BOMB = """\
name: bomb
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
questions: *i
"""


def _post(client: TestClient, world: World, role: str, url: str, text: str):  # type: ignore[no-untyped-def]
    as_role(client, world, role)
    headers = {"HX-Request": "true"}
    if role in world.csrf:
        headers["X-CSRF-Token"] = world.csrf[role]
    return client.post(url, data={"source": "yaml", "yaml": text}, headers=headers)


def test_the_previews_answer_only_those_who_may_create_or_manage(client, world) -> None:
    """The new-project preview: site admins and leads; a project's setup preview: its leads and admins
    (a non-member is told the project does not exist). One world for every role (the fast loop)."""
    for role, status in (("annotator", 403), ("reviewer", 403), ("outsider", 403), ("anon", 401), ("lead", 200),
                         ("admin", 200)):
        r = _post(client, world, role, "/new-project/preview", OK_YAML)
        assert r.status_code == status, (role, r.text[:200])
        assert ('data-testid="preview-q-preference"' in r.text) == (status == 200), role
    for role, status in (("annotator", 403), ("reviewer", 403), ("outsider", 404), ("lead", 200), ("admin", 200)):
        r = _post(client, world, role, f"/projects/{world.project_id}/setup/preview", OK_YAML)
        assert r.status_code == status, (role, r.text[:200])
        assert ("preview-q-" in r.text) == (status == 200), role


def test_a_yaml_bomb_is_refused_before_it_is_built(client, world) -> None:
    t0 = time.perf_counter()
    checked = check_text(BOMB)
    took = time.perf_counter() - t0
    assert not checked.ok and checked.data is None
    assert f"more than {MAX_NODES:,} values" in checked.errors[0].message
    r = _post(client, world, "lead", "/new-project/preview", BOMB)
    assert r.status_code == 200 and "aliases" in r.text and r.headers.get("HX-Reswap") == "none"
    assert took < 5, f"the bomb took {took:.1f} s to refuse"  # 9**9 values were never built


def test_recursive_alias_deep_nesting_and_huge_input_are_refused(client, world) -> None:
    recursive = check_text("name: x\nquestions: &q [*q]\n")
    assert not recursive.ok
    # PyYAML's scanner is quadratic in nesting depth (5,000 '[' took 11 s): deep documents are refused unread
    t0 = time.perf_counter()
    deep = check_text("name: x\nquestions: " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert not deep.ok and f"more than {MAX_BRACKETS}" in deep.errors[0].message and deep.errors[0].line == 2
    hidden = check_text("name: x\nq: '" + "[" * 5_000 + "'\n")  # quoted brackets count too: a sound bound
    assert not hidden.ok and f"more than {MAX_BRACKETS}" in hidden.errors[0].message
    block = check_text("name: x\nq:\n" + "".join(" " * i + "- \n" for i in range(400)))
    assert not block.ok and f"indented more than {MAX_INDENT}" in block.errors[0].message
    assert time.perf_counter() - t0 < 2
    huge = "name: x\nguidelines: " + "a" * (MAX_CHARS + 10) + "\nquestions: []\n"
    r = _post(client, world, "lead", "/new-project/preview", huge)
    assert r.status_code == 200 and f"at most {MAX_CHARS:,}" in r.text
    # a body over the server's limit is refused before any parsing
    r = _post(client, world, "lead", "/new-project/preview", "x" * (2 * 1024 * 1024 + 1))
    assert r.status_code == 413


def test_sample_text_and_typed_settings_are_escaped(client, world, monkeypatch) -> None:
    hostile = Record(external_id="<b>x</b>", messages=[Message("user", "<script>alert('prompt')</script> hi")],
                     completions=[Completion(text="<img src=x onerror=alert(1)> reply"),
                                  Completion(text='<a href="javascript:alert(2)">click</a>')])
    monkeypatch.setattr(gallery, "samples_for", lambda kinds, preferred=(): (hostile,))
    text = ("name: esc\nguidelines: \"<script>alert('g')</script>\"\nquestions:\n"
            "  - name: preference\n    kind: pairwise\n    title: \"<img src=y onerror=alert(3)>\"\n"
            "    help: \"<svg onload=alert(4)>\"\n"
            "  - name: tags\n    kind: labels\n    options: {choices: ['<i onmouseover=alert(5)>x</i>']}\n"
            "  - name: errors\n    kind: spans\n")
    r = _post(client, world, "lead", "/new-project/preview", text)
    assert r.status_code == 200 and 'data-testid="preview-q-tags"' in r.text
    assert live_markup(r.text) == []
    assert "&lt;img src=x onerror=alert(1)&gt;" in r.text  # shown as text in the span view
    assert "&lt;img src=y onerror=alert(3)&gt;" in r.text


@pytest.mark.parametrize("kind", ["labels", "ranking", "rating", "spans", "code_review"])
def test_a_stored_answer_cannot_break_out_of_the_hidden_answer_input(kind: str) -> None:
    """The question components keep the answer as JSON in a hidden input; a `"` in a trainer's note or
    test must not end the attribute (found while building the editor's preview: they were double-quoted)."""
    from assay.domain.questions import Question
    from assay.web.app import _templates

    env = _templates().env
    hostile = '" autofocus onfocus="alert(1)" x="'
    rec = Record(external_id="r", messages=[Message("user", "q")],
                 completions=[Completion(text="one two three"), Completion(text="four five")])
    answer = {"spans": [{"completion": 0, "start": 0, "end": 3, "label": "x", "note": hostile}],
              "labels": [hostile], "order": [[0], [1]], "scores": {"0": {hostile: 1}},
              "tests": hostile, "rationale": hostile, "verdicts": {}}
    q = Question(name="q", kind=kind, options={"choices": [hostile], "labels": ["x"],
                                               "dimensions": [{"name": "d", "min": 1, "max": 2}]})
    body = env.get_template(f"questions/{kind}.html").render(
        q=q, answer=answer, rec=rec, task={"record": rec, "record_id": 1, "answers": {}}, project={"id": 1},
        code_panel_html="<p>panel</p>")
    assert live_markup(body) == [], body[:400]
