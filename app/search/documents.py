"""What the public archive holds: the one place that decides which rows become search documents.

Published challenges (not drafts, not those of an organisation that is not approved) and the
concepts the public may read once results are out, per the challenge's publication setting and
the concept's licence (concepts.permissions.public_level, the same rule the public pages use).
Only the counting submitted version is indexed, never the live draft; under "all rights
reserved" only its title and summary. Never in a document: team names, members' names or emails,
juror notes, scores, blind labels (S32, P08). The index can always be rebuilt from here.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.challenges.lifecycle import public_clause
from app.challenges.models import Challenge, ChallengeState, ConceptPublication
from app.challenges.queries import is_public
from app.concepts.models import Concept, ConceptMember, ConceptVersion
from app.concepts.permissions import RESULT_STATES, public_level, winner_concept_ids
from app.core.markdown import plain_text
from app.db import db

CHALLENGE = "challenge"
CONCEPT = "concept"
DOC_TYPES = (CHALLENGE, CONCEPT)


@dataclass(frozen=True)
class SearchDocument:
    """One public document, as every backend indexes it."""

    doc_id: str                      # "challenge:12", "concept:34"
    type: str
    object_id: int
    language: str
    title: str
    summary: str
    body: str
    url: str                         # the public page, a path
    organisation: str                # slug (facet value)
    organisation_name: str
    country: str
    year: int
    date: datetime
    state: str
    challenge_id: int
    challenge_title: str
    tags: tuple[str, ...] = ()       # tag slugs (facet values)
    tag_names: tuple[str, ...] = ()
    sdgs: tuple[int, ...] = ()
    prize_minor: int = 0
    currency: str = ""
    winner: bool = False
    imported: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def doc_id(kind: str, object_id: int) -> str:
    return f"{kind}:{object_id}"


def _path(endpoint: str, **values: object) -> str:
    """A page's path, also outside a request (the index is written by a background worker)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _language(code: str | None) -> str:
    from app.search.analysis import LANGUAGES
    return code if code in LANGUAGES else "en"


def challenge_document(challenge: Challenge) -> SearchDocument | None:
    """The public document of a challenge, or None when the public may not see it."""
    if not is_public(challenge):
        return None
    # "Newest first" is by publication; the year is the one the challenge ran to (its deadline).
    when = challenge.published_at or challenge.created_at
    year = (challenge.deadline_at or when).year
    return SearchDocument(
        doc_id=doc_id(CHALLENGE, challenge.id), type=CHALLENGE, object_id=challenge.id,
        language=_language(challenge.language), title=challenge.title, summary=challenge.summary or "",
        # An imported challenge's winners are titles only (the concepts are not in the archive).
        body=" ".join(filter(None, (plain_text(challenge.problem_md), plain_text(challenge.background_md),
                                    *(challenge.imported_winners or ())))),
        url=_path("challenges.detail", slug=challenge.slug),
        organisation=challenge.organisation.slug, organisation_name=challenge.organisation.name,
        country=str(challenge.organisation.country), year=year, date=when,
        state=str(challenge.state), challenge_id=challenge.id, challenge_title=challenge.title,
        tags=tuple(t.slug for t in challenge.tags), tag_names=tuple(t.name for t in challenge.tags),
        sdgs=tuple(s.goal for s in challenge.sdgs), prize_minor=challenge.prize_minor or 0,
        currency=challenge.currency or "", imported=challenge.imported_at is not None,
    )


def concept_document(concept: Concept, *, winner_ids: Iterable[int] | None = None) -> SearchDocument | None:
    """The public document of a concept's counting version, or None when it is not public."""
    ids = set(winner_ids) if winner_ids is not None else None
    level = public_level(concept, winner_ids=ids)
    version = concept.current_version() if level else None
    if level is None or version is None:
        return None
    challenge = concept.challenge
    if ids is None:
        ids = winner_concept_ids(challenge)
    when = version.submitted_at
    return SearchDocument(
        doc_id=doc_id(CONCEPT, concept.id), type=CONCEPT, object_id=concept.id,
        language=_language(version.language), title=version.title, summary=version.summary or "",
        # Under "all rights reserved" only the title and summary are public, so only they are indexed.
        body=plain_text(version.body_md) if level == "full" else "",
        url=_path("concepts.public", slug=challenge.slug, concept_id=concept.id),
        organisation=challenge.organisation.slug, organisation_name=challenge.organisation.name,
        country=str(challenge.organisation.country), year=when.year, date=when,
        state=str(challenge.state), challenge_id=challenge.id, challenge_title=challenge.title,
        tags=tuple(sorted({_slug(n) for n in version.tag_names or ()} - {""})),
        tag_names=tuple(version.tag_names or ()),
        sdgs=tuple(s.goal for s in challenge.sdgs), winner=concept.id in ids,
    )


def _slug(name: str) -> str:
    from slugify import slugify
    return slugify(name, max_length=60)


