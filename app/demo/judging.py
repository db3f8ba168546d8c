"""Demo juries for `flask demo load` (app.demo runs `load_judging` after the concepts).

Every demo challenge in judging, results or archived gets a jury of three (a chair and two
jurors, from four fictional jurors who sit on several juries), labels drawn in a fixed shuffled
order, a first round scored with the rubric, conflicts (one declared, one flagged by the
platform and waiting for the chair) and score sheets made so that the ranking is not trivial:
one juror scores harshly, one leniently, and two entries end close together. The challenge in
judging is blind and only partly scored (a juror still has sheets to do, one sheet is a saved
draft); every challenge in results or archived has every sheet submitted and a final decision
with its winners, so no page shows results without winners.

Rows are written the way the services leave them; loading twice adds nothing (a challenge that
already has a jury is left alone).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.accounts.models import ParticipantKind
from app.challenges.models import Challenge, ChallengeState
from app.concepts.models import Concept
from app.db import db
from app.demo.accounts import DEMO_DOMAIN, demo_user
from app.judging import aggregate, queries
from app.judging.models import (
    Conflict,
    ConflictOrigin,
    ConflictStatus,
    Decision,
    DecisionState,
    EntryLabel,
    FlagKind,
    JudgingRound,
    JurySeat,
    Placement,
    PlacementKind,
    ReminderKind,
    ReminderSent,
    RoundEntry,
    RoundJuror,
    RoundState,
    Score,
    ScoreSheet,
    SheetState,
)

if TYPE_CHECKING:
    from app.demo import DemoContext

CPH, OSLO, STHLM = "Europe/Copenhagen", "Europe/Oslo", "Europe/Stockholm"

# key, name, locale, zone, institution, public title
JURORS: tuple[tuple[str, str, str, str, str | None, str], ...] = (
    ("ulla", "Ulla Berg", "sv", STHLM, "Sjöstad gymnasium", "Rektor, Sjöstad gymnasium"),
    ("nora", "Nora Vik", "nb", OSLO, None, "Byplanlegger"),
    ("anders", "Anders Holt", "da", CPH, None, "Mobilitetsrådgiver"),
    ("helen", "Helen Clarke", "en", CPH, None, "Head of Campus Services"),
)
# How each juror scores: added to the concept's quality on the scale (harsh -, lenient +).
BIAS = {"ulla": 0.0, "nora": 0.9, "anders": -0.9, "helen": 0.2}


@dataclass(frozen=True)
class DemoJury:
    challenge: str
    chair: str
    jurors: tuple[str, str]
    blind: bool = False
    # A declared conflict: (juror key, team lead key of the concept, reason).
    declared: tuple[str, str, str] | None = None
    # A flagged conflict for the chair: (juror key, team lead key, kind).
    flagged: tuple[str, str, FlagKind] | None = None
    # (juror key, sheets left undone): the challenge in judging is only partly scored.
    unfinished: tuple[str, int] | None = None


SKOLBANK, GROEN, CAMPUS, SISTE = ("fran-skolbank-till-arbetsliv", "groen-transport-til-erhvervsparken",
                                  "campus-food-waste", "den-siste-kilometeren")

JURIES: tuple[DemoJury, ...] = (
    DemoJury(SKOLBANK, "ulla", ("anders", "nora"), blind=True,
             declared=("nora", "lars", "Lars och jag arbetade tillsammans förra året."),
             flagged=("ulla", "astrid", FlagKind.INSTITUTION), unfinished=("anders", 2)),
    DemoJury(GROEN, "anders", ("helen", "nora"),
             declared=("helen", "daniel", "Daniel is my nephew.")),
    DemoJury(CAMPUS, "helen", ("anders", "ulla")),
    DemoJury(SISTE, "nora", ("ulla", "helen")),
)

# The entries' quality on 0..1, by team lead: two pairs close together so the bands overlap.
QUALITY = {
    "astrid": 0.78, "elin": 0.74, "maja": 0.45, "lars": 0.62,
    "noah": 0.81, "mads": 0.79, "mikkel": 0.40, "daniel": 0.55,
    "amara": 0.86, "freja": 0.71, "kari": 0.69, "oskar": 0.52,
    "magnus": 0.66, "laura": 0.83, "thea": 0.58, "viktor": 0.80, "emil": 0.35,
}

COMMENTS = {
    "da": ("Et klart og gennemtænkt koncept. Beskriv gerne driften efter første år.",
           "God idé, men økonomien hviler på antagelser, I ikke underbygger.",
           "Stærk brugerinddragelse. Tallene for effekten er for optimistiske."),
    "nb": ("Et tydelig og gjennomarbeidet konsept. Beskriv gjerne driften etter første år.",
           "God idé, men økonomien bygger på antakelser dere ikke underbygger.",
           "Sterk brukermedvirkning. Tallene for effekten er for optimistiske."),
    "sv": ("Ett tydligt och genomarbetat koncept. Beskriv gärna driften efter första året.",
           "Bra idé, men ekonomin vilar på antaganden ni inte underbygger.",
           "Stark delaktighet. Siffrorna för effekten är för optimistiska."),
    "en": ("A clear, well worked-out concept. Say more about running it after the first year.",
           "A good idea, but the budget rests on assumptions you do not support.",
           "Strong involvement of users. The figures for the impact are too optimistic."),
}
ROUND_NAME = {"da": "Runde 1", "nb": "Runde 1", "sv": "Omgång 1", "en": "Round 1"}
CITATIONS = {
    "da": "Juryen fremhæver et koncept, der kan sættes i gang med det samme og måles fra første dag.",
    "nb": "Juryen trekker fram et konsept som kan settes i gang straks og måles fra første dag.",
    "sv": "Juryn lyfter fram ett koncept som kan sättas igång direkt och mätas från första dagen.",
    "en": "The jury singles out a concept that can start at once and be measured from day one.",
}
MENTION = {
    "da": "Hæderlig omtale for en modig idé, der fortjener at blive afprøvet.",
    "nb": "Hederlig omtale for en modig idé som fortjener å bli prøvd ut.",
    "sv": "Hedersomnämnande för en modig idé som förtjänar att prövas.",
    "en": "An honourable mention for a bold idea that deserves a trial.",
}


def _jurors(ctx: DemoContext) -> None:
    for key, name, locale, tz, institution, _title in JURORS:
        ctx.users[key] = demo_user(ctx, email=f"{key}@{DEMO_DOMAIN}", name=name, locale=locale, timezone=tz,
                                   kind=ParticipantKind.OTHER, institution=institution)


def _roles(titles: dict[str, str]) -> dict[str, list[str]]:
    """What `make run` prints beside each juror's login: "chair of ..., juror of ..."."""
    roles: dict[str, list[str]] = {}
    for jury in JURIES:
        title = titles.get(jury.challenge, jury.challenge)
        roles.setdefault(jury.chair, []).append(f"chair of “{title}”")
        for key in jury.jurors:
            roles.setdefault(key, []).append(f"juror of “{title}”")
    return roles


