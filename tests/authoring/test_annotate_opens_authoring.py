""""Annotate" on an authoring project opens the authoring page instead of "Nothing more for you here"
(issue 19, item 8); the project menu shows "Write with the model" there."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("mode", ["chat", "redteam", "prompt"])
def test_next_on_an_authoring_project_opens_the_authoring_page(env, web, mode: str) -> None:  # type: ignore[no-untyped-def]
    pid = env.project_id(mode)
    client = web.client("annotator1")
    r = client.get(f"/projects/{pid}/next", follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    assert r.headers["location"] == f"/projects/{pid}/author"
    page = client.get(f"/projects/{pid}/author")
    assert page.status_code == 200
    assert 'data-testid="nav-author" aria-current="page"' in page.text
    overview = client.get(f"/projects/{pid}").text
    assert 'data-testid="author"' in overview  # the overview's button
    assert ('data-testid="start"' in overview) == (mode == "prompt")  # judging written prompts: prompt mode only
