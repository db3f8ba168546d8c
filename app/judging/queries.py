"""Reads for judging pages and other features: seats, conflicts, what a juror may see, and a
round's scores as the pure aggregation's input (a fixed number of queries whatever the size)."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import User
from app.challenges.lifecycle import public_clause
from app.challenges.models import Challenge, ChallengeState, StateTransition
from app.concepts.models import Concept, ConceptMember, ConceptVersion
from app.core.audit import AuditEvent
from app.core.timeutil import as_utc
from app.db import db
from app.judging import aggregate
from app.judging.models import (
    CONFLICT_IN_FORCE,
    Assignment,
    Conflict,
    Decision,
    DecisionState,
    EntryLabel,
    JudgingRound,
    JurySeat,
    Placement,
    PlacementKind,
    RankingBallot,
    ReminderSent,
    RoundEntry,
    RoundJuror,
    RoundMethod,
    Score,
    ScoreSheet,
    SheetState,
    entry_label,
)


def active_seat(user_id: int | None, challenge_id: int) -> JurySeat | None:
    """The user's seat on the challenge's jury, unless they were removed."""
    if user_id is None:
        return None
    return db.session.scalar(select(JurySeat).where(
        JurySeat.user_id == user_id, JurySeat.challenge_id == challenge_id, JurySeat.removed_at.is_(None)))


def seats_of_user(user_id: int) -> list[JurySeat]:
    """Every active seat of the user, with its challenge (the juror's home)."""
    return list(db.session.scalars(
        select(JurySeat).where(JurySeat.user_id == user_id, JurySeat.removed_at.is_(None))
        .options(joinedload(JurySeat.challenge).joinedload(Challenge.organisation))
        .order_by(JurySeat.joined_at.desc(), JurySeat.id.desc())))


def seats(challenge_id: int, *, include_removed: bool = False) -> list[JurySeat]:
    stmt = (select(JurySeat).where(JurySeat.challenge_id == challenge_id)
            .options(joinedload(JurySeat.user)).order_by(JurySeat.id))
    if not include_removed:
        stmt = stmt.where(JurySeat.removed_at.is_(None))
    return list(db.session.scalars(stmt))


def rounds(challenge_id: int) -> list[JudgingRound]:
    return list(db.session.scalars(select(JudgingRound).where(JudgingRound.challenge_id == challenge_id)
                                   .order_by(JudgingRound.position)))


def current_round(challenge_id: int) -> JudgingRound | None:
    """The last round (the one being scored, or the final one once judging is over)."""
    return db.session.scalar(select(JudgingRound).where(JudgingRound.challenge_id == challenge_id)
                             .order_by(JudgingRound.position.desc()).limit(1))


def has_labels(challenge_id: int) -> bool:
    """Has judging started for the challenge's entries (labels drawn)? One indexed lookup."""
    return db.session.scalar(select(EntryLabel.id).where(EntryLabel.challenge_id == challenge_id).limit(1)) is not None


def labels(challenge_id: int) -> dict[int, str]:
    """{concept id: "C-017"} for the challenge's entries."""
    rows = db.session.execute(select(EntryLabel.concept_id, EntryLabel.number)
                              .where(EntryLabel.challenge_id == challenge_id))
    return {cid: EntryLabel(number=n).label for cid, n in rows}


def decision(challenge_id: int) -> Decision | None:
    """The jury's decision for the challenge, if one was started."""
    return db.session.scalar(select(Decision).where(Decision.challenge_id == challenge_id))


def sheets_locked(challenge_id: int) -> bool:
    """Once the decision is final every sheet and ballot of the challenge is read-only (S21)."""
    found = decision(challenge_id)
    return found is not None and found.is_final


def conflicted_concept_ids(seat_id: int) -> set[int]:
    """The concepts a conflict in force keeps this juror away from (P09)."""
    return set(db.session.scalars(select(Conflict.concept_id).where(
        Conflict.seat_id == seat_id, Conflict.status.in_([s.value for s in CONFLICT_IN_FORCE]))))


def round_concept_ids(round_id: int) -> list[int]:
    return list(db.session.scalars(select(RoundEntry.concept_id).where(RoundEntry.round_id == round_id)
                                   .order_by(RoundEntry.concept_id)))


def readable_concept_ids(seat: JurySeat, judging_round: JudgingRound) -> set[int]:
    """The concepts of the round this juror may open: in the round, assigned to them (every entry
    when the round assigns everyone) and not conflicted. Empty for a juror not in the round."""
    in_round = db.session.scalar(select(RoundJuror.id).where(
        RoundJuror.round_id == judging_round.id, RoundJuror.seat_id == seat.id))
    if in_round is None or not seat.is_active:
        return set()
    entries = set(round_concept_ids(judging_round.id))
    if judging_round.jurors_per_concept is not None:
        entries &= set(db.session.scalars(select(Assignment.concept_id).where(
            Assignment.round_id == judging_round.id, Assignment.seat_id == seat.id)))
    return entries - conflicted_concept_ids(seat.id)


@dataclass(frozen=True)
class JurorProgress:
    """How far one juror of a round has come (the chair's progress page, the reminders).

    `last_activity` is the latest save of a sheet or ballot, or the declaration of conflicts.
    `readable` counts the concepts the juror may open (the readable_concept_ids rule, worked out
    for every juror at once); for a removed juror it is what they could open before removal, and
    nothing is left for them to do. In a ranking round the work is one ballot."""

    seat: JurySeat
    readable: int
    submitted: int
    drafts: int
    ranking: bool
    ballot: SheetState | None
    last_activity: datetime | None

    @property
    def not_started(self) -> int:
        return max(self.readable - self.submitted - self.drafts, 0)

    @property
    def left(self) -> int:
        """Sheets (or, in a ranking round, the one ballot) still to submit; 0 for a removed juror."""
        if not self.seat.is_active or self.readable == 0:
            return 0
        if self.ranking:
            return 0 if self.ballot == SheetState.SUBMITTED else 1
        return max(self.readable - self.submitted, 0)


def round_progress(judging_round: JudgingRound) -> list[JurorProgress]:
    """Every juror of the round (removed ones too, marked by their seat) with their sheet counts.
    Five queries (six with an assignment) whatever the number of jurors and concepts: the sheets
    are counted per juror and state in one grouped query that applies the readable rule in SQL."""
    seats_in_round = list(db.session.scalars(
        select(JurySeat).join(RoundJuror, RoundJuror.seat_id == JurySeat.id)
        .where(RoundJuror.round_id == judging_round.id)
        .options(joinedload(JurySeat.user)).order_by(JurySeat.removed_at.is_not(None), JurySeat.id)))
    entries = set(round_concept_ids(judging_round.id))
    in_force = [s.value for s in CONFLICT_IN_FORCE]
    conflicts: dict[int, set[int]] = {}
    for seat_id, concept_id in db.session.execute(select(Conflict.seat_id, Conflict.concept_id).where(
            Conflict.challenge_id == judging_round.challenge_id, Conflict.status.in_(in_force))):
        conflicts.setdefault(seat_id, set()).add(concept_id)
    assigned: dict[int, set[int]] | None = None
    sheet_filter = [
        ScoreSheet.round_id == judging_round.id,
        ScoreSheet.concept_id.in_(select(RoundEntry.concept_id).where(RoundEntry.round_id == judging_round.id)),
        ~exists().where(Conflict.seat_id == ScoreSheet.seat_id, Conflict.concept_id == ScoreSheet.concept_id,
                        Conflict.status.in_(in_force)),
    ]
    if judging_round.jurors_per_concept is not None:
        assigned = {}
        for seat_id, concept_id in db.session.execute(select(Assignment.seat_id, Assignment.concept_id).where(
                Assignment.round_id == judging_round.id)):
            assigned.setdefault(seat_id, set()).add(concept_id)
        sheet_filter.append(exists().where(Assignment.round_id == judging_round.id,
                                           Assignment.seat_id == ScoreSheet.seat_id,
                                           Assignment.concept_id == ScoreSheet.concept_id))
    counts: dict[tuple[int, str], int] = {}
    latest: dict[int, datetime] = {}
    for seat_id, state, count, last in db.session.execute(
            select(ScoreSheet.seat_id, ScoreSheet.state, func.count(), func.max(ScoreSheet.updated_at))
            .where(*sheet_filter).group_by(ScoreSheet.seat_id, ScoreSheet.state)):
        counts[(seat_id, str(state))] = int(count)
        if last is not None:
            last = as_utc(last)
            latest[seat_id] = max(latest.get(seat_id, last), last)
    ranking = judging_round.method == RoundMethod.RANKING
    ballots: dict[int, SheetState] = {}
    if ranking:
        for seat_id, state, updated in db.session.execute(
                select(RankingBallot.seat_id, RankingBallot.state, RankingBallot.updated_at)
                .where(RankingBallot.round_id == judging_round.id)):
            ballots[seat_id] = SheetState(state)
            if updated is not None:
                updated = as_utc(updated)
                latest[seat_id] = max(latest.get(seat_id, updated), updated)
    found = []
    for seat in seats_in_round:
        mine = entries if assigned is None else entries & assigned.get(seat.id, set())
        mine = mine - conflicts.get(seat.id, set())
        moments = [m for m in (latest.get(seat.id), seat.conflicts_declared_at) if m is not None]
        found.append(JurorProgress(
            seat=seat, readable=len(mine), submitted=counts.get((seat.id, SheetState.SUBMITTED.value), 0),
            drafts=counts.get((seat.id, SheetState.DRAFT.value), 0), ranking=ranking,
            ballot=ballots.get(seat.id), last_activity=max(map(as_utc, moments), default=None)))
    return found


def tie_key(submitted_at: datetime | None, concept_id: int) -> str:
    """The published last tie-breaker: the earlier submission first; two entries submitted in the
    same instant (or none) by id, so that it always decides."""
    return f"{as_utc(submitted_at).isoformat() if submitted_at else '~'}|{concept_id:012d}"


@dataclass(frozen=True)
class RoundInput:
    data: aggregate.RoundScores
    # Scores on a concept the juror has since recused from or is no longer assigned: left out.
    dropped_scores: int


def round_input(judging_round: JudgingRound, *, submitted_only: bool = True,
                seat_ids: Iterable[int] | None = None) -> RoundInput:
    """The round's sheets as the aggregation's input: every juror of the round (removed ones too:
    their submitted scores stay in the record), every entry with its tie key, the scores of
    submitted sheets (or all sheets), conflicts as recusals and the assignment when the round has
    one. A score the juror gave before recusing (or before the assignment changed) is left out and
    counted, so every caller ranks the same data. Six queries whatever the size of the round."""
    criteria = judging_round.criteria()
    seat_rows = list(db.session.scalars(select(RoundJuror.seat_id).where(RoundJuror.round_id == judging_round.id)))
    if seat_ids is not None:
        wanted = set(seat_ids)
        seat_rows = [s for s in seat_rows if s in wanted]
    concept_rows = db.session.execute(
        select(Concept.id, Concept.submitted_at).join(RoundEntry, RoundEntry.concept_id == Concept.id)
        .where(RoundEntry.round_id == judging_round.id)).all()
    criterion_ids = [c.id for c in criteria]
    score_stmt = (select(ScoreSheet.seat_id, ScoreSheet.concept_id, Score.criterion_id, Score.value)
                  .join(Score, Score.sheet_id == ScoreSheet.id)
                  .where(ScoreSheet.round_id == judging_round.id, Score.value.is_not(None),
                         Score.criterion_id.in_(criterion_ids)))
    if submitted_only:
        score_stmt = score_stmt.where(ScoreSheet.state == SheetState.SUBMITTED)
    seat_set = set(seat_rows)
    scores = [aggregate.Score(juror_id=s, concept_id=c, criterion_id=k, value=float(v))
              for s, c, k, v in db.session.execute(score_stmt) if s in seat_set]
    recusals = {(s, c) for s, c in db.session.execute(
        select(Conflict.seat_id, Conflict.concept_id).where(
            Conflict.challenge_id == judging_round.challenge_id,
            Conflict.status.in_([s.value for s in CONFLICT_IN_FORCE]))) if s in seat_set}
    assignments = None
    if judging_round.jurors_per_concept is not None:
        assignments = {(s, c) for s, c in db.session.execute(
            select(Assignment.seat_id, Assignment.concept_id).where(Assignment.round_id == judging_round.id))
            if s in seat_set}
    kept = [sc for sc in scores if (sc.juror_id, sc.concept_id) not in recusals
            and (assignments is None or (sc.juror_id, sc.concept_id) in assignments)]
    data = aggregate.RoundScores(
        criteria=tuple(aggregate.Criterion(id=c.id, weight=float(c.weight), scale_min=float(c.scale_min),
                                           scale_max=float(c.scale_max)) for c in criteria),
        jurors=tuple(aggregate.Juror(id=s) for s in sorted(seat_rows)),
        concepts=tuple(aggregate.Concept(id=cid, tie_key=tie_key(at, cid)) for cid, at in concept_rows),
        scores=tuple(kept), recusals=frozenset(recusals),
        assignments=frozenset(assignments) if assignments is not None else None)
    return RoundInput(data=data, dropped_scores=len(scores) - len(kept))


def round_scores(judging_round: JudgingRound, *, submitted_only: bool = True,
                 seat_ids: Iterable[int] | None = None) -> aggregate.RoundScores:
    """round_input's data: what the aggregation ranks."""
    return round_input(judging_round, submitted_only=submitted_only, seat_ids=seat_ids).data


@dataclass(frozen=True)
class RoundBallots:
    candidates: tuple[aggregate.Concept, ...]
    ballots: tuple[aggregate.Ballot, ...]
    invalid_seat_ids: tuple[int, ...]  # submitted ballots that do not fit the shortlist: not counted


def round_ballots(judging_round: JudgingRound) -> RoundBallots:
    """A ranking round's submitted ballots as the Schulze method's input (conflicts as recusals);
    a stored ballot that does not fit the round's entries is set aside and named."""
    concept_rows = db.session.execute(
        select(Concept.id, Concept.submitted_at).join(RoundEntry, RoundEntry.concept_id == Concept.id)
        .where(RoundEntry.round_id == judging_round.id)).all()
    candidates = tuple(aggregate.Concept(id=cid, tie_key=tie_key(at, cid)) for cid, at in concept_rows)
    known = {c.id for c in candidates}
    recusals: dict[int, set[int]] = {}
    for seat_id, concept_id in db.session.execute(
            select(Conflict.seat_id, Conflict.concept_id).where(
                Conflict.challenge_id == judging_round.challenge_id,
                Conflict.status.in_([s.value for s in CONFLICT_IN_FORCE]))):
        if concept_id in known:
            recusals.setdefault(seat_id, set()).add(concept_id)
    ballots, invalid = [], []
    for seat_id, ranks in db.session.execute(
            select(RankingBallot.seat_id, RankingBallot.ranks).where(
                RankingBallot.round_id == judging_round.id, RankingBallot.state == SheetState.SUBMITTED)
            .order_by(RankingBallot.seat_id)):
        try:
            parsed = {int(k): v for k, v in (ranks or {}).items()}
            ballot = aggregate.ballot_from_ranks(seat_id, parsed, recusals.get(seat_id, set()))
            if candidates:
                aggregate.schulze(candidates, [ballot])  # validates it against the shortlist
        except (ValueError, TypeError):
            invalid.append(seat_id)
            continue
        ballots.append(ballot)
    return RoundBallots(candidates=candidates, ballots=tuple(ballots), invalid_seat_ids=tuple(invalid))



# ---------------------------------------------------------------- a juror's own pages (C1 scoring)
@dataclass(frozen=True)
class Entry:
    """An entry as a juror may know it: its label and the frozen version's title; the team name
    and member ids are for pages of challenges that are not blind (never shown when blind, S19)."""

    concept_id: int
    label: str
    number: int
    title: str
    version_id: int | None
    team_name: str | None
    member_ids: tuple[int, ...]


def entries(challenge_id: int, concept_ids: Iterable[int] | None = None) -> list[Entry]:
    """The challenge's labelled entries (or those of `concept_ids`), in label order, with the
    version that counts. One query."""
    stmt = (select(EntryLabel.concept_id, EntryLabel.number, ConceptVersion.id, ConceptVersion.title,
                   ConceptVersion.team_name, ConceptVersion.member_ids, Concept.title)
            .join(Concept, Concept.id == EntryLabel.concept_id)
            .outerjoin(ConceptVersion, and_(ConceptVersion.concept_id == Concept.id,
                                            ConceptVersion.number == Concept.submitted_version_no))
            .where(EntryLabel.challenge_id == challenge_id).order_by(EntryLabel.number))
    if concept_ids is not None:
        stmt = stmt.where(EntryLabel.concept_id.in_(list(concept_ids)))
    return [Entry(concept_id=cid, label=entry_label(number), number=number, title=vtitle or ctitle or "",
                  version_id=vid, team_name=team, member_ids=tuple(members or ()))
            for cid, number, vid, vtitle, team, members, ctitle in db.session.execute(stmt)]


def entry_by_label(challenge_id: int, label: str) -> Entry | None:
    """The entry a label names ("C-017", exactly as shown), or None."""
    match = re.fullmatch(r"C-(\d{3,9})", label or "")
    if match is None or entry_label(int(match.group(1))) != label:
        return None
    found = db.session.scalar(select(EntryLabel.concept_id).where(
        EntryLabel.challenge_id == challenge_id, EntryLabel.number == int(match.group(1))))
    if found is None:
        return None
    rows = entries(challenge_id, [found])
    return rows[0] if rows else None


def display_names(user_ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(user_ids))
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def conflicts_of_seat(seat_id: int) -> dict[int, Conflict]:
    """The seat's conflicts in force, by concept id (a declared one wins over a confirmed flag)."""
    found: dict[int, Conflict] = {}
    rows = db.session.scalars(select(Conflict).where(
        Conflict.seat_id == seat_id, Conflict.status.in_([s.value for s in CONFLICT_IN_FORCE]))
        .order_by(Conflict.origin, Conflict.id))
    for row in rows:
        found.setdefault(row.concept_id, row)
    return found


def sits_in_round(seat_id: int, round_id: int) -> bool:
    return db.session.scalar(select(RoundJuror.id).where(RoundJuror.round_id == round_id,
                                                         RoundJuror.seat_id == seat_id)) is not None


def sheets_of_seat(seat_id: int, round_id: int) -> dict[int, ScoreSheet]:
    """The seat's sheets in the round, by concept id."""
    return {s.concept_id: s for s in db.session.scalars(select(ScoreSheet).where(
        ScoreSheet.seat_id == seat_id, ScoreSheet.round_id == round_id))}


def sheet_of(round_id: int, seat_id: int, concept_id: int) -> ScoreSheet | None:
    return db.session.scalar(select(ScoreSheet).where(
        ScoreSheet.round_id == round_id, ScoreSheet.seat_id == seat_id, ScoreSheet.concept_id == concept_id))


def ballot_of(round_id: int, seat_id: int) -> RankingBallot | None:
    return db.session.scalar(select(RankingBallot).where(RankingBallot.round_id == round_id,
                                                         RankingBallot.seat_id == seat_id))


def concept_sheets(round_id: int, concept_id: int) -> list[ScoreSheet]:
    """Every sheet of the round on one concept, with scores and seats (the chair's and, after
    submitting, the jurors' view of the others; anchoring rule in views/scoring.py)."""
    return list(db.session.scalars(
        select(ScoreSheet).where(ScoreSheet.round_id == round_id, ScoreSheet.concept_id == concept_id)
        .options(selectinload(ScoreSheet.scores), joinedload(ScoreSheet.seat).joinedload(JurySeat.user))
        .order_by(ScoreSheet.seat_id)))


@dataclass(frozen=True)
class RoundProgress:
    """What one round holds for one juror: readable entries and how far they are."""

    round: JudgingRound
    total: int
    submitted: int
    drafts: int
    ballot_state: str | None  # ranking rounds: None (not started), "draft" or "submitted"

    @property
    def left(self) -> int:
        return self.total - self.submitted


def juror_rounds(seat: JurySeat) -> list[RoundProgress]:
    """The rounds this seat sits in, each with the juror's progress (readable entries only)."""
    round_ids = set(db.session.scalars(select(RoundJuror.round_id).where(RoundJuror.seat_id == seat.id)))
    found = []
    for rnd in rounds(seat.challenge_id):
        if rnd.id not in round_ids:
            continue
        readable = readable_concept_ids(seat, rnd)
        if rnd.method == RoundMethod.RANKING:
            ballot = ballot_of(rnd.id, seat.id)
            state = None if ballot is None else str(ballot.state)
            found.append(RoundProgress(round=rnd, total=1, submitted=int(state == SheetState.SUBMITTED),
                                       drafts=int(state == SheetState.DRAFT), ballot_state=state))
            continue
        sheets = [s for cid, s in sheets_of_seat(seat.id, rnd.id).items() if cid in readable]
        submitted = sum(1 for s in sheets if s.is_submitted)
        found.append(RoundProgress(round=rnd, total=len(readable), submitted=submitted,
                                   drafts=len(sheets) - submitted, ballot_state=None))
    return found


def has_active_seat(user_id: int) -> bool:
    """Does the user sit on any jury (the "Jury" link of the main navigation)? One query."""
    return db.session.scalar(select(JurySeat.id).where(JurySeat.user_id == user_id,
                                                       JurySeat.removed_at.is_(None)).limit(1)) is not None


# The audit action of a chair's "remind" press; the reminders service writes it, the progress page
# and the one-hour limit read it.
REMINDED_ACTION = "judging.juror_reminded"


def last_reminded(seat_ids: Iterable[int]) -> dict[int, datetime]:
    """{seat id: when the juror was last reminded}, by the chair or by the deadline reminders.
    Two queries whatever the number of jurors."""
    ids = list(seat_ids)
    if not ids:
        return {}
    found: dict[int, datetime] = {}
    rows = [*db.session.execute(select(AuditEvent.object_id, func.max(AuditEvent.created_at)).where(
                AuditEvent.action == REMINDED_ACTION, AuditEvent.object_type == "jury_seat",
                AuditEvent.object_id.in_(ids)).group_by(AuditEvent.object_id)),
            *db.session.execute(select(ReminderSent.seat_id, func.max(ReminderSent.sent_at)).where(
                ReminderSent.seat_id.in_(ids)).group_by(ReminderSent.seat_id))]
    for seat_id, when in rows:
        if seat_id is not None and when is not None:
            when = as_utc(when)
            found[seat_id] = max(found.get(seat_id, when), when)
    return found


# ---------------------------------------------------------------------------------------------
# Results (D2): what is published once the decision is final


def final_decision(challenge_id: int) -> Decision | None:
    """The decision, only once it is final (results are published from nothing less)."""
    found = decision(challenge_id)
    return found if found is not None and found.is_final else None


def awarded_concept_ids(challenge_id: int) -> set[int]:
    """The concepts that won a prize or an honourable mention in the final decision."""
    return set(db.session.scalars(
        select(Placement.concept_id).join(Decision, Decision.id == Placement.decision_id)
        .where(Decision.challenge_id == challenge_id, Decision.state == DecisionState.FINAL)))


def results_published_at(challenge_ids: Iterable[int]) -> dict[int, datetime]:
    """{challenge id: when its results were published}: the last recorded step to results."""
    ids = list(challenge_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(StateTransition.challenge_id, func.max(StateTransition.at))
        .where(StateTransition.challenge_id.in_(ids), StateTransition.to_state == ChallengeState.RESULTS.value)
        .group_by(StateTransition.challenge_id))
    return {cid: as_utc(at) for cid, at in rows if at is not None}


def _published_at_subquery() -> Any:
    return (select(StateTransition.challenge_id.label("challenge_id"), func.max(StateTransition.at).label("at"))
            .where(StateTransition.to_state == ChallengeState.RESULTS.value)
            .group_by(StateTransition.challenge_id).subquery())


def winners_stmt(*, now: datetime) -> Select[tuple[Placement]]:
    """Every published placement across the platform, newest results first: public challenges in
    results or archived whose decision is final and whose results were published before `now`
    (never a challenge without a final decision, never a future date). Prizes before mentions."""
    published = _published_at_subquery()
    return (select(Placement)
            .join(Decision, Decision.id == Placement.decision_id)
            .join(Challenge, Challenge.id == Decision.challenge_id)
            .join(published, published.c.challenge_id == Challenge.id)
            .where(Decision.state == DecisionState.FINAL, public_clause(),
                   Challenge.state.in_([ChallengeState.RESULTS, ChallengeState.ARCHIVED]),
                   published.c.at <= now)
            .options(joinedload(Placement.decision).joinedload(Decision.challenge)
                     .joinedload(Challenge.organisation),
                     joinedload(Placement.concept).selectinload(Concept.versions).defer(ConceptVersion.body_md),
                     joinedload(Placement.concept).selectinload(Concept.members).joinedload(ConceptMember.user))
            .order_by(published.c.at.desc(), Challenge.id.desc(),
                      (Placement.kind == PlacementKind.MENTION.value), Placement.position, Placement.id))


def latest_winners(*, now: datetime, limit: int = 6) -> list[Placement]:
    return list(db.session.scalars(winners_stmt(now=now).limit(limit)).unique())


def recusal_count(challenge_id: int) -> int:
    """How many (juror, concept) recusals are in force: published as a count only."""
    return int(db.session.scalar(select(func.count(Conflict.id)).where(
        Conflict.challenge_id == challenge_id,
        Conflict.status.in_([s.value for s in CONFLICT_IN_FORCE]))) or 0)


def final_rubric_round(challenge_id: int) -> JudgingRound | None:
    """The last round scored with the rubric: the scores the published distributions come from."""
    return db.session.scalar(select(JudgingRound).where(
        JudgingRound.challenge_id == challenge_id, JudgingRound.method == RoundMethod.RUBRIC.value)
        .order_by(JudgingRound.position.desc()).limit(1))


def submitted_score_values(round_id: int) -> list[tuple[int, int, int]]:
    """(criterion id, seat id, value) of every score on a submitted sheet of the round."""
    return [tuple(row) for row in db.session.execute(  # type: ignore[misc]
        select(Score.criterion_id, ScoreSheet.seat_id, Score.value).join(ScoreSheet, ScoreSheet.id == Score.sheet_id)
        .where(ScoreSheet.round_id == round_id, ScoreSheet.state == SheetState.SUBMITTED,
               Score.value.is_not(None)))]


def released_comments(concept_id: int) -> list[str]:
    """The overall comments of the concept's submitted sheets, for its team: never who wrote them,
    never private notes or scores. Sorted by their text, so no order gives a juror away."""
    comments = db.session.scalars(select(ScoreSheet.overall_comment).where(
        ScoreSheet.concept_id == concept_id, ScoreSheet.state == SheetState.SUBMITTED))
    return sorted((c.strip() for c in comments if c and c.strip()), key=lambda c: (c.casefold(), c))
