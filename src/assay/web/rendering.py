"""Rendering untrusted model output: markdown → HTML, code highlighted with Pygments, sanitised by nh3.

Raw HTML in the input is never passed through (markdown-it's `html` option is off, and nh3 cleans the
result with an allow-list), links get rel="noopener noreferrer nofollow", and only http(s)/mailto URLs
survive.
"""

from __future__ import annotations

import functools
import html

import nh3
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name, guess_lexer
from pygments.util import ClassNotFound

_FORMATTER = HtmlFormatter(nowrap=True, classprefix="hl-")
ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "h1", "h2", "h3",
    "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "a", "span", "div", "sup", "sub", "img",
}
ALLOWED_ATTRIBUTES = {
    "span": {"class"}, "code": {"class"}, "pre": {"class"}, "div": {"class"}, "a": {"href", "title"},
    "th": {"style"}, "td": {"style"}, "img": {"src", "alt", "title"}, "ol": {"start"},
}


def _highlight(code: str, lang: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(lang) if lang else guess_lexer(code) if len(code) > 40 else TextLexer()
    except ClassNotFound:
        lexer = TextLexer()
    name = html.escape(lexer.aliases[0] if lexer.aliases else "text")
    return f'<pre class="code"><code class="language-{name}">{highlight(code, lexer, _FORMATTER)}</code></pre>'


@functools.cache
def _md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False,
                                   "highlight": _highlight, "breaks": True})
    md.enable("table").enable("strikethrough")
    return md


def sanitize(fragment: str) -> str:
    """Clean an HTML fragment with the allow-list above."""
    return nh3.clean(fragment, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")


def render_markdown(text: str) -> str:
    """Untrusted markdown → safe HTML."""
    return sanitize(_md().render(text or ""))


def render_code(code: str, language: str = "python") -> str:
    """A block of code → highlighted, safe HTML."""
    return sanitize(_highlight(code, language, ""))


def pygments_css() -> str:
    """The stylesheet for highlighted code (served as a static route)."""
    return str(_FORMATTER.get_style_defs(".code"))
