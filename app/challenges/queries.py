"""Read-only queries for the public side: the filtered list, the home page, feeds and calendars.

Everything here starts from lifecycle.public_clause(), so a draft (or a challenge of an organisation
that is not approved) never reaches a list, a feed or a calendar. Filters and sort orders come from
allowlists and are applied with the ORM only (S31). Lists eager-load what a card shows, so the
number of statements does not grow with the number of challenges listed.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    Select,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import User
from app.challenges import signals
from app.challenges.lifecycle import public_clause, state_clause
from app.challenges.models import (
    CHALLENGE_LANGUAGES,
    Announcement,
    Challenge,
    ChallengeSDG,
    ChallengeState,
    ChangeLogEntry,
    Follow,
    Question,
    QuestionStatus,
    StateTransition,
    Tag,
    challenge_tags,
)
from app.core.money import comparison_factors, comparison_threshold, whole_to_minor
from app.core.timeutil import as_utc
from app.core.types import UTCDateTime
from app.db import db
from app.organisations.models import Organisation, OrganisationStatus

# The sort orders a visitor may choose, and nothing else (S31).
SORTS = ("closing", "newest", "prize")
DEFAULT_SORT = "closing"
# Every state but draft can be asked for by name.
PUBLIC_STATUSES = tuple(s for s in ChallengeState if s is not ChallengeState.DRAFT)
# The calendar of deadlines keeps a deadline this long after it passed, so subscribers see it.
RECENT_DEADLINE_DAYS = 30
FEED_SIZE = 50
# The home page's statements are built once and run with the clock's time bound to this parameter:
# building a statement and its cache key each request cost more than running it (bench/profile_pages.py).
_NOW = bindparam("now", type_=UTCDateTime())


@dataclass(frozen=True)
class ChallengeFilters:
    """Validated filters for the public list (the view checks every value against an allowlist).

    Without a status, cancelled challenges are left out unless `include_cancelled` is set."""

    status: ChallengeState | None = None
    include_cancelled: bool = False
    organisation: str | None = None  # slug
    country: str | None = None
    kind: str | None = None
    tag: str | None = None  # slug
    sdg: int | None = None
    language: str | None = None
    currency: str | None = None
    # Whole units of `currency`; when no currency is chosen, of the reference currency, every prize
    # converted with `rates` (the PRIZE_EXCHANGE_RATES table).
    prize_min: int | None = None
    prize_max: int | None = None
    sort: str = DEFAULT_SORT
    rates: Mapping[str, Any] = field(default_factory=dict, compare=False)


def _card_options() -> tuple[Any, ...]:
    # The organisation comes in the same statement (many-to-one, never missing); the tags in one more.
    return (joinedload(Challenge.organisation, innerjoin=True), selectinload(Challenge.tags))


def prize_comparison(rates: Mapping[str, Any]) -> ColumnElement[int]:
    """A challenge's prize in the reference currency, as an integer (core/money.py; the Python twin
    is money.comparison_key). A currency without a rate compares as 0."""
    factors = comparison_factors(rates)
    factor = case({code: cast(literal(f), BigInteger) for code, f in factors.items()},
                  value=Challenge.currency, else_=cast(literal(0), BigInteger))
    # BIGINT on both sides: PostgreSQL's integer would overflow (2 billion) before the comparison.
    return cast(Challenge.prize_minor, BigInteger) * factor


def is_public(challenge: Challenge) -> bool:
    """The Python twin of lifecycle.public_clause() for one loaded challenge."""
    return (challenge.state != ChallengeState.DRAFT and challenge.published_at is not None
            and challenge.organisation.status == OrganisationStatus.APPROVED)


def public_challenges(filters: ChallengeFilters, *, now: datetime, ids_only: bool = False) -> Select[Any]:
    """The public challenges matching `filters`, in the chosen order, ready to paginate (their ids
    only with `ids_only`: cards_by_ids loads them)."""
    c = Challenge
    stmt = (select(c.id) if ids_only else select(c).options(*_card_options())).where(public_clause())
    if filters.status is not None:
        stmt = stmt.where(state_clause(filters.status, now))
    elif not filters.include_cancelled:
        # A cancelled challenge will never run: it is kept public (its page explains why) but
        # leaves the default list; the status filter shows it.
        stmt = stmt.where(c.state != ChallengeState.CANCELLED)
    if filters.organisation or filters.country or filters.kind:
        org = select(Organisation.id)
        if filters.organisation:
            org = org.where(Organisation.slug == filters.organisation)
        if filters.country:
            org = org.where(Organisation.country == filters.country)
        if filters.kind:
            org = org.where(Organisation.kind == filters.kind)
        stmt = stmt.where(c.organisation_id.in_(org))
    if filters.tag:
        stmt = stmt.where(c.tags.any(Tag.slug == filters.tag))
    if filters.sdg is not None:
        stmt = stmt.where(c.sdgs.any(ChallengeSDG.goal == filters.sdg))
    if filters.language:
        stmt = stmt.where(c.language == filters.language)
    if filters.currency:
        stmt = stmt.where(c.currency == filters.currency)
    for bound, keep in ((filters.prize_min, ">="), (filters.prize_max, "<=")):
        if bound is None:
            continue
        if filters.currency:
            amount, limit = c.prize_minor, whole_to_minor(bound, filters.currency)
        else:
            amount, limit = prize_comparison(filters.rates), comparison_threshold(bound, filters.rates)
        stmt = stmt.where(amount >= limit if keep == ">=" else amount <= limit)
    return stmt.order_by(*_order(filters.sort, now, filters.rates))


def cards_by_ids(ids: list[int]) -> list[Challenge]:
    """The challenges of a list's page, in the page's order, with what their cards show."""
    found = {c.id: c for c in db.session.scalars(select(Challenge).options(*_card_options())
                                                 .where(Challenge.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


@dataclass(frozen=True)
class Choice:
    """An organisation or topic of the list's filters, as plain data (kept in the page cache)."""

    slug: str
    name: str

    @property
    def label(self) -> str:
        return self.name


