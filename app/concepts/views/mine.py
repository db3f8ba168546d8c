"""My concepts: a participant's concepts across challenges, and the team invitations waiting for them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.challenges.lifecycle import effective_state
from app.challenges.models import ChallengeState
from app.concepts import queries
from app.concepts.forms.teams import TeamActionForm
from app.concepts.models import CONCEPT_STATE_LABELS, Concept, ConceptState, TeamInvitation
from app.concepts.services import teams
from app.concepts.services.common import ConceptError, grace_seconds
from app.core.timeutil import clock, utcnow
from app.db import db
from app.i18n import _

GROUPS = ("drafts", "submitted", "withdrawn", "results")
# Once results are out the team's work is final: the row says so, whatever its state was.
RESULT_STATES = frozenset({ChallengeState.RESULTS, ChallengeState.ARCHIVED})


def group_of(concept: Concept, now: datetime) -> str:
    """Which heading of My concepts a concept goes under (reopened drafts are drafts)."""
    if concept.state == ConceptState.WITHDRAWN:
        return "withdrawn"
    if effective_state(concept.challenge, now) in RESULT_STATES:
        return "results"
    if concept.state == ConceptState.SUBMITTED:
        return "submitted"
    return "drafts"


@dataclass
class Row:
    concept: Concept
    state_label: Any
    reopened: bool
    missed_deadline: bool
    url: str | None


@login_required
def mine():  # type: ignore[no-untyped-def]
    now = utcnow()
    grace = grace_seconds()
    groups: dict[str, list[Row]] = {name: [] for name in GROUPS}
    for concept in queries.my_concepts(current_user.id):
        groups[group_of(concept, now)].append(Row(
            concept=concept,
            state_label=CONCEPT_STATE_LABELS.get(ConceptState(concept.state), concept.state),
            reopened=concept.state == ConceptState.DRAFT and concept.submitted_version_no is not None,
            missed_deadline=concept.submitted_version_no is None and concept.deadline_passed(now, grace),
            url=url_for("concepts.overview", concept_id=concept.id)))
    invitations = queries.pending_invitations_to(current_user.email, now)
    return render_template("concepts/mine.html", groups=groups, invitations=invitations,
                           any_concepts=any(groups.values()), challenges_url=url_for("challenges.index"))


# ---------------------------------------------------------------- answering an invitation from this page
def _my_invitation(invitation_id: int) -> TeamInvitation:
    """An invitation addressed to the logged-in user's email; anyone else's is a 404 (S17)."""
    invitation = db.session.get(TeamInvitation, invitation_id)
    if invitation is None or not teams.is_invitee(invitation, current_user):
        abort(404)
    return invitation


@login_required
def accept_my_invitation(invitation_id: int):  # type: ignore[no-untyped-def]
    return _answer_invitation(invitation_id, "accept")


@login_required
def decline_my_invitation(invitation_id: int):  # type: ignore[no-untyped-def]
    return _answer_invitation(invitation_id, "decline")


def _answer_invitation(invitation_id: int, answer: str):  # type: ignore[no-untyped-def]
    # The signed-in invitee answers without the emailed link: the address on their account is the proof.
    invitation = _my_invitation(invitation_id)
    if not TeamActionForm().validate_on_submit():
        abort(400)
    try:
        if answer == "accept":
            _member, created = teams.accept_team_invitation(invitation=invitation, user=current_user,
                                                            now=clock.now())
        else:
            teams.decline_team_invitation(invitation=invitation, user=current_user, now=clock.now())
    except ConceptError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("concepts.mine"))
    db.session.commit()
    if answer == "decline":
        flash(_("You have declined the invitation."), "info")
        return redirect(url_for("concepts.mine"))
    flash(_("You have joined the team. Welcome!") if created else _("You are already on this team."),
          "success" if created else "info")
    return redirect(url_for("concepts.team", concept_id=invitation.concept_id))
