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
from app.judging.models import EntryLabel

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


# ====================================================================== jury search: entry documents
# Entry documents are what jurors search inside a challenge in judging (issue 11 item 6). They live
# in their own index (indexing.entries_backend(): SEARCH_INDEX_DIR/entries for Whoosh), never in the
# public one (S32), and every search over them carries the juror's permission filter
# (SearchRequest.only_ids, from judging.queries.readable_concept_ids). They hold what the juror's
# entry page shows: the counting submitted version's title, summary and whole body, language and
# tags, the label and the challenge. Never the team name, members' names or emails. On a blind
# challenge, the words of the text that name the team (its team name, a member's name, email or
# institution: concepts.services.identity, the check the chair sees as "identifies itself") are
# left out as well, so a search never finds an entry by who wrote it (S19).
#
# An entry document exists while its challenge is in judging or results (ENTRY_STATES), for an
# entered (submitted, not withdrawn), eligible concept that has a label. Jurors still reread entries
# after the results are out; once the challenge is archived the documents leave the index (the jury
# area stays open on the database, but there is no reason to keep a private index of it).
ENTRY = "entry"
ENTRY_STATES = frozenset({ChallengeState.JUDGING, ChallengeState.RESULTS})
REDACTED = "…"


def entry_doc_id(concept_id: int) -> str:
    return doc_id(ENTRY, concept_id)


def _identifying_terms(concept: Concept, version: ConceptVersion, label: EntryLabel) -> list[str]:
    """What in a blind entry's text names its team: the identity check on the version's text, the
    team names (of the version and the live concept), and what the check found when the label was
    drawn (files included)."""
    from app.accounts.models import User
    from app.concepts.services.identity import identity_mentions

    ids = list(version.member_ids or []) + [m.user_id for m in concept.members]
    people = list(db.session.scalars(select(User).where(User.id.in_(ids)))) if ids else []
    found = identity_mentions(texts=[version.title or "", version.summary or "", version.body_md or ""],
                              people=people)
    found += [t for t in (version.team_name, concept.team_name, *(label.mentions or [])) if t]
    terms = [" ".join(t.split()) for t in found]
    # Longest first, so "Anna Berg" goes before "Anna" leaves "Berg" behind.
    return sorted({t for t in terms if len(t) >= 3}, key=lambda t: (-len(t), t))


def _redact(text: str, terms: list[str]) -> str:
    import re
    for term in terms:
        text = re.sub(rf"(?<!\w){re.escape(term)}(?!\w)", REDACTED, text, flags=re.IGNORECASE)
    return text


def entry_document(concept: Concept, label: EntryLabel | None) -> SearchDocument | None:
    """The jury's document of an entry, or None when no juror may search it now."""
    challenge = concept.challenge
    if (label is None or ChallengeState(challenge.state) not in ENTRY_STATES
            or not concept.is_entered or concept.is_ineligible):
        return None
    version = concept.current_version()
    if version is None:
        return None
    title, summary, body = version.title or "", version.summary or "", plain_text(version.body_md)
    tag_names = tuple(version.tag_names or ())
    if challenge.is_blind:
        terms = _identifying_terms(concept, version, label)
        title, summary, body = (_redact(t, terms) for t in (title, summary, body))
        tag_names = tuple(_redact(t, terms) for t in tag_names)
    # The challenge's deadline, not the submission time: in a blind challenge the order of
    # submission is not the jury's to know (labels are drawn at random for that reason).
    when = challenge.deadline_at or challenge.created_at
    return SearchDocument(
        doc_id=entry_doc_id(concept.id), type=ENTRY, object_id=concept.id, language=_language(version.language),
        title=title, summary=summary, body=body, url="", organisation="", organisation_name="", country="",
        year=when.year, date=when, state=str(challenge.state), challenge_id=challenge.id, challenge_title="",
        tags=tuple(sorted({_slug(n) for n in tag_names} - {""})), tag_names=tag_names,
        extra={"label": label.label},
    )


def _entry_options():  # type: ignore[no-untyped-def]
    return (selectinload(Concept.versions), selectinload(Concept.members),
            selectinload(Concept.challenge))


def _labels_by_concept(concept_ids: Iterable[int]) -> dict[int, EntryLabel]:
    ids = list(concept_ids)
    if not ids:
        return {}
    return {lb.concept_id: lb for lb in db.session.scalars(select(EntryLabel).where(EntryLabel.concept_id.in_(ids)))}


def entry_documents_for(keys: Iterable[tuple[str, int]]) -> Changes:
    """Re-derive the entry documents a set of changed rows touches (the same keys as
    documents_for: a challenge's state or blindness decides all its entries; a concept, its label
    or version decides its own; a user's name decides what is left out of blind entries)."""
    out = Changes()
    concept_ids: set[int] = set()
    for kind, ref in keys:
        if kind == CHALLENGE:
            # Only labelled concepts ever have an entry document (labels are drawn as judging starts).
            concept_ids |= set(db.session.scalars(select(EntryLabel.concept_id).where(EntryLabel.challenge_id == ref)))
        elif kind == CONCEPT:
            concept_ids.add(ref)
        elif kind == "user":
            concept_ids |= set(db.session.scalars(select(ConceptMember.concept_id).where(ConceptMember.user_id == ref)))
    if not concept_ids:
        return out
    concepts = {c.id: c for c in db.session.scalars(select(Concept).where(Concept.id.in_(sorted(concept_ids)))
                                                     .options(*_entry_options()))}
    labels = _labels_by_concept(concepts)
    for c_id in sorted(concept_ids):
        c = concepts.get(c_id)
        out.put(entry_doc_id(c_id), entry_document(c, labels.get(c_id)) if c is not None else None)
    return out


def entry_documents() -> Iterator[SearchDocument]:
    """Every entry document, for a rebuild of the entries index: challenge by challenge, in label
    order (never the order of submission)."""
    challenge_ids = list(db.session.scalars(select(Challenge.id).where(
        Challenge.state.in_(sorted(ENTRY_STATES))).order_by(Challenge.id)))
    for ch_id in challenge_ids:
        labels = list(db.session.scalars(select(EntryLabel).where(EntryLabel.challenge_id == ch_id)
                                         .order_by(EntryLabel.number)))
        concepts = {c.id: c for c in db.session.scalars(
            select(Concept).where(Concept.id.in_([lb.concept_id for lb in labels])).options(*_entry_options()))}
        for lb in labels:
            c = concepts.get(lb.concept_id)
            d = entry_document(c, lb) if c is not None else None
            if d is not None:
                yield d
        db.session.expunge_all()


def entry_doc_ids() -> set[str]:
    """The ids the entries index should hold (for `flask search check`)."""
    return {d.doc_id for d in entry_documents()}