def _value(quality: float, bias: float, criterion_index: int, concept_index: int, low: int, high: int) -> int:
    # A fixed wobble per criterion and concept, so criteria differ without randomness.
    wobble = ((criterion_index * 7 + concept_index * 3) % 5 - 2) * 0.25
    raw = low + quality * (high - low) + bias + wobble
    return max(low, min(high, round(raw)))


def _make(ctx: DemoContext, spec: DemoJury, challenge: Challenge) -> None:
    now = ctx.now
    keys = (spec.chair, *spec.jurors)
    seats = {}
    for key in keys:
        title = next(t for k, _n, _l, _z, _i, t in JURORS if k == key)
        seat = JurySeat(challenge_id=challenge.id, user_id=ctx.users[key].id, is_chair=(key == spec.chair),
                        public_title=title, show_publicly=True, joined_at=challenge.deadline_at - timedelta(days=5),
                        conflicts_declared_at=challenge.deadline_at + timedelta(days=1))
        db.session.add(seat)
        seats[key] = seat
    challenge.is_blind = spec.blind
    entries = list(db.session.scalars(
        select(Concept).where(Concept.challenge_id == challenge.id, Concept.is_entered,
                              Concept.ineligible_at.is_(None)).order_by(Concept.submitted_at, Concept.id)))
    lead_of = {c.id: next(k for k, u in ctx.users.items() if u.id == c.owner_id) for c in entries}
    numbers = list(range(1, len(entries) + 1))
    random.Random(challenge.slug).shuffle(numbers)
    for concept, number in zip(entries, numbers, strict=True):
        db.session.add(EntryLabel(challenge_id=challenge.id, concept_id=concept.id, number=number, mentions=[]))
    ended = challenge.state != ChallengeState.JUDGING
    language = challenge.language if challenge.language in COMMENTS else "en"
    rnd = JudgingRound(challenge_id=challenge.id, position=1, name=ROUND_NAME[language], criterion_ids=[],
                       deadline_at=challenge.judging_ends_at,
                       state=RoundState.CLOSED if ended else RoundState.OPEN,
                       created_at=challenge.deadline_at + timedelta(hours=20),
                       closed_at=challenge.judging_ends_at if ended else None)
    db.session.add(rnd)
    db.session.flush()
    db.session.add_all([RoundJuror(round_id=rnd.id, seat_id=s.id) for s in seats.values()])
    db.session.add_all([RoundEntry(round_id=rnd.id, concept_id=c.id) for c in entries])
    by_lead = {lead_of[c.id]: c for c in entries}
    conflicted: set[tuple[str, int]] = set()
    if spec.declared and spec.declared[1] in by_lead:
        juror, lead, reason = spec.declared
        db.session.add(Conflict(challenge_id=challenge.id, seat_id=seats[juror].id, concept_id=by_lead[lead].id,
                                origin=ConflictOrigin.DECLARED, status=ConflictStatus.DECLARED, reason=reason,
                                created_at=seats[juror].conflicts_declared_at))
        conflicted.add((juror, by_lead[lead].id))
    if spec.flagged and spec.flagged[1] in by_lead:
        juror, lead, kind = spec.flagged
        db.session.add(Conflict(challenge_id=challenge.id, seat_id=seats[juror].id, concept_id=by_lead[lead].id,
                                origin=ConflictOrigin.FLAGGED, status=ConflictStatus.SUGGESTED,
                                flag={"kinds": [kind.value]}, created_at=rnd.created_at))
    criteria = rnd.criteria()
    submitted_at = (challenge.judging_ends_at or now) - timedelta(days=2) if ended else now - timedelta(hours=3)
    for key, seat in seats.items():
        left = spec.unfinished[1] if spec.unfinished and spec.unfinished[0] == key else 0
        readable = [c for c in entries if (key, c.id) not in conflicted]
        for index, concept in enumerate(readable):
            if left and index >= len(readable) - left:
                if index == len(readable) - left:  # one saved draft, the rest not started
                    sheet = ScoreSheet(round_id=rnd.id, seat_id=seat.id, concept_id=concept.id,
                                       version_id=concept.current_version().id, state=SheetState.DRAFT,
                                       overall_comment="", created_at=submitted_at, updated_at=submitted_at)
                    sheet.scores = [Score(criterion_id=criteria[0].id, value=criteria[0].scale_max - 1,
                                          comment="")]
                    db.session.add(sheet)
                continue
            quality = QUALITY.get(lead_of[concept.id], 0.5)
            sheet = ScoreSheet(round_id=rnd.id, seat_id=seat.id, concept_id=concept.id,
                               version_id=concept.current_version().id, state=SheetState.SUBMITTED,
                               overall_comment=COMMENTS[language][(index + len(key)) % 3],
                               private_note="", created_at=submitted_at, updated_at=submitted_at,
                               submitted_at=submitted_at)
            sheet.scores = [Score(criterion_id=c.id, value=_value(quality, BIAS[key], i, index, c.scale_min,
                                                                   c.scale_max), comment="")
                            for i, c in enumerate(criteria)]
            db.session.add(sheet)
    db.session.flush()
    if ended:
        _decide(challenge, rnd, seats[spec.chair], language)
    elif rnd.deadline_at is not None:
        # The made-up past includes the deadline reminders already due: the first tick after
        # loading sends nobody an email about the demo.
        for kind, before in ((ReminderKind.WEEK, timedelta(days=7)), (ReminderKind.DAY, timedelta(days=1))):
            if rnd.deadline_at - before <= now:
                db.session.add_all([ReminderSent(round_id=rnd.id, seat_id=s.id, kind=kind.value,
                                                 sent_at=rnd.deadline_at - before) for s in seats.values()])


