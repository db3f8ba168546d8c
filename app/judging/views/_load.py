"""The one "challenge by slug, and this user's place in its judging, else 404" of every jury page.

A juror's pages answer 404 to anyone without an active seat on that challenge's jury (a juror of
another challenge cannot even tell the page exists: S17); the chair's pages answer 403 to a juror
who is not a chair. Jury pages are never cached (S27).
"""
from __future__ import annotations

from flask import abort, g
from flask_login import current_user

from app.challenges.models import Challenge
from app.challenges.views._load import visible_challenge
from app.judging import permissions, queries
from app.judging.models import JurySeat


def jury_challenge(slug: str, *, chair: bool = False) -> tuple[Challenge, JurySeat]:
    """The challenge and the current user's active seat. 404 without a seat; 403 for a juror when
    `chair` is asked for and they are not a chair."""
    challenge = visible_challenge(slug)
    g.private_response = True
    seat = queries.active_seat(getattr(current_user, "id", None), challenge.id)
    if seat is None:
        abort(404)
    if chair and not permissions.is_chair(seat):
        abort(403)
    return challenge, seat


def staff_challenge(slug: str) -> Challenge:
    """A challenge whose jury the current user manages (organisation staff), else 404/403."""
    return visible_challenge(slug, may=permissions.can_manage_jury)


def jury_manager_challenge(slug: str) -> tuple[Challenge, bool]:
    """A challenge whose jury the current user may grow: the organisation's staff (True: they also
    name chairs and remove jurors) or an active chair of its jury (False: they invite and withdraw
    invitations only). 404/403 to everyone else, as staff_challenge."""
    challenge = visible_challenge(slug)
    g.private_response = True
    if permissions.can_manage_jury(current_user, challenge):
        return challenge, True
    if permissions.is_chair(queries.active_seat(getattr(current_user, "id", None), challenge.id)):
        return challenge, False
    abort(403)
