"""The jury's decision (issue 10, item 8; S21): placements with prizes and citations, or no
winner with a public reason; saved as a draft (two tabs cannot overwrite each other), finalised
(every sheet then reads as locked: queries.sheets_locked) and unlocked only with a reason.
Finalising and unlocking are audit events.

The rules, checked before anything changes:
- an entry is chosen by its label from the final round's entries, once;
- prizes hold places 1..n without gaps or repeats; mentions follow the prizes in the order given
  and carry no money;
- the prizes never add up to more than the purse (challenge.prize_minor); to finalise they add up
  to it, or a published note says what happens to the rest; every prize has a citation;
- "no winner" needs a public reason and no placements.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.accounts.models import User
from app.challenges.models import Challenge, ChallengeState
from app.core.audit import record_event
from app.db import db
from app.errors import DomainError, Problem
from app.i18n import _l
from app.judging import queries
from app.judging.models import Decision, DecisionState, Placement, PlacementKind
from app.judging.services.table import entries_of

REASON_MAX = 1000
CITATION_MAX = 2000


@dataclass(frozen=True)
class PlacementInput:
    """One row of the decision form as typed (`row` counts from 0)."""

    row: int
    label: str
    kind: str
    position: str
    amount: str
    citation: str

    @property
    def blank(self) -> bool:
        # An amount alone (the suggested split, left in a row with no entry) is no placement.
        return not (self.label.strip() or self.citation.strip())


@dataclass(frozen=True)
class _Parsed:
    concept_id: int
    kind: PlacementKind
    position: int
    prize_minor: int
    citation: str


def final_round_entries(challenge: Challenge) -> dict[str, int]:
    """{label: concept id} of the entries of the challenge's last round, in label order."""
    last = queries.current_round(challenge.id)
    if last is None:
        return {}
    in_round = set(queries.round_concept_ids(last.id))
    found = entries_of(challenge, sorted(in_round))
    return dict(sorted((e.label, cid) for cid, e in found.items()))


def _field(row: int, name: str) -> str:
    return f"placements-{row}-{name}"


def _parse_rows(challenge: Challenge, rows: list[PlacementInput], locale: str) -> list[_Parsed]:
    from app.challenges.forms.editor import parse_money

    known = final_round_entries(challenge)
    seen: dict[int, int] = {}
    parsed: list[_Parsed] = []
    mentions: list[tuple[int, int, str]] = []
    for item in rows:
        if item.blank:
            continue
        label = item.label.strip().upper()
        n = item.row + 1
        if not label:
            raise DomainError(_l("Placement %(n)d: choose the entry.", n=n), field=_field(item.row, "entry"))
        if label not in known:
            raise DomainError(_l("Placement %(n)d: %(label)s is not an entry of the final round.", n=n,
                                 label=label[:20]), field=_field(item.row, "entry"))
        concept_id = known[label]
        if concept_id in seen:
            raise DomainError(_l("%(label)s is placed twice (placements %(first)d and %(n)d): each entry can be "
                                 "placed once.", label=label, first=seen[concept_id], n=n),
                              field=_field(item.row, "entry"))
        seen[concept_id] = n
        if item.kind not in (PlacementKind.PRIZE, PlacementKind.MENTION):
            raise DomainError(_l("Placement %(n)d: choose a prize or an honourable mention.", n=n),
                              field=_field(item.row, "kind"))
        citation = item.citation.strip()
        if len(citation) > CITATION_MAX:
            raise DomainError(_l("Placement %(n)d: the citation can be at most %(max)d characters.", n=n,
                                 max=CITATION_MAX), field=_field(item.row, "citation"))
        try:
            amount = parse_money(item.amount, challenge.currency, locale)
        except ValueError as exc:
            raise DomainError(_l("Placement %(n)d: %(problem)s", n=n, problem=str(exc)),
                              field=_field(item.row, "amount")) from None
        if item.kind == PlacementKind.MENTION:
            if amount:
                raise DomainError(_l("Placement %(n)d: an honourable mention carries no prize money. Make it a "
                                     "prize or clear the amount.", n=n), field=_field(item.row, "amount"))
            mentions.append((item.row, concept_id, citation))
            continue
        text = item.position.strip()
        if not text.isdigit() or not 1 <= int(text) <= 1000:
            raise DomainError(_l("Placement %(n)d: enter the place as a whole number, 1 for the first prize.", n=n),
                              field=_field(item.row, "position"))
        parsed.append(_Parsed(concept_id, PlacementKind.PRIZE, int(text), amount, citation))
    places = sorted(p.position for p in parsed)
    if len(set(places)) != len(places):
        twice = next(p for p in places if places.count(p) > 1)
        raise DomainError(_l("Place %(place)d is given twice: each place goes to one entry.", place=twice),
                          field="placements")
    if places != list(range(1, len(places) + 1)):
        missing = next(i for i in range(1, len(places) + 2) if i not in places)
        raise DomainError(_l("The places must run 1, 2, 3 … without gaps: place %(place)d is missing.",
                             place=missing), field="placements")
    parsed.sort(key=lambda p: p.position)
    after = len(parsed)
    for i, (_row, concept_id, citation) in enumerate(mentions, start=1):
        parsed.append(_Parsed(concept_id, PlacementKind.MENTION, after + i, 0, citation))
    return parsed


