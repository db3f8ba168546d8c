"""Starting judging, and the rounds of judging: who scores what, how, until when (issue 10, item 4).

When a challenge enters judging (`start_judging`, connected to challenges' `state_changed`):
every entered, eligible concept gets its label, drawn in a random order; round 1 is opened with
the rubric, every active juror and every labelled entry (unless there is none, or a round exists);
the platform's conflict flags are raised.
Running it twice changes nothing.

The chair then adds rounds one at a time (`add_next_round`): the new round takes the concepts
advanced from the current one, by rank (its top N) or by hand (each with a note), and the current
round closes. A ranking round, where each juror ranks the shortlist, takes 2 to 12 entries.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.accounts.models import User
from app.challenges.models import Challenge, ChallengeState
from app.concepts.models import Concept, ConceptVersion
from app.concepts.services.identity import version_mentions
from app.core.audit import record_event
from app.db import db
from app.errors import DomainError, Problem
from app.i18n import _, _l
from app.judging import aggregate, permissions, queries
from app.judging.models import (
    EntryLabel,
    JudgingRound,
    RankingBallot,
    RoundEntry,
    RoundJuror,
    RoundMethod,
    RoundState,
    SheetState,
    entry_label,
)
from app.judging.services.flags import flag_conflicts

RANKING_MIN_ENTRIES = 2
RANKING_MAX_ENTRIES = 12


# ---------------------------------------------------------------- start of judging
def _eligible_entries(challenge_id: int) -> list[Concept]:
    return list(db.session.scalars(select(Concept).where(
        Concept.challenge_id == challenge_id, Concept.is_entered, ~Concept.is_ineligible).order_by(Concept.id)))


def draw_labels(challenge: Challenge) -> list[EntryLabel]:
    """Labels for the entered, eligible concepts that have none, numbered on from the highest in a
    random order (secrets: neither the submission order nor the id can be read from them). In a
    blind challenge each label keeps what the identity check finds in the submitted version."""
    labelled = {cid: n for cid, n in db.session.execute(
        select(EntryLabel.concept_id, EntryLabel.number).where(EntryLabel.challenge_id == challenge.id))}
    todo = [c for c in _eligible_entries(challenge.id) if c.id not in labelled]
    if not todo:
        return []
    start = max(labelled.values(), default=0) + 1
    numbers = list(range(start, start + len(todo)))
    secrets.SystemRandom().shuffle(numbers)
    upload_dir = current_app.config["UPLOAD_DIR"]
    made = []
    for concept, number in zip(todo, numbers, strict=True):
        mentions: list[str] = []
        version = concept.current_version()
        if challenge.is_blind and version is not None:
            people = list(db.session.scalars(select(User).where(User.id.in_(version.member_ids or []))))
            mentions = version_mentions(version, people, upload_dir=upload_dir)
        label = EntryLabel(challenge_id=challenge.id, concept_id=concept.id, number=number, mentions=mentions)
        db.session.add(label)
        made.append(label)
    db.session.flush()
    return made


def start_judging(challenge: Challenge, *, actor: Any | None, now: datetime) -> None:
    """Labels, round 1 and conflict flags for a challenge entering judging (idempotent)."""
    made = draw_labels(challenge)
    labelled = list(db.session.scalars(select(EntryLabel.concept_id).where(EntryLabel.challenge_id == challenge.id)))
    # With no entry there is nothing to judge: no round (the chair can open one later, if entries are
    # labelled after all).
    if labelled and queries.current_round(challenge.id) is None:
        rnd = JudgingRound(challenge_id=challenge.id, position=1, name=str(_("Round 1")),
                           method=RoundMethod.RUBRIC, criterion_ids=[], deadline_at=challenge.judging_ends_at,
                           jurors_per_concept=None, state=RoundState.OPEN, created_at=now)
        db.session.add(rnd)
        db.session.flush()
        db.session.add_all([RoundJuror(round_id=rnd.id, seat_id=s.id) for s in queries.seats(challenge.id)])
        db.session.add_all([RoundEntry(round_id=rnd.id, concept_id=cid, added_at=now) for cid in labelled])
        db.session.flush()
        record_event(actor=actor, action="judging.round_opened", object_type="challenge", object_id=challenge.id,
                     details={"round": 1, "labels": len(made)})
    flag_conflicts(challenge)


def on_state_changed(sender: Challenge, *, to_state: Any, actor: Any = None, now: datetime,
                     **_extra: Any) -> None:
    """challenges.signals.state_changed: judging starts."""
    if ChallengeState(to_state) is ChallengeState.JUDGING:
        start_judging(sender, actor=actor, now=now)


# ---------------------------------------------------------------- rankings of a round
@dataclass(frozen=True)
class RankedEntry:
    concept_id: int
    rank: int
    score: float | None  # rubric rounds; None in a ranking round or when nobody scored it


def rubric_ranking(judging_round: JudgingRound, basis: aggregate.Basis) -> list[RankedEntry]:
    ranking = aggregate.ranking(queries.round_scores(judging_round), basis)
    return [RankedEntry(e.concept_id, e.rank, e.score) for e in ranking.entries]


def schulze_ranking(judging_round: JudgingRound) -> list[RankedEntry]:
    """The Schulze order of a ranking round from its submitted ballots (conflicts as recusals).
    Raises DomainError when a stored ballot does not fit the round's shortlist."""
    found = queries.round_ballots(judging_round)
    if not found.candidates:
        return []
    if found.invalid_seat_ids:
        raise DomainError(_l("A submitted ranking does not fit this round's entries, so the round cannot be "
                             "ranked."), kind=Problem.CONFLICT)
    result = aggregate.schulze(found.candidates, found.ballots)
    return [RankedEntry(cid, i + 1, None) for i, cid in enumerate(result.order)]


