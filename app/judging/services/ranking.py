"""Ranking ballots: in a round scored by ranking, each juror orders the round's entries they may
read, 1 best; the Schulze method combines the ballots (aggregate.py). One ballot per juror and
round (S22): the seat row is locked and the unique constraint backs the get-or-create.

A save may leave ranks blank but never give one rank twice; a submit needs every rank from 1 to
n exactly once. Both refuse with the problem named and keep what was typed (the view re-renders).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.core.audit import record_event
from app.db import db
from app.errors import Problem
from app.i18n import _l
from app.judging import queries
from app.judging.models import JudgingRound, JurySeat, RankingBallot, RoundMethod, SheetState
from app.judging.services.conflicts import lock_seat
from app.judging.services.scoring import SheetConflictError, SheetError, read_only_reason


def rank_field(label: str) -> str:
    return f"rank_{label}"


def parse_ranks(raw: Mapping[int, str], labels: Mapping[int, str], *, complete: bool) -> dict[int, int]:
    """{concept id: rank} from the posted texts; blanks left out. Raises SheetError naming each
    problem (not a number, out of range, a rank given twice, with `complete` a rank missing)."""
    n = len(labels)
    ranks: dict[int, int] = {}
    errors: dict[str, object] = {}
    for cid, label in labels.items():
        text = (raw.get(cid) or "").strip()
        if not text:
            if complete:
                errors[rank_field(label)] = _l("Give %(label)s a rank from 1 to %(n)d.", label=label, n=n)
            continue
        rank = int(text) if re.fullmatch(r"[0-9]{1,9}", text) else 0
        if not 1 <= rank <= n:
            errors[rank_field(label)] = _l("The rank of %(label)s must be a whole number from 1 to %(n)d.",
                                           label=label, n=n)
            continue
        ranks[cid] = rank
    by_rank: dict[int, list[int]] = {}
    for cid, rank in ranks.items():
        by_rank.setdefault(rank, []).append(cid)
    for rank, cids in sorted(by_rank.items()):
        if len(cids) > 1:
            names = ", ".join(sorted(labels[c] for c in cids))
            for cid in cids:
                errors[rank_field(labels[cid])] = _l(
                    "Rank %(rank)d is given to more than one entry (%(labels)s): give each rank once.",
                    rank=rank, labels=names)
    if complete and not errors:
        missing = sorted(set(range(1, n + 1)) - set(ranks.values()))
        if missing:  # cannot happen once every entry has a distinct rank in 1..n; kept as a guard
            errors["ranks"] = _l("No entry has rank %(ranks)s: use every rank from 1 to %(n)d once.",
                                 ranks=", ".join(map(str, missing)), n=n)
    if errors:
        raise SheetError(next(iter(errors.values())), errors=errors)
    return ranks


def save_ballot(*, seat: JurySeat, judging_round: JudgingRound, base_version: int | None,
                raw: Mapping[int, str], submit: bool, by: User, now: datetime) -> RankingBallot:
    """Save (or submit) the juror's ranking of the round's entries they may read. Raises
    SheetError (400, 404, 409) or SheetConflictError (409, a stale tab)."""
    if judging_round.method != RoundMethod.RANKING:
        raise SheetError(_l("This round is scored with sheets, not by ranking."), kind=Problem.MISSING)
    reason = read_only_reason(seat.challenge, judging_round, now)
    if reason is not None:
        raise SheetError(reason, kind=Problem.CONFLICT)
    lock_seat(seat)
    readable = queries.readable_concept_ids(seat, judging_round)
    labels = {cid: label for cid, label in queries.labels(seat.challenge_id).items() if cid in readable}
    if set(raw) - set(labels):
        raise SheetError(_l("One of the entries is not yours to rank in this round. Reload the page and try "
                            "again."), kind=Problem.FORBIDDEN)
    existing = queries.ballot_of(judging_round.id, seat.id)
    complete = submit or (existing is not None and existing.state == SheetState.SUBMITTED)
    current = existing.lock_version if existing is not None else 0
    if base_version is None or base_version != current:
        try:
            same = existing is not None and _stored(existing) == parse_ranks(raw, labels, complete=False) \
                and (not submit or existing.state == SheetState.SUBMITTED)
        except SheetError:
            same = False
        if same and existing is not None:
            return existing
        raise SheetConflictError(_l("Your ranking was saved since you opened this page (perhaps in another tab). "
                                    "Nothing was overwritten: your ranks are below, with the saved ones."))
    ranks = parse_ranks(raw, labels, complete=complete)
    ballot, created = existing, False
    if ballot is None:
        try:
            with db.session.begin_nested():
                ballot = RankingBallot(round_id=judging_round.id, seat_id=seat.id, ranks={},
                                       state=SheetState.DRAFT, lock_version=1, updated_at=now)
                db.session.add(ballot)
            created = True
        except IntegrityError:
            ballot = queries.ballot_of(judging_round.id, seat.id)
            if ballot is None:
                raise
            if _stored(ballot) == ranks:
                return ballot
            raise SheetConflictError(_l("Your ranking was saved since you opened this page (perhaps in another "
                                        "tab). Nothing was overwritten: your ranks are below, with the saved "
                                        "ones.")) from None
    ballot.ranks = {str(cid): rank for cid, rank in sorted(ranks.items())}
    if not created:
        ballot.lock_version = ballot.lock_version + 1
    ballot.updated_at = now
    if submit and ballot.state != SheetState.SUBMITTED:
        ballot.state = SheetState.SUBMITTED
        ballot.submitted_at = now
        db.session.flush()
        record_event(actor=by, action="judging.ballot_submitted", object_type="ranking_ballot", object_id=ballot.id,
                     details={"seat_id": seat.id, "round_id": judging_round.id})
    db.session.flush()
    return ballot


def _stored(ballot: RankingBallot) -> dict[int, int]:
    return {int(cid): int(rank) for cid, rank in (ballot.ranks or {}).items()}
