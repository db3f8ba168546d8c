"""The one "challenge by slug, may this user see it, else 404" of every page that shows or acts on a
challenge (this feature's and those above it: entries, published concepts, the workspace)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, g
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.challenges.models import Challenge
from app.challenges.permissions import can_view_challenge
from app.db import db


def visible_challenge(slug: str, *, may: Callable[[Any, Challenge], bool] | None = None) -> Challenge:
    """The challenge with its organisation. 404 when it does not exist or the user may not know it
    does (drafts: S17); 403 when `may(user, challenge)` is given and refuses (they may see it but not
    do this: S18). A page the public could not see is never cached (S27)."""
    challenge = db.session.scalar(select(Challenge).where(Challenge.slug == slug)
                                  .options(joinedload(Challenge.organisation, innerjoin=True)))
    if challenge is None or not can_view_challenge(current_user, challenge):
        abort(404)
    if not can_view_challenge(None, challenge):
        g.private_response = True
    if may is not None:
        if not may(current_user, challenge):
            abort(403)
        g.private_response = True
    return challenge