def has_submitted_ballots(judging_round: JudgingRound) -> bool:
    return db.session.scalar(select(RankingBallot.id).where(
        RankingBallot.round_id == judging_round.id, RankingBallot.state == SheetState.SUBMITTED).limit(1)) is not None


def round_ranking(judging_round: JudgingRound, basis: aggregate.Basis = aggregate.Basis.RAW) -> list[RankedEntry]:
    """The round's order. Raises DomainError (CONFLICT) when its scores cannot be ranked."""
    if judging_round.method == RoundMethod.RANKING:
        return schulze_ranking(judging_round)
    try:
        return rubric_ranking(judging_round, basis)
    except ValueError as exc:
        raise DomainError(_l("The scores of this round cannot be ranked yet. Advance concepts by hand instead."),
                          field="advance", kind=Problem.CONFLICT) from exc


# ---------------------------------------------------------------- the next round
@dataclass
class NextRound:
    name: str
    method: str
    criterion_ids: list[int]
    deadline_at: datetime | None
    seat_ids: list[int]
    # How entries come from the current round: "rank" (top_n on `basis`) or "hand" (picked, with notes).
    advance: str = "rank"
    top_n: int | None = None
    basis: str = aggregate.Basis.RAW.value
    picked: dict[int, str] = field(default_factory=dict)  # concept id -> note


def require_scoring(challenge: Challenge) -> None:
    """Rounds change only while the challenge is in judging. Raises DomainError (CONFLICT)."""
    if ChallengeState(challenge.state) not in permissions.SCORING_STATES:
        raise DomainError(_l("Rounds can only be changed while the challenge is in judging."), kind=Problem.CONFLICT)


