"""The published results: the chair's "publish" step, the public Winners page, and the template
helpers through which the challenge page (which cannot import judging) shows the winners, the jury,
the jury report and the formula (`judging/_results.html`, `judging/_formula.html`)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import flash, g, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup

from app.challenges.lifecycle import effective_state
from app.challenges.models import Challenge, ChallengeState, Criterion
from app.concepts.models import Concept
from app.concepts.permissions import public_level
from app.core import pagecache
from app.core.pagecache import public_page
from app.core.pagination import page_arg, paginate
from app.core.timeutil import clock
from app.core.web import http_status
from app.db import db
from app.errors import DomainError
from app.i18n import _
from app.judging import aggregate, permissions, queries
from app.judging.models import Decision, JurySeat, Placement, PlacementKind
from app.judging.services.results import publish_results
from app.judging.views._load import jury_challenge

S = ChallengeState

# The states in which the formula is on the challenge page: from publication (before entries
# open) to the end. Drafts are seen by staff only and may still change.
FORMULA_STATES = frozenset({S.SCHEDULED, S.OPEN, S.CLOSED, S.JUDGING, S.RESULTS, S.ARCHIVED})
RESULT_STATES = frozenset({S.RESULTS, S.ARCHIVED})
# A criterion's distribution is published only when at least this many jurors scored it, so that
# no single juror's scores can be read off the counts.
MIN_JURORS_FOR_DISTRIBUTION = 3
WINNERS_PER_PAGE = 20


class PublishForm(FlaskForm):
    """The chair's "Publish the results" button: CSRF only."""


# ---------------------------------------------------------------------------------------------
# What the public sees of one placement


@dataclass(frozen=True)
class PublicPlacement:
    placement: Placement
    title: str
    language: str
    url: str | None             # the published concept, where the publication setting allows it
    team_name: str | None       # only when every member agreed to be named (P08)
    names: list[str]            # the members who agreed to be named

    @property
    def is_prize(self) -> bool:
        return self.placement.kind == PlacementKind.PRIZE


def public_placement(placement: Placement, winner_ids: set[int]) -> PublicPlacement:
    concept: Concept = placement.concept
    challenge = concept.challenge
    version = concept.current_version()
    on_team = set(version.member_ids or []) if version else {m.user_id for m in concept.members}
    members = [m for m in concept.members if m.user_id in on_team]
    names = [m.user.display_name for m in members if m.show_name_publicly and m.user and m.user.display_name]
    everyone_agreed = bool(members) and all(m.show_name_publicly for m in members)
    team_name = (version.team_name if version else concept.team_name) if everyone_agreed else None
    url = None
    if public_level(concept, winner_ids=winner_ids) is not None:
        url = url_for("concepts.public", slug=challenge.slug, concept_id=concept.id)
    return PublicPlacement(placement=placement, title=version.title if version else concept.title,
                           language=version.language if version else concept.language, url=url,
                           team_name=team_name or None, names=names)


# ---------------------------------------------------------------------------------------------
# The challenge page in results


@dataclass(frozen=True)
class PublicJuror:
    name: str
    title: str | None
    is_chair: bool


@dataclass(frozen=True)
class Distribution:
    """How often each step of a criterion's scale was given (submitted sheets, final rubric round)."""

    criterion: Criterion
    jurors: int
    counts: list[tuple[int, int]]   # (scale step, how many scores)

    @property
    def total(self) -> int:
        return sum(n for _step, n in self.counts)

    @property
    def most(self) -> int:
        return max((n for _step, n in self.counts), default=0)


@dataclass(frozen=True)
class PublicResults:
    challenge: Challenge
    decision: Decision
    prizes: list[PublicPlacement]
    mentions: list[PublicPlacement]
    jury: list[PublicJuror]
    jurors: int
    chairs: int
    recusals: int
    distributions: list[Distribution] = field(default_factory=list)
    withheld: list[Criterion] = field(default_factory=list)   # fewer than 3 jurors scored

    @property
    def no_winner(self) -> bool:
        return not self.prizes and not self.mentions


def _distributions(challenge: Challenge) -> tuple[list[Distribution], list[Criterion]]:
    judging_round = queries.final_rubric_round(challenge.id)
    if judging_round is None:
        return [], []
    values = queries.submitted_score_values(judging_round.id)
    shown, withheld = [], []
    for criterion in judging_round.criteria():
        mine = [(seat, value) for cid, seat, value in values if cid == criterion.id]
        jurors = len({seat for seat, _value in mine})
        if jurors < MIN_JURORS_FOR_DISTRIBUTION:
            withheld.append(criterion)
            continue
        counted = Counter(value for _seat, value in mine)
        steps = range(int(criterion.scale_min), int(criterion.scale_max) + 1)
        shown.append(Distribution(criterion=criterion, jurors=jurors,
                                  counts=[(step, counted.get(step, 0)) for step in steps]))
    return shown, withheld


