"""Finding 13 of issue 18: leaks of information.

- The Content-Security-Policy allowed images from any `https:` host, and markdown images in model output
  became `<img>`: a remote host learnt which annotator viewed which record, and when. Now `img-src 'self'
  data:` and markdown images are shown as links.
- Export answers and 404s revealed absolute server paths (the export folder, the dataset store).
- An unhandled error under /api/v1 answered a plain-text 500 although every API error is documented as JSON.
- The answer to an unhandled error (500, JSON, page or htmx fragment) carried none of the security headers
  (CSP, nosniff, X-Frame-Options, no-store): the catch-all handler runs outside the SecurityHeaders middleware.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from assay.web.security import CSP
from tests.security.routes import check_security_headers
from tests.security.test_permission_matrix import _client
from tests.security.world import World, copy_world

TRACKER = "https://tracker.example/pixel.png?who=annotator"


class Images(HTMLParser):
    """The `src` of every <img> in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.sources.append(dict(attrs).get("src") or "")


def _images(body: str) -> list[str]:
    p = Images()
    p.feed(body)
    return p.sources


def _directive(csp: str, name: str) -> list[str]:
    for part in csp.split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    raise AssertionError(f"no {name} in {csp!r}")


@pytest.mark.slow
def test_csp_allows_images_only_from_this_server(client: TestClient) -> None:
    for path in ("/login", "/api/v1/me", "/static/assay.css"):
        csp = client.get(path).headers["content-security-policy"]
        assert _directive(csp, "img-src") == ["'self'", "data:"], (path, csp)


def test_markdown_images_in_model_output_are_links_not_fetched(world_template: World, tmp_path: Path) -> None:
    from assay.store.tables import CompletionRow
    from assay.web.security import SESSION_COOKIE

    w = copy_world(world_template, tmp_path / "w")
    client, db = _client(w)
    try:
        with db.write() as s:  # type: ignore[attr-defined]
            s.execute(update(CompletionRow).values(text=f"Look: ![chart]({TRACKER}) and ![](//cdn.example/x.gif)"))
        client.cookies.set(SESSION_COOKIE, w.sessions["annotator"])
        page = client.get(f"/projects/{w.project_id}/records/{w.lease_record}")
        assert page.status_code == 200
        assert _images(page.text) == [], _images(page.text)
        # the address is still there for the person to follow deliberately
        assert f'href="{TRACKER.replace("&", "&amp;")}"' in page.text and "[image: chart]" in page.text
    finally:
        client.close()
        db.close()  # type: ignore[attr-defined]


def _no_server_path(body: str, w: World) -> None:
    root = str(w.path.resolve())
    assert root not in body and str(w.path) not in body, body[:400]


def test_export_answers_name_files_not_server_paths(world: World, client: TestClient) -> None:
    lead = {"Authorization": f"Bearer {world.write_tokens['lead']}"}
    made = client.post(f"/api/v1/projects/{world.project_id}/exports", json={"format": "raw"}, headers=lead)
    assert made.status_code == 201, made.text
    _no_server_path(made.text, world)
    body = made.json()
    assert body["files"] == ["train.jsonl"] and body["card"] == "README.md"
    assert set(body["downloads"]) == {"train.jsonl", "README.md"}
    authored = client.post(f"/api/v1/projects/{world.project_id}/authoring/export", json={"format": "sft"},
                           headers=lead)
    assert authored.status_code == 200, authored.text
    _no_server_path(authored.text, world)
    assert authored.json()["card"] == "README.md"


def test_not_found_answers_reveal_no_server_path(world: World, client: TestClient) -> None:
    from assay.web.security import SESSION_COOKIE

    admin = {"Authorization": f"Bearer {world.write_tokens['admin']}"}
    pid = world.project_id
    api = ["/api/v1/datasets/nope/versions", "/api/v1/datasets/nope/versions/latest",
           f"/api/v1/datasets/{world.dataset}/versions/99", "/api/v1/explore/nope@1/cache",
           "/api/v1/explore/nope@1/lineage", f"/api/v1/projects/{pid}/exports/raw-20990101T000000/files/train.jsonl",
           f"/api/v1/projects/{pid}/exports/{world.export_id}/files/test.jsonl", "/api/v1/no-such-route"]
    for path in api:
        resp = client.get(path, headers=admin)
        assert resp.status_code == 404, (path, resp.status_code, resp.text)
        assert resp.headers["content-type"].startswith("application/json")
        _no_server_path(resp.text, world)
    client.cookies.set(SESSION_COOKIE, world.sessions["admin"])
    for path in ("/explore/nope@1", "/explore/nope@1/stats", f"/explore/{world.dataset}@99", "/no-such-page"):
        resp = client.get(path)
        assert resp.status_code == 404, (path, resp.status_code)
        _no_server_path(resp.text, world)


def test_an_unhandled_error_under_the_api_answers_json(world: World) -> None:
    from assay.store.db import open_db
    from assay.web.app import create_app
    from tests.security.world import settings_for

    db = open_db(settings_for(world.path), migrate=False)
    app = create_app(settings_for(world.path), db)

    def boom() -> None:
        raise RuntimeError(f"a bug that mentions {world.path.resolve()}")

    # stands for any bug in a handler; routes are matched in order, so it is added before the pages
    app.router.add_api_route("/api/v1/test-only/boom", boom)
    app.router.add_api_route("/test-only/boom", boom)
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            c.headers["Authorization"] = f"Bearer {world.write_tokens['admin']}"
            resp = c.get("/api/v1/test-only/boom")
            assert resp.status_code == 500
            assert resp.headers["content-type"].startswith("application/json"), resp.text
            assert resp.json()["error"]["code"] == "internal"
            _no_server_path(resp.text, world)
            page = c.get("/test-only/boom")
            assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
            _no_server_path(page.text, world)
            fragment = c.get("/test-only/boom", headers={"HX-Request": "true"})
            assert fragment.status_code == 500 and 'role="alert"' in fragment.text
            # the catch-all handler runs outside SecurityHeaders (in Starlette's ServerErrorMiddleware): its
            # answers used to carry no CSP, nosniff, frame or cache headers
            for answer, where in ((resp, "API 500"), (page, "page 500"), (fragment, "htmx 500")):
                check_security_headers(answer, where)
                assert answer.headers.get("cache-control") == "no-store", where
                assert answer.headers.get("cross-origin-opener-policy") == "same-origin", where
                assert answer.headers.get_list("content-security-policy") == [CSP], where  # exactly once
    finally:
        db.close()