def add_next_round(*, challenge: Challenge, data: NextRound, by: Any, now: datetime) -> JudgingRound:
    """Open the next round with the concepts advanced from the current one, and close that one.
    Raises DomainError (bad criteria, deadline, jurors, N, notes, entries for a ranking round)."""
    require_scoring(challenge)
    name = " ".join((data.name or "").split())
    if not name:
        raise DomainError(_l("Give the round a name."), field="name")
    if data.method not in {m.value for m in RoundMethod}:
        raise DomainError(_l("Choose how the round is judged."), field="method")
    rubric_ids = [c.id for c in challenge.criteria]
    criterion_ids: list[int] = []
    if data.method == RoundMethod.RUBRIC:
        if not data.criterion_ids:
            raise DomainError(_l("Choose at least one criterion for the round."), field="criteria")
        if any(c not in rubric_ids for c in data.criterion_ids):
            raise DomainError(_l("Choose criteria from the rubric."), field="criteria")
        chosen = set(data.criterion_ids)
        criterion_ids = [] if chosen == set(rubric_ids) else [c for c in rubric_ids if c in chosen]
    if data.deadline_at is None:
        raise DomainError(_l("Enter the round's deadline."), field="deadline")
    if data.deadline_at <= now:
        raise DomainError(_l("The deadline is in the past. Choose a later time."), field="deadline")
    active = {s.id: s for s in queries.seats(challenge.id)}
    if not data.seat_ids:
        raise DomainError(_l("Choose at least one juror for the round."), field="jurors")
    if any(s not in active for s in data.seat_ids):
        raise DomainError(_l("Choose jurors from the list."), field="jurors")

    current = queries.current_round(challenge.id)
    notes: dict[int, str | None] = {}
    if current is None:
        notes = {cid: None for cid in queries.labels(challenge.id)}
    else:
        in_round = queries.round_concept_ids(current.id)
        if data.advance == "rank":
            if data.top_n is None or not 1 <= data.top_n <= len(in_round):
                raise DomainError(_l("Enter how many concepts advance, from 1 to %(max)d.", max=len(in_round)),
                                  field="top_n")
            basis = aggregate.Basis(data.basis) if data.basis in {b.value for b in aggregate.Basis} \
                else aggregate.Basis.RAW
            ranked = round_ranking(current, basis)
            notes = {e.concept_id: None for e in ranked[:data.top_n]}
        elif data.advance == "hand":
            if not data.picked:
                raise DomainError(_l("Tick the concepts that advance."), field="advance")
            if any(cid not in in_round for cid in data.picked):
                raise DomainError(_l("Choose concepts from the current round."), field="advance")
            for cid, note in data.picked.items():
                note = (note or "").strip()
                if not note:
                    raise DomainError(_l("Say why each concept you pick by hand advances."), field=f"note_{cid}")
                notes[cid] = note[:1000]
        else:
            raise DomainError(_l("Choose how concepts advance."), field="advance")
    if data.method == RoundMethod.RANKING and not RANKING_MIN_ENTRIES <= len(notes) <= RANKING_MAX_ENTRIES:
        raise DomainError(_l("A ranking round needs from %(min)d to %(max)d concepts; this one would have %(n)d.",
                             min=RANKING_MIN_ENTRIES, max=RANKING_MAX_ENTRIES, n=len(notes)),
                          field="top_n" if data.advance == "rank" else "advance")
    if not notes:
        raise DomainError(_l("No concept would be in the round."), field="advance")

    position = 1 if current is None else current.position + 1
    if current is not None:
        current.state = RoundState.CLOSED
        current.closed_at = now
    rnd = JudgingRound(challenge_id=challenge.id, position=position, name=name[:120], method=RoundMethod(data.method),
                       criterion_ids=criterion_ids, deadline_at=data.deadline_at, jurors_per_concept=None,
                       state=RoundState.OPEN, created_at=now)
    db.session.add(rnd)
    db.session.flush()
    db.session.add_all([RoundJuror(round_id=rnd.id, seat_id=s) for s in sorted(set(data.seat_ids))])
    db.session.add_all([RoundEntry(round_id=rnd.id, concept_id=cid, note=note,
                                   added_by_id=getattr(by, "id", None), added_at=now)
                        for cid, note in sorted(notes.items())])
    db.session.flush()
    record_event(actor=by, action="judging.round_added", object_type="challenge", object_id=challenge.id,
                 details={"round": position, "method": str(rnd.method), "entries": sorted(notes),
                          "advance": data.advance if current is not None else "all",
                          "top_n": data.top_n if data.advance == "rank" else None,
                          "closed_round": current.position if current is not None else None})
    return rnd


@dataclass(frozen=True)
class LabelledEntry:
    concept_id: int
    number: int
    label: str
    title: str  # of the submitted version the jury reads


def labelled_entries(challenge_id: int) -> dict[int, LabelledEntry]:
    """{concept id: its label and title}, by label number: what the chair's pages show of an entry
    (never a team, so the same in a blind challenge)."""
    rows = db.session.execute(
        select(EntryLabel.concept_id, EntryLabel.number, ConceptVersion.title)
        .join(Concept, Concept.id == EntryLabel.concept_id)
        .outerjoin(ConceptVersion, (ConceptVersion.concept_id == Concept.id)
                   & (ConceptVersion.number == Concept.submitted_version_no))
        .where(EntryLabel.challenge_id == challenge_id).order_by(EntryLabel.number))
    return {cid: LabelledEntry(cid, n, entry_label(n), title or "") for cid, n, title in rows}
