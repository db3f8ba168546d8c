"""Answering a search: the backend when it can, a plain database query when it cannot (R08)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from markupsafe import escape
from sqlalchemy import select

from app.challenges.lifecycle import public_clause
from app.challenges.models import SDG_LABELS, Challenge, Tag
from app.i18n import _l
from app.i18n_setup import LANGUAGE_NAMES
from app.organisations.models import COUNTRY_LABELS, Organisation
from app.search import indexing
from app.search.backends import Hit, IndexUnavailableError, SearchRequest, SearchResults
from app.search.documents import CHALLENGE, CONCEPT, challenge_concepts, challenge_document
from app.search.forms import SearchParams
from app.search.query import ParsedQuery, QuerySyntaxError, parse_query

log = logging.getLogger("concept_arena.search")
PER_PAGE = 20
FALLBACK_LIMIT = 200

TYPE_LABELS = {CHALLENGE: _l("Challenges"), CONCEPT: _l("Concepts")}
FACET_LABELS = {
    "type": _l("Type"), "organisation": _l("Organisation"), "country": _l("Country"), "year": _l("Year"),
    "language": _l("Language"), "tag": _l("Topic"), "sdg": _l("Sustainable Development Goal"),
    "winner": _l("Winners"),
}


@dataclass
class SearchPage:
    params: SearchParams
    results: SearchResults
    parsed: ParsedQuery | None
    syntax_error: Any = None
    degraded: bool = False
    labels: dict[str, dict[str, str]] = field(default_factory=dict)


def _labels(results: SearchResults) -> dict[str, dict[str, str]]:
    """Readable names for the facet values shown (one query per kind, not per value)."""
    out: dict[str, dict[str, str]] = {
        "type": {k: str(v) for k, v in TYPE_LABELS.items()},
        "language": dict(LANGUAGE_NAMES),  # each language in its own words, as the switcher shows them
        "country": {str(k): str(v) for k, v in COUNTRY_LABELS.items()},
        "sdg": {str(k): f"{k}. {v}" for k, v in SDG_LABELS.items()},
        "winner": {"true": str(_l("Winning concepts only"))},
    }
    from app.db import db
    orgs = [v for v, _ in results.facets.get("organisation", [])]
    out["organisation"] = dict(db.session.execute(
        select(Organisation.slug, Organisation.name).where(Organisation.slug.in_(orgs))).all()) if orgs else {}
    tags = [v for v, _ in results.facets.get("tag", [])]
    out["tag"] = dict(db.session.execute(select(Tag.slug, Tag.name).where(Tag.slug.in_(tags))).all()) if tags else {}
    for hit in results.hits:
        for name in hit.tag_names:
            out["tag"].setdefault(name.lower(), name)
    return out


def run_search(params: SearchParams, *, per_page: int = PER_PAGE) -> SearchPage:
    """The results page for `params`; a syntax error gives an empty page with the message."""
    empty = SearchResults(hits=[], total=0, page=params.page, per_page=per_page)
    try:
        parsed = parse_query(params.q)
    except QuerySyntaxError as exc:
        return SearchPage(params=params, results=empty, parsed=None, syntax_error=exc.message)
    request = SearchRequest(query=parsed, filters=params.filters, sort=params.sort, page=params.page,
                            per_page=per_page)
    try:
        results = indexing.backend().search(request)
        degraded = False
    except IndexUnavailableError as exc:
        log.warning("search: the index cannot answer (%s); answering from the database", exc)
        indexing.request_rebuild(current_app._get_current_object())  # type: ignore[attr-defined]
        results = database_search(request)
        degraded = True
    return SearchPage(params=params, results=results, parsed=parsed, degraded=degraded, labels=_labels(results))


def _plain_hit(d: Any) -> Hit:
    summary = d.summary[:280] + ("…" if len(d.summary) > 280 else "")
    return Hit(doc_id=d.doc_id, type=d.type, object_id=d.object_id, title=d.title, snippet=escape(summary),
               url=d.url, language=d.language, organisation=d.organisation, organisation_name=d.organisation_name,
               challenge_id=d.challenge_id, challenge_title=d.challenge_title, year=d.year, date=d.date,
               winner=d.winner, imported=d.imported, tag_names=d.tag_names, score=0.0)


def database_search(request: SearchRequest) -> SearchResults:
    """The fallback while the index is missing or being rebuilt: the query's words, as typed, in
    the titles and summaries of public challenges and their published concepts. No stemming, no
    facets; the page says so. The same documents.py rules decide what is public."""
    from app.db import db
    words = [w for w in request.query.positive_words if len(w) >= 2][:6]
    stmt = select(Challenge).where(public_clause()).order_by(Challenge.published_at.desc()).limit(FALLBACK_LIMIT)
    challenges = list(db.session.scalars(stmt))
    docs = []
    for ch in challenges:
        d = challenge_document(ch)
        if d:
            docs.append(d)
        docs.extend(challenge_concepts(ch)[0])
    def matches(d: Any) -> bool:
        text = f"{d.title} {d.summary}".casefold()
        return all(w.casefold() in text for w in words)
    found = [d for d in docs if matches(d)]
    for facet, values in request.filters.items():
        if facet == "type":
            found = [d for d in found if d.type in values]
        elif facet == "language":
            found = [d for d in found if d.language in values]
        elif facet == "organisation":
            found = [d for d in found if d.organisation in values]
    found.sort(key=lambda d: d.date, reverse=True)
    start = (request.page - 1) * request.per_page
    return SearchResults(hits=[_plain_hit(d) for d in found[start:start + request.per_page]], total=len(found),
                         page=request.page, per_page=request.per_page)


__all__ = ["FACET_LABELS", "SearchPage", "database_search", "run_search"]
