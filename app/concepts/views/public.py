"""Published concepts: after the results, what the public may read of a challenge's concepts.

Only the counting ConceptVersion is ever shown (never the live draft), and only what
permissions.public_level allows: the whole concept under an open licence, the title and summary
under "all rights reserved". Team members' names appear only with their consent; emails never
(P08). Anything not public is a 404, so nobody learns that a draft or a withdrawn concept exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.challenges.models import (
    LICENCE_LABELS,
    LICENCE_SHORT,
    Challenge,
    ChallengeState,
    ConceptPublication,
    Licence,
)
from app.challenges.queries import is_public
from app.challenges.views._load import visible_challenge
from app.concepts import queries, signals
from app.concepts.models import Concept, ConceptMember, ConceptVersion, ConceptVersionFile
from app.concepts.permissions import RESULT_STATES, public_level, winner_concept_ids
from app.core.downloads import send_stored_document, send_stored_image
from app.core.pagecache import public_page
from app.core.pagination import paginate_list
from app.db import db

# The licence deeds people can read; "all rights reserved" has none.
LICENCE_DEEDS = {
    Licence.CC_BY: "https://creativecommons.org/licenses/by/4.0/",
    Licence.CC_BY_SA: "https://creativecommons.org/licenses/by-sa/4.0/",
    Licence.CC_BY_NC: "https://creativecommons.org/licenses/by-nc/4.0/",
}
COVER_MAX_AGE = 3600


@dataclass(frozen=True)
class PublicConcept:
    """What a public page shows of one concept: its counting version and the names its team agreed to."""

    concept: Concept
    version: ConceptVersion
    level: str                 # "full" or "summary"
    names: list[str]           # display names of members who opted in (P08)

    @property
    def licence_name(self) -> Any:
        return LICENCE_SHORT.get(self.version.licence, self.version.licence)

    @property
    def licence_text(self) -> Any:
        return LICENCE_LABELS.get(self.version.licence, "")

    @property
    def licence_url(self) -> str | None:
        return LICENCE_DEEDS.get(self.version.licence)  # type: ignore[call-overload]


def _consenting_names(concept: Concept, version: ConceptVersion) -> list[str]:
    on_team = set(version.member_ids or [])
    return [m.user.display_name for m in concept.members
            if m.show_name_publicly and m.user_id in on_team and m.user is not None and m.user.display_name]


def _public(concept: Concept, winner_ids: set[int] | None = None) -> PublicConcept | None:
    level = public_level(concept, winner_ids=winner_ids)
    version = concept.current_version() if level else None
    if level is None or version is None:
        return None
    return PublicConcept(concept=concept, version=version, level=level, names=_consenting_names(concept, version))


def _load_challenge(slug: str) -> Challenge:
    """A public challenge whose results are out; 404 otherwise (drafts, before the results)."""
    challenge = visible_challenge(slug)
    if not is_public(challenge):
        abort(404)
    if ChallengeState(challenge.state) not in RESULT_STATES:
        abort(404)
    return challenge


def _load_public(slug: str, concept_id: int) -> tuple[Challenge, PublicConcept]:
    challenge = _load_challenge(slug)
    concept = db.session.scalar(
        select(Concept).where(Concept.id == concept_id, Concept.challenge_id == challenge.id)
        .options(selectinload(Concept.versions).selectinload(ConceptVersion.files),
                 selectinload(Concept.members).joinedload(ConceptMember.user)))
    item = _public(concept) if concept is not None else None
    if item is None:
        abort(404)
    return challenge, item


PUBLISHED_PER_PAGE = 30


def _list_public(challenge: Challenge) -> list[PublicConcept]:
    """The public concepts of a challenge, in three queries whatever their number (no N+1)."""
    # Under the `winners` setting judging names the placed concepts: asked once for the whole list.
    winner_ids = (winner_concept_ids(challenge)
                  if challenge.concept_publication == ConceptPublication.WINNERS else None)
    items = [item for item in (_public(c, winner_ids) for c in queries.entered_eligible_concepts(challenge))
             if item is not None]
    return sorted(items, key=lambda i: (i.version.title.casefold(), i.concept.id))


@public_page
def published(slug: str) -> Any:
    challenge = _load_challenge(slug)
    publication = ConceptPublication(challenge.concept_publication)
    items = _list_public(challenge) if publication is not ConceptPublication.NONE else []
    pagination = paginate_list(items, per_page=PUBLISHED_PER_PAGE)
    return render_template("concepts/published.html", challenge=challenge, pagination=pagination,
                           publication=publication.value)


SIMILAR_LIMIT = 4


def _similar(concept: Concept) -> list[Any]:
    # Search answers (more-like-this over the public index); no answer leaves the section out.
    found = [hit for _receiver, hits in signals.similar_requested.send(concept, limit=SIMILAR_LIMIT)
             for hit in hits or ()]
    return found[:SIMILAR_LIMIT]


@public_page
def public(slug: str, concept_id: int) -> Any:
    challenge, item = _load_public(slug, concept_id)
    files = list(item.version.files) if item.level == "full" else []
    return render_template("concepts/public.html", challenge=challenge, item=item, files=files,
                           similar=_similar(item.concept))


def public_cover(slug: str, concept_id: int) -> Any:
    _challenge, item = _load_public(slug, concept_id)
    content_hash = item.version.cover_image_hash
    if item.level != "full" or not content_hash:
        abort(404)
    return send_stored_image(content_hash, public=True, max_age=COVER_MAX_AGE)


def public_file(slug: str, concept_id: int, file_id: int, filename: str) -> Any:
    # Re-checked on every fetch (S37): a concept that stops being public takes its files with it.
    challenge, item = _load_public(slug, concept_id)
    if item.level != "full":
        abort(404)
    stored = next((f for f in item.version.files if f.id == file_id), None)
    if stored is None:
        abort(404)
    if filename != stored.filename:
        return redirect(public_file_url(challenge, item, stored))
    return send_stored_document(content_hash=stored.content_hash, mimetype=stored.mimetype,
                                filename=stored.filename, last_modified=item.version.submitted_at, public=True,
                                what=f"File {stored.id} of concept {item.concept.id}")


def public_file_url(challenge: Challenge, item: PublicConcept, stored: ConceptVersionFile) -> str:
    return url_for("concepts.public_file", slug=challenge.slug, concept_id=item.concept.id, file_id=stored.id,
                   filename=stored.filename)


def public_cover_url(challenge: Challenge, item: PublicConcept) -> str | None:
    content_hash = item.version.cover_image_hash
    if item.level != "full" or not content_hash:
        return None
    return url_for("concepts.public_cover", slug=challenge.slug, concept_id=item.concept.id, v=content_hash[:16])