def judging_results(challenge: Challenge) -> PublicResults | None:
    """Template helper for the challenge page: the published results, or None before them."""
    if challenge.id is None or effective_state(challenge, clock.now()) not in RESULT_STATES:
        return None
    decision = queries.final_decision(challenge.id)
    if decision is None:
        return None
    winner_ids = {p.concept_id for p in decision.placements}
    placed = [public_placement(p, winner_ids) for p in decision.placements]
    seats: list[JurySeat] = queries.seats(challenge.id)
    jury = [PublicJuror(name=s.shown_name(), title=s.public_title or None, is_chair=s.is_chair)
            for s in sorted(seats, key=lambda s: (not s.is_chair, s.shown_name().casefold(), s.id))
            if s.show_publicly]
    distributions, withheld = _distributions(challenge)
    return PublicResults(
        challenge=challenge, decision=decision, prizes=[p for p in placed if p.is_prize],
        mentions=[p for p in placed if not p.is_prize], jury=jury, jurors=len(seats),
        chairs=sum(1 for s in seats if s.is_chair), recusals=queries.recusal_count(challenge.id),
        distributions=distributions, withheld=withheld)


@dataclass(frozen=True)
class FormulaFigures:
    """The constants of aggregate.FORMULA, for judging/_formula.html (which words them)."""

    precision: int = aggregate.PRECISION
    resamples: int = aggregate.DEFAULT_RESAMPLES
    band_low: float = aggregate.DEFAULT_BAND[0]
    band_high: float = aggregate.DEFAULT_BAND[1]
    close_call: float = aggregate.CLOSE_CALL_SHARE * 100
    alpha_good: float = aggregate.ALPHA_GOOD
    alpha_tentative: float = aggregate.ALPHA_TENTATIVE
    outlier: float = aggregate.OUTLIER_CORRELATION
    spread: float = aggregate.DISAGREEMENT_SPREAD
    weight_step: float = aggregate.WEIGHT_STEP
    tie_breakers: tuple[aggregate.TieBreaker, ...] = tuple(aggregate.TieBreaker)


FIGURES = FormulaFigures()


def judging_formula(challenge: Challenge) -> FormulaFigures | None:
    """Template helper: the formula's figures when the challenge page shows it (from publication)."""
    if challenge.published_at is None or effective_state(challenge, clock.now()) not in FORMULA_STATES:
        return None
    return FIGURES


@dataclass(frozen=True)
class PublishPanel:
    ready: bool        # the decision is final
    form: PublishForm


def judging_publish_panel(challenge: Challenge) -> PublishPanel | None:
    """Template helper: the chair's "Publish the results" button on the challenge page in judging."""
    if challenge.id is None or not current_user.is_authenticated:
        return None
    if effective_state(challenge, clock.now()) is not S.JUDGING:
        return None
    seat = queries.active_seat(current_user.id, challenge.id)
    if not permissions.is_chair(seat):
        return None
    g.private_response = True
    return PublishPanel(ready=queries.final_decision(challenge.id) is not None, form=PublishForm(formdata=None))


HELPERS = (judging_results, judging_formula, judging_publish_panel)


# ---------------------------------------------------------------------------------------------
# Views


@login_required
def publish(slug: str) -> Any:
    challenge, _seat = jury_challenge(slug, chair=True)
    form = PublishForm()
    if not form.validate_on_submit():
        return render_template("judging/publish_refused.html", challenge=challenge,
                               message=_("The form expired. Please try again.")), 400
    try:
        publish_results(challenge=challenge, by=current_user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        return render_template("judging/publish_refused.html", challenge=challenge,
                               message=str(exc)), http_status(exc)
    db.session.commit()
    flash(_("The results are published. Every participant gets an email with their outcome."), "success")
    return redirect(url_for("challenges.detail", slug=challenge.slug))


@public_page
def winners() -> Any:
    page = page_arg()

    def body() -> str:  # the same for every reader: kept like public pages (a page past the end: 404)
        pagination = paginate(queries.winners_stmt(now=clock.now()), per_page=WINNERS_PER_PAGE)
        return render_template("judging/_winners_body.html", pagination=pagination,
                               rows=winner_rows(pagination.items))

    return render_template("judging/winners.html", page=page,
                           body=Markup(pagecache.cached_value(("winners", page), body)))  # noqa: S704  rendered above


@dataclass(frozen=True)
class WinnerRow:
    challenge: Challenge
    published_at: Any
    item: PublicPlacement


def winner_rows(placements: list[Placement]) -> list[WinnerRow]:
    """The Winners page's and the home page's rows: each placement with its challenge and date."""
    dates = queries.results_published_at({p.decision.challenge_id for p in placements})
    winner_ids: dict[int, set[int]] = {}
    for p in placements:
        winner_ids.setdefault(p.decision.challenge_id, set()).add(p.concept_id)
    return [WinnerRow(challenge=p.decision.challenge, published_at=dates.get(p.decision.challenge_id),
                      item=public_placement(p, winner_ids[p.decision.challenge_id])) for p in placements]


def latest_winner_rows(limit: int = 6) -> list[WinnerRow]:
    """For the home page's "Recent winners" (the pages feature calls it)."""
    return winner_rows(queries.latest_winners(now=clock.now(), limit=limit))
