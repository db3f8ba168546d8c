"""An Atom feed of a saved search: its newest 20 results, so a reader follows a query.

Feeds read the features; this one reads search (queries.run_search answers it, as it answers the
search page and its JSON). It follows builders.py: feedgen, absolute links on BASE_URL (never the Host header:
S08), stable tag: URIs (RFC 4151) made from the object's id and creation date, so a challenge has
the same entry id here as in the challenge feeds and survives a change of slug. Only what the
search answered reaches it, and the index holds only what documents.py made public (S32).
Titles and summaries are text constructs: feedgen escapes them (S28).
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from flask import current_app, url_for
from sqlalchemy import select

from app.challenges.models import Challenge
from app.concepts.models import Concept
from app.core.timeutil import as_utc
from app.db import db
from app.i18n import _
from app.search.backends import Hit
from app.search.documents import CHALLENGE
from app.search.queries import SearchPage
from app.search.serialise import absolute_url, plain_snippet

FEED_SIZE = 20


def _host() -> str:
    return urlsplit(str(current_app.config["BASE_URL"])).hostname or "localhost"


def _moments(hits: list[Hit]) -> dict[str, tuple[datetime, datetime, datetime]]:
    """{doc_id: (created, published, updated)} for the hits, in two queries for the whole page.

    A challenge's are builders.py's (published_at; the latest of its changes). A concept's are its
    indexed version's submission: its live draft changes in private, so its entry does not."""
    out: dict[str, tuple[datetime, datetime, datetime]] = {}
    challenge_ids = [h.object_id for h in hits if h.type == CHALLENGE]
    concept_ids = {h.object_id: h.date for h in hits if h.type != CHALLENGE}
    if challenge_ids:
        for cid, created, published, *changes in db.session.execute(
                select(Challenge.id, Challenge.created_at, Challenge.published_at, Challenge.updated_at,
                       Challenge.state_changed_at).where(Challenge.id.in_(challenge_ids))):
            first = as_utc(published or created)
            out[f"challenge:{cid}"] = (as_utc(created), first,
                                       max([first, *(as_utc(m) for m in changes if m is not None)]))
    if concept_ids:
        for cid, created in db.session.execute(select(Concept.id, Concept.created_at)
                                               .where(Concept.id.in_(list(concept_ids)))):
            submitted = as_utc(concept_ids[cid] or created)
            out[f"concept:{cid}"] = (as_utc(created), submitted, submitted)
    return out


def entry_id(kind: str, object_id: int, created: datetime) -> str:
    return f"tag:{_host()},{as_utc(created):%Y-%m-%d}:{kind}/{object_id}"


def feed_title(page: SearchPage) -> str:
    params, labels = page.params, page.labels
    chosen = ", ".join(labels.get(f, {}).get(v, v) for f, vs in params.filters.items() for v in vs)
    if params.q and chosen:
        return _("Concept Arena search: %(q)s (%(filters)s)", q=params.q, filters=chosen)
    if params.q:
        return _("Concept Arena search: %(q)s", q=params.q)
    if chosen:
        return _("New in the Concept Arena archive: %(filters)s", filters=chosen)
    return _("New in the Concept Arena archive")


def build_feed(page: SearchPage, *, self_url: str, page_url: str, language: str, now: datetime) -> bytes:
    """The Atom document of a search answered newest first."""
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(feed_title(page))
    fg.subtitle(_("The newest challenges and concepts in the archive that match this search."))
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.link(href=page_url, rel="alternate", type="text/html")
    fg.language(language)
    fg.author(name="Concept Arena", uri=absolute_url("/"))
    moments = _moments(page.results.hits)
    latest: datetime | None = None
    # In the search's date order (documents.py's date: a challenge's deadline, a concept's
    # submission), newest first.
    for hit in page.results.hits:
        if hit.doc_id not in moments:
            continue  # the row is gone since the index was written: so is its page
        created, published, updated = moments[hit.doc_id]
        latest = updated if latest is None or updated > latest else latest
        entry = fg.add_entry(order="append")
        entry.id(entry_id(hit.type, hit.object_id, created))
        entry.title(hit.title)
        entry.link(href=absolute_url(hit.url), rel="alternate", type="text/html")
        entry.published(published)
        entry.updated(updated)
        entry.author(name=hit.organisation_name,
                     uri=absolute_url(url_for("organisations.detail", slug=hit.organisation)))
        summary = plain_snippet(hit.snippet)[0]
        if hit.type != CHALLENGE and hit.challenge_title:
            summary = f"{hit.challenge_title}: {summary}" if summary else hit.challenge_title
        if summary:
            entry.summary(summary)
        for name in hit.tag_names:
            entry.category(term=name)
    fg.updated(latest or now)
    return fg.atom_str(pretty=True)
