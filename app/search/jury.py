"""Jury search (issue 11 item 6): a juror searches the entries of one challenge that they may open.

The permission filter is judging's one rule of what a juror may open
(judging.queries.readable_concept_ids: in a round they sit in, assigned to them when the round
assigns, never a conflicted entry), taken over every round they sit in; the search runs over the
entries index (never the public one) with exactly those documents allowed
(SearchRequest.only_ids), no facets and no "did you mean" (its words would come from every entry
in the index, conflicted ones and other challenges' too). Results are shown as the juror's entry
pages show entries: the label and the submitted title, linked to the sheet of the latest round in
which the juror may open it. An empty query lists the readable entries in label order, never in
order of submission (which a blind challenge keeps from the jury).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import select

from app.challenges.models import Challenge
from app.concepts.models import Concept
from app.db import db
from app.judging import queries as judging
from app.judging.models import JurySeat
from app.search import indexing
from app.search.backends import IndexUnavailableError, SearchRequest, SearchResults
from app.search.documents import SearchDocument, entry_doc_id, entry_document
from app.search.forms import SearchParams
from app.search.query import ParsedQuery, QuerySyntaxError, parse_query

log = logging.getLogger("concept_arena.search")
PER_PAGE = 20
SNIPPET_CHARS = 280


@dataclass(frozen=True)
class JuryHit:
    entry: judging.Entry
    round_number: int          # the round whose sheet the result links to
    snippet: Markup
    language: str


@dataclass
class JuryPage:
    params: SearchParams
    hits: list[JuryHit]
    total: int
    page: int
    per_page: int
    readable: int              # how many entries the juror may open in all
    syntax_error: Any = None
    degraded: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def readable_entries(seat: JurySeat) -> dict[int, int]:
    """{concept id: the position of the latest round in which this juror may open it}: the union of
    judging.queries.readable_concept_ids over the rounds the seat sits in."""
    found: dict[int, int] = {}
    for rnd in judging.rounds(seat.challenge_id):  # by position, so a later round wins
        if not judging.sits_in_round(seat.id, rnd.id):
            continue
        for concept_id in judging.readable_concept_ids(seat, rnd):
            found[concept_id] = rnd.position
    return found


def _snippet(text: str) -> Markup:
    return escape(text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else ""))


def _database_search(parsed: ParsedQuery, allowed: dict[int, int], page: int, per_page: int) -> SearchResults:
    """While the entries index cannot answer: the query's words, as typed, in the documents
    documents.entry_document makes of the allowed entries (so a blind entry is matched on exactly
    what its indexed document holds). Few rows: one challenge's entries."""
    from app.search.backends import Hit
    from app.search.documents import _entry_options, _labels_by_concept

    words = [w.casefold() for w in parsed.positive_words if len(w) >= 2][:6]
    concepts = list(db.session.scalars(select(Concept).where(Concept.id.in_(sorted(allowed)))
                                       .options(*_entry_options())))
    labels = _labels_by_concept(c.id for c in concepts)
    docs: list[tuple[int, SearchDocument]] = []
    for c in concepts:
        label = labels.get(c.id)
        d = entry_document(c, label)
        if d is not None and label is not None:
            text = f"{d.title} {d.summary} {d.body}".casefold()
            if all(w in text for w in words):
                docs.append((label.number, d))
    docs.sort(key=lambda nd: nd[0])
    start = (page - 1) * per_page
    hits = [Hit(doc_id=d.doc_id, type=d.type, object_id=d.object_id, title=d.title, snippet=_snippet(d.summary),
                url=d.url, language=d.language, organisation="", organisation_name="", challenge_id=d.challenge_id,
                challenge_title="", year=d.year, date=None, winner=False, imported=False, tag_names=(), score=0.0)
            for _, d in docs[start:start + per_page]]
    return SearchResults(hits=hits, total=len(docs), page=page, per_page=per_page)


def _browse(challenge: Challenge, params: SearchParams, allowed: dict[int, int], per_page: int) -> JuryPage:
    entries = judging.entries(challenge.id, allowed)  # in label order
    start = (params.page - 1) * per_page
    hits = [JuryHit(entry=e, round_number=allowed[e.concept_id], snippet=Markup(""), language=challenge.language)
            for e in entries[start:start + per_page]]
    return JuryPage(params=params, hits=hits, total=len(entries), page=params.page, per_page=per_page,
                    readable=len(allowed))


def run_jury_search(challenge: Challenge, seat: JurySeat, params: SearchParams, *,
                    per_page: int = PER_PAGE) -> JuryPage:
    """The jury search page for this juror; a syntax error gives an empty page with the message."""
    allowed = readable_entries(seat)
    empty = JuryPage(params=params, hits=[], total=0, page=params.page, per_page=per_page, readable=len(allowed))
    try:
        parsed = parse_query(params.q)
    except QuerySyntaxError as exc:
        empty.syntax_error = exc.message
        return empty
    if parsed.is_empty:
        return _browse(challenge, params, allowed, per_page)
    request = SearchRequest(query=parsed, page=params.page, per_page=per_page, facets=False, suggest=False,
                            only_ids=frozenset(entry_doc_id(cid) for cid in allowed))
    degraded = False
    try:
        results = indexing.entries_backend().search(request)
    except IndexUnavailableError as exc:
        log.warning("search: the entries index cannot answer (%s); answering from the database", exc)
        indexing.request_rebuild(current_app._get_current_object(), entries_only=True)  # type: ignore[attr-defined]
        results = _database_search(parsed, allowed, params.page, per_page)
        degraded = True
    # The filter decided what came back; this only maps results to what the juror's pages show
    # (and drops, should the index ever disagree, anything outside the juror's entries).
    shown = [h for h in results.hits if h.object_id in allowed and h.challenge_id == challenge.id]
    entries = {e.concept_id: e for e in judging.entries(challenge.id, [h.object_id for h in shown])}
    hits = [JuryHit(entry=entries[h.object_id], round_number=allowed[h.object_id], snippet=h.snippet,
                    language=h.language) for h in shown if h.object_id in entries]
    return JuryPage(params=params, hits=hits, total=results.total, page=params.page, per_page=per_page,
                    readable=len(allowed), degraded=degraded)


__all__ = ["JuryHit", "JuryPage", "readable_entries", "run_jury_search"]
