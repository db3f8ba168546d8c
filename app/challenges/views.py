"""The challenges blueprint. Routes live in one module per part, all on this `bp`:
public_views (list, detail, downloads, follow), editor_views (create, edit, rubric, preview,
publish), attachment_views (briefing files), lifecycle_views (state changes, amendments, dashboard), qa_views
(questions and answers, announcements)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("challenges", __name__)

from . import attachment_views, editor_views, lifecycle_views, public_views, qa_views  # noqa: E402, F401
