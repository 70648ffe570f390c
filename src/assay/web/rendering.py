"""Rendering untrusted text: markdown → HTML, code highlighted with Pygments, sanitised by nh3; and text that
is not valid Unicode made showable everywhere.

Raw HTML in the input is never passed through (markdown-it's `html` option is off, and nh3 cleans the
result with an allow-list), links get rel="noopener noreferrer nofollow", and only http(s)/mailto URLs
survive. A markdown image is never fetched by the browser: it is shown as a link to its address (a remote
image would tell its host who viewed which record, and when); the Content-Security-Policy allows images only
from this server and `data:` anyway.

Stored text may hold lone surrogates (imported before imports refused them, or sent in an answer): UTF-8
cannot encode them, so one such character used to make a whole page or JSON answer fail with 500.
`displayable` replaces each with U+FFFD; templates apply it to every value they print (`finalize`, set on the
Jinja environment), the markdown and code filters to their input, `SafeJSONResponse` (the API's default
response class) and `model_json` to the JSON they send.
"""

from __future__ import annotations

import functools
import html
import json
import re
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup
from pydantic import BaseModel
from pydantic_core import PydanticSerializationError
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name, guess_lexer
from pygments.util import ClassNotFound
from starlette.responses import JSONResponse

_FORMATTER = HtmlFormatter(nowrap=True, classprefix="hl-")
ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "h1", "h2", "h3",
    "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "a", "span", "div", "sup", "sub",
}
ALLOWED_ATTRIBUTES = {
    "span": {"class"}, "code": {"class"}, "pre": {"class"}, "div": {"class"}, "a": {"href", "title"},
    "th": {"style"}, "td": {"style"}, "ol": {"start"},
}
SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def displayable(text: str) -> str:
    """`text` with every lone surrogate (not encodable as UTF-8) replaced by U+FFFD; other text unchanged."""
    return SURROGATE.sub(REPLACEMENT, text) if SURROGATE.search(text) else text


def finalize(value: Any) -> Any:
    """Jinja's `finalize` hook: every printed string made `displayable`, keeping `Markup` as markup."""
    if isinstance(value, str) and SURROGATE.search(value):
        return Markup(displayable(str(value))) if isinstance(value, Markup) else displayable(value)
    return value


class SafeJSONResponse(JSONResponse):
    """Starlette's JSONResponse, with lone surrogates in any string sent as U+FFFD instead of failing."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
        return displayable(text).encode("utf-8")


def model_json(model: BaseModel) -> bytes:
    """`model.model_dump_json()`, or, when a string in it holds a lone surrogate, the same JSON with U+FFFD
    in its place (the fast path stays pydantic's serialiser)."""
    try:
        return model.model_dump_json().encode("utf-8")
    except PydanticSerializationError:
        return SafeJSONResponse(None).render(model.model_dump(mode="json"))


def _highlight(code: str, lang: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(lang) if lang else guess_lexer(code) if len(code) > 40 else TextLexer()
    except ClassNotFound:
        lexer = TextLexer()
    name = html.escape(lexer.aliases[0] if lexer.aliases else "text")
    return f'<pre class="code"><code class="language-{name}">{highlight(code, lexer, _FORMATTER)}</code></pre>'


def _image_as_link(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    """A markdown image rendered as a link to its address, labelled with its alt text (never an <img>)."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    label = self.renderInlineAsText(token.children or [], options, env) or src or "image"
    return f'<a href="{html.escape(src)}">[image: {html.escape(label)}]</a>'


@functools.cache
def _md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False,
                                   "highlight": _highlight, "breaks": True})
    md.enable("table").enable("strikethrough")
    md.add_render_rule("image", _image_as_link)
    return md


def sanitize(fragment: str) -> str:
    """Clean an HTML fragment with the allow-list above."""
    return nh3.clean(fragment, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")


def render_markdown(text: str) -> str:
    """Untrusted markdown → safe HTML (images as links to their address)."""
    return sanitize(_md().render(displayable(text or "")))


def render_code(code: str, language: str = "python") -> str:
    """A block of code → highlighted, safe HTML."""
    return sanitize(_highlight(displayable(code or ""), language, ""))


def pygments_css() -> str:
    """The stylesheet for highlighted code (served as a static route)."""
    return str(_FORMATTER.get_style_defs(".code"))