def filter_choices() -> tuple[list[Choice], list[TagGroup]]:
    """The organisations and the grouped topics the list's filters offer, as plain data."""
    organisations = [Choice(row.slug, row.name) for row in filter_organisations()]
    groups = [TagGroup(g.language, [Choice(t.slug, t.label) for t in g.tags]) for g in public_tag_groups()]
    return organisations, groups


def _order(sort: str, now: datetime, rates: Mapping[str, Any] | None = None) -> list[Any]:
    c = Challenge
    if sort == "newest":
        return [c.published_at.desc(), c.id.desc()]
    if sort == "prize":
        # Across currencies at the configured rates; the id keeps equal prizes in one order, so
        # that pages neither repeat nor skip a challenge.
        return [prize_comparison(rates or {}).desc(), c.id.desc()]
    if sort != "closing":
        raise ValueError(f"unknown sort {sort!r}")  # the view only passes values from SORTS
    # Closing soonest: deadlines still ahead first (nearest first), then those passed (most recent
    # first), then challenges without a deadline. The second key is NULL outside its group, so the
    # backends' different NULL ordering never matters.
    upcoming = c.deadline_at > now
    group = case((c.deadline_at.is_(None), 2), (upcoming, 0), else_=1)
    ahead = case((upcoming, c.deadline_at), else_=None)
    return [group, ahead.asc(), c.deadline_at.desc(), c.id.desc()]


@lru_cache(maxsize=8)
def _closing_soon_stmt(limit: int) -> Select[tuple[Challenge]]:
    # state_clause() only compares columns with `now`, so the bound parameter stands in for a datetime.
    return (select(Challenge).where(public_clause(), state_clause(ChallengeState.OPEN, _NOW))
            .options(*_card_options()).order_by(Challenge.deadline_at.asc(), Challenge.id).limit(limit))


def next_clock_change(*, now: datetime) -> datetime | None:
    """The next moment a published challenge opens or closes by the clock alone (the page cache
    keeps no public page past it)."""
    c = Challenge
    row = db.session.execute(select(*(select(func.min(column)).where(public_clause(), column > now).scalar_subquery()
                                      for column in (c.opens_at, c.deadline_at)))).one()
    found = [as_utc(m) for m in row if m is not None]
    return min(found) if found else None


def closing_soon(*, now: datetime, limit: int = 6) -> list[Challenge]:
    """Open challenges, the nearest deadline first (for the home page)."""
    return list(db.session.scalars(_closing_soon_stmt(limit), {"now": now}))


def organisation_challenges(organisation: Organisation, *, now: datetime, limit: int = 12) -> list[Challenge]:
    """An organisation's public challenges for its page, closing soonest first (the list has the rest)."""
    stmt = (select(Challenge).where(public_clause(), Challenge.organisation_id == organisation.id)
            .options(*_card_options()).order_by(*_order("closing", now)).limit(limit))
    return list(db.session.scalars(stmt))


