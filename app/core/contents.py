"""In-page contents lists (issue 12): the sections of a rendered page, read from its own <h2 id> headings.

Built on the server from the HTML the page is about to send, so the list always matches what is
shown (sections that a state or a setting leaves out leave the list too) and needs no script.
User Markdown never adds entries: the sanitiser (core/markdown.py) strips every id attribute.
"""
from __future__ import annotations

import re

from flask import Flask
from markupsafe import Markup

_SECTION = re.compile(r'<h2\b[^>]*\bid="([^"]+)"[^>]*>(.*?)</h2>', re.S | re.I)


def contents_of(html: str) -> list[tuple[str, str]]:
    """(id, heading text) of every <h2> with an id in `html`, in page order."""
    out = []
    for anchor, inner in _SECTION.findall(str(html)):
        text = Markup(inner).striptags()
        if text:
            out.append((anchor, text))
    return out


def init_app(app: Flask) -> None:
    app.add_template_global(contents_of)
