"""Record text is hostile: every HTML page and fragment that shows records escapes (or sanitises) it.

The world's records carry `<script>` and an `<img onerror>` in prompts, completions and metadata. Every GET
page of the permission matrix (so new pages are covered as they are added) is fetched as each signed-in
role; no body may contain the markup live.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.security.routes import call, fill
from tests.security.test_permission_matrix import RULES, _client
from tests.security.world import World, copy_world


class LiveMarkup(HTMLParser):
    """Collects what a browser would run: inline script bodies, on* handler attributes, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = dict(attrs).get("type") or ""
        # JSON data blocks (<script type="application/json">) are not executed; a breakout from one
        # would show up as a new tag here
        self._in_script = tag == "script" and kind not in ("application/json", "application/ld+json")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append(f"inline script {data.strip()[:60]!r}")


def live_markup(body: str) -> list[str]:
    p = LiveMarkup()
    p.feed(body)
    return p.found

PAGES = sorted(k for k in RULES if k.startswith("GET /") and not k.startswith("GET /api/")
               and k not in ("GET /api/docs", "GET /docs/oauth2-redirect"))


@pytest.mark.slow
def test_pages_escape_hostile_record_text(world_template: World, tmp_path: Path) -> None:
    w = copy_world(world_template, tmp_path / "w")
    client, db = _client(w)
    shown = 0
    try:
        for key in PAGES:
            path = key.split(" ", 1)[1]
            for role in ("admin", "lead", "reviewer", "annotator"):
                for htmx in (False, True):
                    client.headers.pop("HX-Request", None)
                    if htmx:
                        client.headers["HX-Request"] = "true"
                    resp = call(client, w, role, "GET", path, RULES[key])
                    body = resp.text
                    found = live_markup(body)
                    assert not found, f"{fill(path, RULES[key], w, role)} as {role}: live markup {found}"
                    shown += "pwned" in body
    finally:
        client.close()
        db.close()  # type: ignore[attr-defined]
    assert shown, "no page showed the hostile record text at all; the test would prove nothing"


@pytest.mark.parametrize("text", ['<script>alert("pwned")</script>', '<img src=x onerror="alert(1)">',
                                  "[x](javascript:alert(1))", '<a href="javascript:alert(1)">x</a>'])
def test_markdown_filter_sanitises(text: str) -> None:
    from assay.web.rendering import render_markdown

    assert not live_markup(str(render_markdown(text)))


def test_the_checker_sees_live_markup() -> None:
    assert live_markup('<p>x</p><script>alert(1)</script>')
    assert live_markup('<img src=x onerror="alert(1)">')
    assert live_markup('<a href=" javascript:alert(1)">x</a>')
    assert not live_markup('<p>&lt;script&gt;alert("pwned")&lt;/script&gt; onerror="alert(1)"</p>')
    assert not live_markup('<script src="/static/js/base.js" defer></script>')
    assert not live_markup('<script type="application/json">{"a": "\\u003cscript\\u003e"}</script>')
    assert live_markup('<script type="application/json">{"a": "</script><script>alert(1)</script>')