def filter_organisations() -> list[Row[tuple[str, str]]]:
    """Approved organisations' slugs and names, for the organisation filter (rows, not entities: the
    filter lists every approved organisation on every list page)."""
    return list(db.session.execute(select(Organisation.slug, Organisation.name).where(
        Organisation.status == OrganisationStatus.APPROVED).order_by(Organisation.name, Organisation.id)))


def public_tags() -> list[Tag]:
    """Tags used by at least one public challenge (a tag seen only on drafts stays unknown)."""
    used = (select(challenge_tags.c.tag_id).join(Challenge, Challenge.id == challenge_tags.c.challenge_id)
            .where(public_clause()))
    return list(db.session.scalars(select(Tag).where(Tag.id.in_(used)).order_by(Tag.name, Tag.slug)))


@dataclass(frozen=True)
class TagGroup:
    """The topics of one challenge language, for the grouped topic filter."""

    language: str
    tags: list[Tag]


def public_tag_groups() -> list[TagGroup]:
    """public_tags() grouped by the language of the challenges using them, so that "Eldre" and
    "Äldre" show up as the Norwegian and the Swedish word they are. A tag used in several languages
    goes with the one most of its challenges are written in (ties: the order of CHALLENGE_LANGUAGES)."""
    rows = db.session.execute(
        select(Tag, Challenge.language, func.count()).select_from(challenge_tags)
        .join(Tag, Tag.id == challenge_tags.c.tag_id).join(Challenge, Challenge.id == challenge_tags.c.challenge_id)
        .where(public_clause()).group_by(Tag.id, Tag.slug, Tag.name, Challenge.language)).tuples()
    order = {code: i for i, code in enumerate(CHALLENGE_LANGUAGES)}
    best: dict[int, tuple[Tag, str, int]] = {}
    for tag, language, count in rows:
        held = best.get(tag.id)
        if held is None or (count, -order.get(language, len(order))) > (held[2], -order.get(held[1], len(order))):
            best[tag.id] = (tag, language, count)
    groups: dict[str, list[Tag]] = {}
    for tag, language, _count in best.values():
        groups.setdefault(language, []).append(tag)
    return [TagGroup(language, sorted(groups[language], key=lambda t: (t.label.casefold(), t.slug)))
            for language in sorted(groups, key=lambda code: order.get(code, len(order)))]


def public_tag(slug: str) -> Tag | None:
    return next((t for t in public_tags() if t.slug == slug), None)


def approved_organisation(slug: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.slug == slug,
                                                        Organisation.status == OrganisationStatus.APPROVED))


def feed_challenges(*, organisation_id: int | None = None, tag_id: int | None = None,
                    limit: int = FEED_SIZE) -> list[Challenge]:
    """Published challenges for an Atom feed, the most recently published first."""
    stmt = select(Challenge).where(public_clause()).options(*_card_options())
    if organisation_id is not None:
        stmt = stmt.where(Challenge.organisation_id == organisation_id)
    if tag_id is not None:
        stmt = stmt.where(Challenge.tags.any(Tag.id == tag_id))
    return list(db.session.scalars(stmt.order_by(Challenge.published_at.desc(), Challenge.id.desc()).limit(limit)))


def calendar_challenges(*, now: datetime) -> list[Challenge]:
    """Public challenges whose deadline is ahead or passed within RECENT_DEADLINE_DAYS."""
    since = now - timedelta(days=RECENT_DEADLINE_DAYS)
    stmt = (select(Challenge).where(public_clause(), Challenge.deadline_at.is_not(None), Challenge.deadline_at >= since)
            .options(selectinload(Challenge.organisation)).order_by(Challenge.deadline_at, Challenge.id))
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class PublicRecord:
    """What a challenge page shows beyond the challenge itself: published, never private, content."""

    changes: list[ChangeLogEntry]
    questions: list[Question]
    announcements: list[Announcement]


def public_record(challenge: Challenge) -> PublicRecord:
    """The public change log, answered questions and announcements of a challenge."""
    changes = db.session.scalars(select(ChangeLogEntry).where(ChangeLogEntry.challenge_id == challenge.id)
                                 .order_by(ChangeLogEntry.created_at.desc(), ChangeLogEntry.id.desc())).all()
    questions = db.session.scalars(
        select(Question).where(Question.challenge_id == challenge.id, Question.status == QuestionStatus.ANSWERED)
        .order_by(func.coalesce(Question.answered_at, Question.created_at).desc(), Question.id.desc())).all()
    announcements = db.session.scalars(
        select(Announcement).where(Announcement.challenge_id == challenge.id)
        .order_by(Announcement.created_at.desc(), Announcement.id.desc())).all()
    return PublicRecord(list(changes), list(questions), list(announcements))


