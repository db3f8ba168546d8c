"""Challenge routes: the organisers' manage page and its state changes."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.challenges import lifecycle, queries
from app.challenges.forms.manage import StateForm
from app.challenges.models import (
    CHALLENGE_STATE_LABELS,
    QUESTION_STATUS_LABELS,
    ChallengeState,
)
from app.challenges.permissions import can_edit_challenge
from app.challenges.services import manage as manage_service
from app.challenges.views._load import visible_challenge
from app.challenges.views.editor import publish_panel
from app.core.timeutil import clock
from app.db import db
from app.errors import DomainError
from app.i18n import _
from app.organisations.forms import ActionForm


def labels_context() -> dict[str, Any]:
    return {"STATE_LABELS": CHALLENGE_STATE_LABELS, "QUESTION_STATUS_LABELS": QUESTION_STATUS_LABELS}


# ---------------------------------------------------------------- manage
def _render_manage(challenge: Any, form: StateForm | None = None, status: int = 200,
                   refused: str | None = None) -> tuple[str, int]:
    now = clock.now()
    record = queries.manage_record(challenge)
    steps = manage_service.manual_steps(challenge, now)
    state = lifecycle.effective_state(challenge, now)
    return render_template(
        "challenges/manage.html", challenge=challenge, state=state,
        checklist=publish_panel(challenge, now) if state is ChallengeState.DRAFT else [], action_form=ActionForm(),
        stored_state=ChallengeState(challenge.state), steps=[s for s in steps if s is not ChallengeState.CANCELLED],
        can_cancel=ChallengeState.CANCELLED in steps, form=form or StateForm(), history=record.history,
        changes=record.changes, pending=record.pending, refused=refused,
        concepts=queries.concept_counts([challenge.id]).get(challenge.id, (0, 0)), **labels_context()), status


@login_required
def manage(slug: str) -> Any:
    return _render_manage(visible_challenge(slug, may=can_edit_challenge))


@login_required
def change_state(slug: str) -> Any:
    challenge = visible_challenge(slug, may=can_edit_challenge)
    form = StateForm()
    if not form.validate_on_submit():
        if form.to.errors:  # a hand-made request: the buttons always send a step
            return _render_manage(challenge, StateForm(formdata=None), 400,
                                  refused=_("Choose one of the steps below."))
        return _render_manage(challenge, form, 400)
    try:
        manage_service.change_state(challenge=challenge, to=form.to.data, by=current_user, now=clock.now(),
                                   reason=form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        if exc.field == "reason":
            form.reason.errors = [*form.reason.errors, str(exc)]
            return _render_manage(challenge, form, 400)
        # S21: a step the lifecycle does not allow from the current state changes nothing.
        return _render_manage(challenge, StateForm(formdata=None), 409, refused=str(exc))
    db.session.commit()
    state = ChallengeState(challenge.state)
    flash(_("The challenge is now: %(state)s.", state=CHALLENGE_STATE_LABELS[state]), "success")
    return redirect(url_for(".manage", slug=challenge.slug))
