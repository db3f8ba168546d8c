"""Challenge routes: the organisers' manage page, state changes, and the organisation dashboard."""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.accounts.models import User
from app.challenges import lifecycle, signals
from app.challenges.forms.qa import StateForm
from app.challenges.models import (
    CHALLENGE_STATE_LABELS,
    QUESTION_STATUS_LABELS,
    Challenge,
    ChallengeState,
    ChangeLogEntry,
    Follow,
    Question,
    QuestionStatus,
    StateTransition,
)
from app.challenges.permissions import can_create_challenge, can_edit_challenge, can_view_challenge
from app.challenges.services import manage as state_actions
from app.core.timeutil import clock
from app.db import db
from app.errors import DomainError
from app.i18n import _
from app.organisations.models import Organisation
from app.organisations.permissions import _is_admin, is_member


def load_challenge(slug: str) -> Challenge:
    """The challenge, if this user may know it exists (drafts: its organisation's staff); else 404."""
    challenge = db.session.scalar(select(Challenge).where(Challenge.slug == slug))
    if challenge is None or not can_view_challenge(current_user, challenge):
        abort(404)
    return challenge


def load_for_staff(slug: str) -> Challenge:
    """The challenge for its organisers: 404 if the user may not know it exists, 403 if they may
    see it but not run it (admins included: only the organisation's staff run a challenge; S18)."""
    challenge = load_challenge(slug)
    if not can_edit_challenge(current_user, challenge):
        abort(403)
    return challenge


def concept_counts(challenge_ids: Any) -> dict[int, tuple[int, int]]:
    """{challenge id: (drafts, submitted)}, from the features above that count concepts (they receive
    the signal; this feature never imports them)."""
    counts: dict[int, tuple[int, int]] = {}
    for _receiver, answer in signals.concept_counts_requested.send(current_app._get_current_object(),
                                                                   challenge_ids=challenge_ids):
        counts.update(answer)
    return counts


def labels_context() -> dict[str, Any]:
    return {"STATE_LABELS": CHALLENGE_STATE_LABELS, "QUESTION_STATUS_LABELS": QUESTION_STATUS_LABELS}


# ---------------------------------------------------------------- manage
def _render_manage(challenge: Any, form: StateForm | None = None, status: int = 200,
                   refused: str | None = None) -> tuple[str, int]:
    now = clock.now()
    history = db.session.execute(
        select(StateTransition, User.display_name).outerjoin(User, User.id == StateTransition.actor_id)
        .where(StateTransition.challenge_id == challenge.id)
        .order_by(StateTransition.at.desc(), StateTransition.id.desc())).all()
    changes = db.session.scalars(select(ChangeLogEntry).where(ChangeLogEntry.challenge_id == challenge.id)
                                 .order_by(ChangeLogEntry.created_at.desc(), ChangeLogEntry.id.desc())).all()
    pending = db.session.scalars(select(Question).where(Question.challenge_id == challenge.id,
                                                        Question.status == QuestionStatus.PENDING)
                                 .order_by(Question.created_at, Question.id)).all()
    steps = state_actions.manual_steps(challenge, now)
    return render_template(
        "challenges/manage.html", challenge=challenge, state=lifecycle.effective_state(challenge, now),
        stored_state=ChallengeState(challenge.state), steps=[s for s in steps if s is not ChallengeState.CANCELLED],
        can_cancel=ChallengeState.CANCELLED in steps, form=form or StateForm(), history=history,
        changes=changes, pending=pending, refused=refused,
        concepts=concept_counts([challenge.id]).get(challenge.id, (0, 0)), **labels_context()), status


@login_required
def manage(slug: str) -> Any:
    return _render_manage(load_for_staff(slug))


@login_required
def change_state(slug: str) -> Any:
    challenge = load_for_staff(slug)
    form = StateForm()
    if not form.validate_on_submit():
        if form.to.errors:  # a hand-made request: the buttons always send a step
            return _render_manage(challenge, StateForm(formdata=None), 400,
                                  refused=_("Choose one of the steps below."))
        return _render_manage(challenge, form, 400)
    try:
        state_actions.change_state(challenge=challenge, to=form.to.data, by=current_user, now=clock.now(),
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


# ---------------------------------------------------------------- dashboard
@login_required
def dashboard(slug: str) -> Any:
    organisation = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        abort(404)
    staff = is_member(current_user, organisation)
    if not (staff or _is_admin(current_user)):
        abort(404)
    now = clock.now()
    of_org = select(Challenge.id).where(Challenge.organisation_id == organisation.id).scalar_subquery()
    challenges = db.session.scalars(select(Challenge).where(Challenge.organisation_id == organisation.id)
                                    .order_by(Challenge.deadline_at.is_(None), Challenge.deadline_at,
                                              Challenge.id)).all()
    # Four aggregate queries (followers, questions, concepts, organisation followers), whatever the number of challenges.
    followers = dict(db.session.execute(select(Follow.challenge_id, func.count()).where(
        Follow.challenge_id.in_(of_org)).group_by(Follow.challenge_id)).tuples().all())
    questions: dict[int, dict[str, int]] = {}
    for challenge_id, status, count in db.session.execute(
            select(Question.challenge_id, Question.status, func.count()).where(Question.challenge_id.in_(of_org))
            .group_by(Question.challenge_id, Question.status)):
        questions.setdefault(challenge_id, {})[str(status)] = count
    org_followers = db.session.scalar(select(func.count()).select_from(Follow).where(
        Follow.organisation_id == organisation.id)) or 0
    groups: dict[ChallengeState, list[Any]] = {s: [] for s in ChallengeState}
    for challenge in challenges:
        groups[lifecycle.effective_state(challenge, now)].append(challenge)
    return render_template(
        "challenges/dashboard.html", organisation=organisation, groups=groups, followers=followers,
        questions=questions,
        concepts=concept_counts(of_org), org_followers=org_followers, staff=staff,
        can_edit=lambda c: can_edit_challenge(current_user, c),
        can_create=can_create_challenge(current_user, organisation), total=len(challenges), **labels_context())

