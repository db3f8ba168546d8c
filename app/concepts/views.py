"""The concepts blueprint. Routes live in one module per part, all on this `bp`:
workspace_views (start, edit, autosave, preview, files), team_views (invitations, members),
submission_views (overview, checklist, submit, receipts, reopen, withdraw), my_views (my
concepts), entry_views (organisers: entries, ineligible, extensions, exports) and public_views
(published concepts after results)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("concepts", __name__)

from . import (  # noqa: E402, F401
    entry_views,
    my_views,
    public_views,
    submission_views,
    team_views,
    workspace_views,
)
