"""The concept helpers templates call: the challenge page's "Start a concept" panel and the links to
entry, published and cover files. Registered app-wide by `init_app`."""
from __future__ import annotations

from flask import Flask

from app.concepts.views.entries import entry_file_url
from app.concepts.views.public import public_cover_url, public_file_url
from app.concepts.views.workspace import concept_start_panel

GLOBALS = (concept_start_panel, entry_file_url, public_file_url, public_cover_url)


def init_app(app: Flask) -> None:
    for helper in GLOBALS:
        app.add_template_global(helper)