def is_following(user: Any, *, challenge: Challenge | None = None,
                 organisation: Organisation | None = None) -> bool:
    """Whether a signed-in user follows the challenge or the organisation."""
    if not getattr(user, "is_authenticated", False):
        return False
    target = (Follow.challenge_id == challenge.id) if challenge is not None else (
        Follow.organisation_id == organisation.id if organisation is not None else None)
    if target is None:
        return False
    return bool(db.session.scalar(select(exists().where(Follow.user_id == user.id, target))))


def any_filter(filters: ChallengeFilters) -> bool:
    return any(v not in (None, False) for k, v in vars(filters).items() if k not in ("sort", "rates"))


# ---------------------------------------------------------------- the organisers' pages
@dataclass(frozen=True)
class ManageRecord:
    """The manage page's lists: every recorded step (with who took it), change-log entries, open questions."""

    history: list[Row[Any]]
    changes: list[ChangeLogEntry]
    pending: list[Question]


def manage_record(challenge: Challenge) -> ManageRecord:
    history = db.session.execute(
        select(StateTransition, User.display_name).outerjoin(User, User.id == StateTransition.actor_id)
        .where(StateTransition.challenge_id == challenge.id)
        .order_by(StateTransition.at.desc(), StateTransition.id.desc())).all()
    changes = db.session.scalars(select(ChangeLogEntry).where(ChangeLogEntry.challenge_id == challenge.id)
                                 .order_by(ChangeLogEntry.created_at.desc(), ChangeLogEntry.id.desc())).all()
    pending = db.session.scalars(select(Question).where(Question.challenge_id == challenge.id,
                                                        Question.status == QuestionStatus.PENDING)
                                 .order_by(Question.created_at, Question.id)).all()
    return ManageRecord(list(history), list(changes), list(pending))


@dataclass(frozen=True)
class Dashboard:
    """An organisation's challenges with their follower and question counts, and its own followers."""

    challenges: list[Challenge]
    challenge_ids: Any  # a subquery of the organisation's challenge ids, for counts other features add
    followers: dict[int, int]
    questions: dict[int, dict[str, int]]
    org_followers: int


def dashboard(organisation: Organisation) -> Dashboard:
    """Four queries (challenges, followers, questions, organisation followers), whatever the count."""
    of_org = select(Challenge.id).where(Challenge.organisation_id == organisation.id).scalar_subquery()
    challenges = db.session.scalars(select(Challenge).where(Challenge.organisation_id == organisation.id)
                                    .order_by(Challenge.deadline_at.is_(None), Challenge.deadline_at,
                                              Challenge.id)).all()
    followers = dict(db.session.execute(select(Follow.challenge_id, func.count()).where(
        Follow.challenge_id.in_(of_org)).group_by(Follow.challenge_id)).tuples().all())
    questions: dict[int, dict[str, int]] = {}
    for challenge_id, status, count in db.session.execute(
            select(Question.challenge_id, Question.status, func.count()).where(Question.challenge_id.in_(of_org))
            .group_by(Question.challenge_id, Question.status)):
        questions.setdefault(challenge_id, {})[str(status)] = count
    org_followers = db.session.scalar(select(func.count()).select_from(Follow).where(
        Follow.organisation_id == organisation.id)) or 0
    return Dashboard(list(challenges), of_org, followers, questions, org_followers)


def concept_counts(challenge_ids: Any) -> dict[int, tuple[int, int]]:
    """{challenge id: (drafts, submitted)}, from the features above that count concepts (they receive
    the signal; this feature never imports them)."""
    counts: dict[int, tuple[int, int]] = {}
    for _receiver, answer in signals.concept_counts_requested.send(current_app._get_current_object(),
                                                                   challenge_ids=challenge_ids):
        counts.update(answer)
    return counts


def imported_challenges(organisation: Organisation, *, limit: int = 200) -> list[Challenge]:
    """The organisation's challenges brought in by an archive import, the latest opening first."""
    stmt = (select(Challenge).where(Challenge.organisation_id == organisation.id, Challenge.imported_at.is_not(None))
            .order_by(Challenge.opens_at.desc(), Challenge.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))
