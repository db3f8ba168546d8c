"""User Markdown -> safe HTML: markdown-it-py renders, nh3 cleans (S29). No raw HTML passes.

The only place user text becomes markup; templates use `{{ text|markdown }}` and never `|safe`.
"""
from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
MAX_MARKDOWN_CHARS = 50_000


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    # "commonmark" passes raw HTML through; switch it off here and let nh3 strip anything left.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table") \
        .enable("strikethrough")


_HEADING = re.compile(r"<(/?)h([1-6])>")


def _demote_headings(html: str, top: int | None = None) -> str:
    # The page owns <h1>; a brief's "# Heading" becomes <h2> so the outline stays logical (A02).
    if top is None:
        return html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    # Under a page heading of level top-1, the text's highest heading (whether written "#" or "##")
    # becomes <h{top}> and the others keep their distance below it (at most h6): no level skipped.
    levels = [int(level) for _slash, level in _HEADING.findall(html)]
    if not levels:
        return html
    shift = min(top, 6) - min(levels)
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{max(1, min(6, int(m.group(2)) + shift))}>", html)


def render_markdown(text: str | None, top: int | None = None) -> Markup:
    """Render user Markdown to sanitised HTML; `top` is the level its highest heading gets (default: h1 -> h2)."""
    if not text:
        return Markup("")
    return Markup(_rendered(text, top))  # noqa: S704  cleaned by nh3 in _rendered


# The same text renders to the same HTML: each text is rendered and cleaned once per process while
# it is in use (a challenge's brief on every request of its page), found again by its content
# (the key is the text's hash, compared in full on a hit); 512 texts at most.
@lru_cache(maxsize=512)
def _rendered(text: str, top: int | None) -> str:
    html = _demote_headings(_renderer().render(text[:MAX_MARKDOWN_CHARS]), top)
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=ALLOWED_SCHEMES,
                     link_rel="nofollow noopener noreferrer ugc")


def plain_text(text: str | None) -> str:
    """Markdown reduced to its words (for descriptions, feeds and readability scores)."""
    if not text:
        return ""
    return " ".join(nh3.clean(_renderer().render(text[:MAX_MARKDOWN_CHARS]), tags=set()).split())
