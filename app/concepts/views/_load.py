"""The one "concept by id, for its team, else 404" of every team page (workspace, team, overview,
receipts): anyone not on the team may not know the draft exists (S17)."""
from __future__ import annotations

from flask import abort, g
from flask_login import current_user

from app.concepts.models import Concept
from app.concepts.permissions import is_team_member
from app.db import db


def concept_or_404(concept_id: int) -> Concept:
    """The concept, whoever asks (the caller decides who may see what of it); 404 if there is none."""
    concept = db.session.get(Concept, concept_id)
    if concept is None:
        abort(404)
    return concept


def team_concept(concept_id: int) -> Concept:
    """The concept for its team only: 404 for everyone else. Team pages are never cached (S27)."""
    concept = concept_or_404(concept_id)
    if not is_team_member(current_user, concept):
        abort(404)
    g.private_response = True
    return concept