def _decide(challenge: Challenge, rnd: JudgingRound, chair: JurySeat, language: str) -> None:
    """The final decision: the ranking's top entries take the prizes, the next one a mention."""
    ranking = aggregate.ranking(queries.round_scores(rnd))
    order = [entry.concept_id for entry in ranking.entries]
    amounts = challenge.prize_amounts_minor()
    decision = Decision(challenge_id=challenge.id, state=DecisionState.FINAL, finalised_at=challenge.judging_ends_at,
                        finalised_by_id=chair.user_id, updated_at=challenge.judging_ends_at)
    placements = [Placement(concept_id=cid, kind=PlacementKind.PRIZE, position=i + 1, prize_minor=amount,
                            citation=CITATIONS[language]) for i, (cid, amount) in enumerate(zip(order, amounts, strict=False))]
    if len(order) > len(amounts):
        placements.append(Placement(concept_id=order[len(amounts)], kind=PlacementKind.MENTION,
                                    position=len(amounts) + 1, prize_minor=0, citation=MENTION[language]))
    decision.placements = placements
    db.session.add(decision)


def load_judging(ctx: DemoContext) -> None:
    _jurors(ctx)
    challenges = {c.slug: c for c in db.session.scalars(
        select(Challenge).where(Challenge.slug.in_({spec.challenge for spec in JURIES})))}
    for key, roles in _roles({slug: c.title for slug, c in challenges.items()}).items():
        user = ctx.users[key]
        ctx.logins.append((user.email, ", ".join(roles) + f" ({user.locale})"))
    for spec in JURIES:
        challenge = challenges.get(spec.challenge)
        if challenge is None or queries.seats(challenge.id, include_removed=True):
            continue
        _make(ctx, spec, challenge)