def _load_for_change(challenge: Challenge, lock_version: str | None) -> Decision | None:
    if challenge.state != ChallengeState.JUDGING:
        raise DomainError(_l("The decision can only be changed while the challenge is in judging."),
                          kind=Problem.CONFLICT)
    decision = queries.decision(challenge.id)
    if decision is not None and decision.is_final:
        raise DomainError(_l("The decision is final. Unlock it first if it must change."), kind=Problem.CONFLICT)
    expected = str(decision.lock_version) if decision is not None else ""
    if (lock_version or "") != expected:
        raise DomainError(_l("The decision was changed in another tab or by someone else since you opened it. "
                             "Your entries are still below: reload the page to see the latest version, then "
                             "make your changes again."), kind=Problem.CONFLICT)
    return decision


def save_decision(*, challenge: Challenge, by: User, rows: list[PlacementInput], no_winner: bool,
                  no_winner_reason: str, remainder_note: str, report_md: str, lock_version: str | None,
                  locale: str, now: datetime, finalise: bool = False) -> Decision:
    """Save the decision as a draft, or finalise it (locking every sheet, S21). Raises DomainError."""
    decision = _load_for_change(challenge, lock_version)
    reason = (no_winner_reason or "").strip()
    note = (remainder_note or "").strip()
    if len(reason) > REASON_MAX:
        raise DomainError(_l("The reason can be at most %(max)d characters.", max=REASON_MAX),
                          field="no_winner_reason")
    if len(note) > REASON_MAX:
        raise DomainError(_l("The note can be at most %(max)d characters.", max=REASON_MAX), field="remainder_note")
    if no_winner:
        if not reason:
            raise DomainError(_l("Give the public reason why the jury names no winner."), field="no_winner_reason")
        if any(not r.blank for r in rows):
            raise DomainError(_l("A decision without a winner has no placements: clear them, or untick “no "
                                 "winner”."), field="no_winner")
        parsed: list[_Parsed] = []
    else:
        parsed = _parse_rows(challenge, rows, locale)
    total = sum(p.prize_minor for p in parsed)
    if total > challenge.prize_minor:
        raise DomainError(_l("The prizes add up to more than the prize money of the challenge. Lower the "
                             "amounts so that they add up to at most the prize money."), field="placements")
    if finalise:
        if not no_winner and not parsed:
            raise DomainError(_l("Place at least one entry, or record that the jury names no winner."),
                              field="placements")
        for i, p in enumerate(parsed):
            if p.kind == PlacementKind.PRIZE and not p.citation:
                row = next((r.row for r in rows if not r.blank and r.position.strip() == str(p.position)), i)
                raise DomainError(_l("Write a citation for the prize in place %(place)d.", place=p.position),
                                  field=_field(row, "citation"))
        if not no_winner and total < challenge.prize_minor and not note:
            raise DomainError(_l("The prizes add up to less than the prize money. Adjust the amounts, or say in "
                                 "the note what happens to the rest."), field="remainder_note")
    if decision is None:
        decision = Decision(challenge_id=challenge.id, lock_version=1, updated_at=now)
        db.session.add(decision)
    else:
        decision.lock_version += 1
    decision.placements.clear()
    db.session.flush()
    decision.placements.extend(Placement(concept_id=p.concept_id, kind=p.kind, position=p.position,
                                         prize_minor=p.prize_minor, citation=p.citation) for p in parsed)
    decision.no_winner_reason = reason if no_winner else None
    decision.remainder_note = note or None
    decision.report_md = report_md or ""
    decision.updated_at = now
    if finalise:
        decision.state = DecisionState.FINAL
        decision.finalised_at = now
        decision.finalised_by_id = by.id
        record_event(actor=by, action="judging.decision_finalised", object_type="challenge",
                     object_id=challenge.id,
                     details={"placements": len(parsed), "no_winner": no_winner, "prize_minor": total})
    db.session.flush()
    return decision


def unlock_decision(*, challenge: Challenge, by: User, reason: str, now: datetime) -> Decision:
    """Make a final decision a draft again (sheets unlock with it); needs a reason, audited (S21).
    Raises DomainError."""
    decision = queries.decision(challenge.id)
    if decision is None or not decision.is_final:
        raise DomainError(_l("The decision is not final, so there is nothing to unlock."), kind=Problem.CONFLICT)
    if challenge.state != ChallengeState.JUDGING:
        raise DomainError(_l("The results are published: the decision can no longer be unlocked."),
                          kind=Problem.CONFLICT)
    text = (reason or "").strip()
    if not text:
        raise DomainError(_l("Say why the decision is unlocked: the reason is kept in the record."), field="reason")
    if len(text) > REASON_MAX:
        raise DomainError(_l("The reason can be at most %(max)d characters.", max=REASON_MAX), field="reason")
    decision.state = DecisionState.DRAFT
    decision.finalised_at = None
    decision.finalised_by_id = None
    decision.lock_version += 1
    decision.updated_at = now
    record_event(actor=by, action="judging.decision_unlocked", object_type="challenge", object_id=challenge.id,
                 details={"reason": text})
    db.session.flush()
    return decision
