"""Publishing the results (issue 10, item 9): only from a final decision, by the chair or by the
clock at `results_at`; then every participant hears their outcome in their own language.

Challenges owns the lifecycle and knows nothing of judging: the receivers below are connected to
its signals by judging's `init_app`. `refuse_results_without_decision` guards every organiser's
step to results on the manage page (`step_requested`); `publish_results` is the chair's step and
the clock's (it calls the lifecycle directly, because a chair need not be organisation staff, and
asks the same guard); `publish_due_results` is the periodic task's share; `tell_participants`
answers `state_changed`. Followers hear about the results from challenges' own notice on the
recorded step (app/challenges/services/notices.py), exactly once: nothing here writes to them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.challenges import lifecycle, signals
from app.challenges.models import Challenge, ChallengeState
from app.challenges.services.notices import QUIET
from app.concepts.models import Concept, ConceptMember
from app.db import db
from app.errors import DomainError, Problem
from app.i18n import _l
from app.judging import queries
from app.judging.models import Decision, DecisionState, Placement, PlacementKind
from app.mail.services import external_url, queue_mail

S = ChallengeState


def refuse_results_without_decision(challenge: Challenge, *, target: ChallengeState, now: datetime) -> Any:
    """Receiver of challenges.signals.step_requested: no results without a final decision (a
    decision that names no winner, with its public reason, counts)."""
    if ChallengeState(target) is not S.RESULTS:
        return None
    decision = queries.final_decision(challenge.id)
    if decision is None:
        return _l("The results cannot be published yet: the jury's decision is not final. The chair "
                  "finalises the decision first (winners, or no winner with a reason).")
    if not decision.placements and not (decision.no_winner_reason or "").strip():
        # Ending without winners is said out loud, with the jury's reason (item 9).
        return _l("The decision names no winner and gives no reason. The chair adds the public reason "
                  "before the results are published.")
    return None


def publish_results(*, challenge: Challenge, by: Any | None, now: datetime) -> None:
    """Move a challenge in judging to results (the chair's step, or the clock's with `by` None).
    Raises DomainError."""
    if lifecycle.effective_state(challenge, now) is not S.JUDGING:
        raise DomainError(_l("Only a challenge in judging can have its results published."),
                          kind=Problem.CONFLICT)
    # The same guards as the manage page (this one included), so no path skips a feature's veto.
    for _receiver, refusal in signals.step_requested.send(challenge, target=S.RESULTS, now=now):
        if refusal is not None:
            raise DomainError(refusal, kind=Problem.CONFLICT)
    lifecycle.transition(challenge, S.RESULTS, actor=by, now=now)


def publish_due_results(sender: Any, *, now: datetime) -> int:
    """Receiver of challenges.signals.tick_requested: publish every challenge in judging whose
    decision is final once its `results_at` has passed. Returns how many were published."""
    due = db.session.scalars(
        select(Challenge).join(Decision, Decision.challenge_id == Challenge.id)
        .where(Challenge.state == S.JUDGING, Challenge.results_at.is_not(None), Challenge.results_at <= now,
               Decision.state == DecisionState.FINAL)
        .order_by(Challenge.id)).all()
    published = 0
    for challenge in due:
        try:
            with db.session.begin_nested():
                publish_results(challenge=challenge, by=None, now=now)
        except DomainError:
            continue  # another guard refuses (or someone published a moment ago): try next tick
        published += 1
    return published


# ---------------------------------------------------------------------------------------------
# The participants' outcome emails


@dataclass(frozen=True)
class Outcome:
    """What one concept's team hears: its placement (None: not placed), the released feedback."""

    concept: Concept
    title: str
    placement: Placement | None
    comments: list[str]


def outcomes(challenge: Challenge, decision: Decision) -> list[Outcome]:
    """One Outcome per entered concept, with the feedback released for its team."""
    placements = {p.concept_id: p for p in decision.placements}
    concepts = db.session.scalars(
        select(Concept).where(Concept.challenge_id == challenge.id, Concept.is_entered)
        .options(selectinload(Concept.versions), selectinload(Concept.members).selectinload(ConceptMember.user))
        .order_by(Concept.id)).all()
    found = []
    for concept in concepts:
        version = concept.current_version()
        comments = queries.released_comments(concept.id)  # sorted by their text: no order tells who wrote which
        found.append(Outcome(concept=concept, title=version.title if version else concept.title,
                             placement=placements.get(concept.id), comments=comments))
    return found


def _recipients(concept: Concept) -> list[User]:
    return [m.user for m in concept.members if m.user is not None and m.user.email]


def tell_participants(challenge: Challenge, *, from_state: ChallengeState, to_state: ChallengeState,
                      actor: Any, now: datetime) -> int:
    """Receiver of challenges.signals.state_changed: on entering results, one email to every member
    of every entered concept, in their language, with their concept's outcome and feedback.
    Returns how many were queued."""
    if ChallengeState(to_state) is not S.RESULTS or db.session.info.get(QUIET):
        return 0
    decision = queries.final_decision(challenge.id)
    if decision is None:  # only the demo loader and tests walk the lifecycle without one
        return 0
    prizes = sum(1 for p in decision.placements if p.kind == PlacementKind.PRIZE)
    url = external_url("challenges.detail", slug=challenge.slug)
    sent = 0
    for outcome in outcomes(challenge, decision):
        for user in _recipients(outcome.concept):
            queue_mail(to=user.email, template="judging/outcome", locale=user.locale,
                       subject=_l("The results of %(title)s", title=challenge.title),
                       recipient=user, challenge=challenge, decision=decision, outcome=outcome,
                       placement=outcome.placement, prizes=prizes, challenge_url=url,
                       no_winner=not decision.placements)
            sent += 1
    if sent:
        current_app.logger.info("judging: queued %s outcome email(s) for challenge %s", sent, challenge.id)
    return sent


def awarded_concepts(challenge: Challenge) -> set[int]:
    """Receiver of concepts.signals.winners_requested: the concepts the final decision placed
    (prizes and honourable mentions), which the `winners` publication setting publishes."""
    return queries.awarded_concept_ids(challenge.id)