def _challenge_options():  # type: ignore[no-untyped-def]
    return (selectinload(Challenge.organisation), selectinload(Challenge.tags), selectinload(Challenge.sdgs))


def _concept_options():  # type: ignore[no-untyped-def]
    return (selectinload(Concept.versions).selectinload(ConceptVersion.files),
            selectinload(Concept.members).joinedload(ConceptMember.user),
            selectinload(Concept.challenge).options(*_challenge_options()))


def _publishes_concepts(challenge: Challenge) -> bool:
    return (is_public(challenge) and ChallengeState(challenge.state) in RESULT_STATES
            and challenge.concept_publication != ConceptPublication.NONE)


def challenge_concepts(challenge: Challenge) -> tuple[list[SearchDocument], list[str]]:
    """The documents of a challenge's concepts, and the ids of those that must leave the index."""
    concepts = list(db.session.scalars(select(Concept).where(Concept.challenge_id == challenge.id)
                                       .options(*_concept_options())))
    if not _publishes_concepts(challenge):
        return [], [doc_id(CONCEPT, c.id) for c in concepts]
    winners = winner_concept_ids(challenge)
    docs, gone = [], []
    for c in concepts:
        d = concept_document(c, winner_ids=winners)
        (docs.append(d) if d else gone.append(doc_id(CONCEPT, c.id)))
    return docs, gone


def public_documents(batch: int = 200) -> Iterator[SearchDocument]:
    """Every public document, for a rebuild (in batches, so 100,000 rows never sit in memory)."""
    last = 0
    while True:
        challenges = list(db.session.scalars(
            select(Challenge).where(public_clause(), Challenge.id > last).order_by(Challenge.id)
            .limit(batch).options(*_challenge_options())))
        if not challenges:
            return
        for ch in challenges:
            d = challenge_document(ch)
            if d:
                yield d
            if _publishes_concepts(ch):
                yield from _concepts_of(ch)
        last = challenges[-1].id
        db.session.expunge_all()


def _concepts_of(challenge: Challenge, batch: int = 500) -> Iterator[SearchDocument]:
    winners = winner_concept_ids(challenge)
    last = 0
    while True:
        concepts = list(db.session.scalars(
            select(Concept).where(Concept.challenge_id == challenge.id, Concept.id > last,
                                  Concept.submitted_version_no.is_not(None))
            .order_by(Concept.id).limit(batch).options(*_concept_options())))
        if not concepts:
            return
        for c in concepts:
            d = concept_document(c, winner_ids=winners)
            if d:
                yield d
        last = concepts[-1].id


@dataclass
class Changes:
    """What to write to the index: documents to (re)write and ids to delete."""

    upserts: dict[str, SearchDocument] = field(default_factory=dict)
    deletes: set[str] = field(default_factory=set)

    def put(self, key: str, d: SearchDocument | None) -> None:
        if d is None:
            self.deletes.add(key)
            self.upserts.pop(key, None)
        else:
            self.upserts[key] = d
            self.deletes.discard(key)


def documents_for(keys: Iterable[tuple[str, int]]) -> Changes:
    """Re-derive from the database every document a set of changed rows touches.

    Keys are (kind, id): "challenge" (the challenge and all its concepts: its state decides them),
    "concept", "organisation" (its challenges), "user" (the concepts the user is on).
    """
    out = Changes()
    challenge_ids: set[int] = set()
    concept_ids: set[int] = set()
    for kind, ref in keys:
        if kind == CHALLENGE:
            challenge_ids.add(ref)
        elif kind == CONCEPT:
            concept_ids.add(ref)
        elif kind == "organisation":
            challenge_ids |= set(db.session.scalars(select(Challenge.id).where(Challenge.organisation_id == ref)))
        elif kind == "user":
            concept_ids |= set(db.session.scalars(select(ConceptMember.concept_id).where(ConceptMember.user_id == ref)))
    for ch_id in sorted(challenge_ids):
        ch = db.session.scalar(select(Challenge).where(Challenge.id == ch_id).options(*_challenge_options()))
        if ch is None:
            out.put(doc_id(CHALLENGE, ch_id), None)
            # its concepts went with it (ON DELETE CASCADE); the concept keys of this flush say which
            continue
        out.put(doc_id(CHALLENGE, ch_id), challenge_document(ch))
        docs, gone = challenge_concepts(ch)
        for d in docs:
            out.put(d.doc_id, d)
        for g in gone:
            out.put(g, None)
    for c_id in sorted(concept_ids):
        key = doc_id(CONCEPT, c_id)
        if key in out.upserts or key in out.deletes:
            continue
        c = db.session.scalar(select(Concept).where(Concept.id == c_id).options(*_concept_options()))
        out.put(key, concept_document(c) if c is not None else None)
    return out


def public_doc_ids() -> set[str]:
    """The ids the index should hold, from the database (for `flask search check`)."""
    return {d.doc_id for d in public_documents()}
