"""Atom feeds and iCalendar files, read from the features. Anonymous and public by design: they
contain only public challenges (never a draft), whoever asks, and the search feed only what the
public index holds (search/documents.py decides that)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import get_locale
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.challenges import queries
from app.challenges.models import Challenge
from app.core.pagecache import public_page
from app.core.timeutil import clock
from app.core.web import ERROR_TEXTS, render_error
from app.db import db
from app.extensions import limiter
from app.i18n import _
from app.search import serialise
from app.search.forms import read_params
from app.search.queries import run_search

from . import builders
from . import search as search_feed

bp = Blueprint("feeds", __name__)

ATOM = "application/atom+xml; charset=utf-8"
ICS = "text/calendar; charset=utf-8"
MAX_AGE = 900  # seconds a reader or calendar app may keep a copy


def wants_subscribe_page(content_type: str) -> bool:
    """A person who opened the feed's link in a browser (which prefers text/html) gets a short page
    on how to subscribe, with the address to copy; feed readers and calendar apps, which ask for
    the feed's type or anything (*/*), get the feed. `?format=raw` always gives the file."""
    if request.args.get("format") == "raw":
        return False
    mime = content_type.split(";")[0]
    return request.accept_mimetypes.best_match([mime, "text/html"]) == "text/html" \
        and request.accept_mimetypes[mime] < request.accept_mimetypes["text/html"]


def subscribe_page(*, kind: str, title: str, feed_url: str, page_url: str | None = None) -> Response:
    """The human page for a feed or calendar address (kind "atom" or "ics")."""
    webcal = "webcal://" + feed_url.split("://", 1)[1] if kind == "ics" and "://" in feed_url else None
    response = Response(render_template("feeds/subscribe.html", kind=kind, title=title, feed_url=feed_url,
                                        page_url=page_url, webcal=webcal))
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    return response


def _respond(body: bytes, content_type: str) -> Response:
    response = Response(body, content_type=content_type)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.vary.add("Accept")  # a browser gets the subscribe page instead
    response.vary.add("Accept-Language")  # titles are in the reader's language
    return response


def _atom(challenges: list[Challenge], *, title: str, self_endpoint: str, page_url: str, **values: Any) -> Response:
    self_url = builders.absolute(self_endpoint, **values)
    if wants_subscribe_page(ATOM):
        return subscribe_page(kind="atom", title=title, feed_url=self_url, page_url=page_url)
    body = builders.atom_feed(challenges, title=title, self_url=self_url,
                              page_url=page_url, language=str(get_locale() or "en"), now=clock.now())
    return _respond(body, ATOM)


@bp.route("/feeds/challenges.atom")
@public_page
def challenges_atom() -> Response:
    return _atom(queries.feed_challenges(), title=_("New challenges on Concept Arena"),
                 self_endpoint="feeds.challenges_atom", page_url=builders.absolute("challenges.index"))


@bp.route("/feeds/organisations/<slug>.atom")
@public_page
def organisation_atom(slug: str) -> Response:
    organisation = queries.approved_organisation(slug)
    if organisation is None:
        abort(404)
    return _atom(queries.feed_challenges(organisation_id=organisation.id),
                 title=_("New challenges from %(name)s", name=organisation.name),
                 self_endpoint="feeds.organisation_atom", slug=organisation.slug,
                 page_url=builders.absolute("organisations.detail", slug=organisation.slug))


@bp.route("/feeds/tags/<tag>.atom")
@public_page
def tag_atom(tag: str) -> Response:
    found = queries.public_tag(tag)
    if found is None:
        abort(404)
    return _atom(queries.feed_challenges(tag_id=found.id), title=_("New challenges about %(topic)s", topic=found.name),
                 self_endpoint="feeds.tag_atom", tag=found.slug,
                 page_url=builders.absolute("challenges.index", tag=found.slug))


@bp.route("/calendar/deadlines.ics")
@public_page
def deadlines_ics() -> Response:
    if wants_subscribe_page(ICS):
        return subscribe_page(kind="ics", title=_("Deadlines of open challenges"),
                              feed_url=builders.absolute("feeds.deadlines_ics"),
                              page_url=builders.absolute("challenges.index"))
    return _respond(builders.deadlines_calendar(queries.calendar_challenges(now=clock.now())), ICS)


@bp.route("/challenges/<slug>/calendar.ics")
@public_page
def challenge_ics(slug: str) -> Response:
    challenge = db.session.scalar(select(Challenge).where(Challenge.slug == slug))
    if challenge is None or not queries.is_public(challenge):
        abort(404)  # a draft has no calendar, not even for its staff: calendars are shared freely
    if wants_subscribe_page(ICS):
        return subscribe_page(kind="ics", title=_("The dates of %(title)s", title=challenge.title),
                              feed_url=builders.absolute("feeds.challenge_ics", slug=challenge.slug),
                              page_url=builders.absolute("challenges.detail", slug=challenge.slug))
    response = _respond(builders.challenge_calendar(challenge), ICS)
    response.headers["Content-Disposition"] = f'inline; filename="{challenge.slug}.ics"'
    return response


def _text(body: str, status: int) -> Response:
    return Response(body + "\n", status, content_type="text/plain; charset=utf-8")


def _search_breach(limit: Any) -> Response:
    response = _text(str(ERROR_TEXTS[429][1]), 429)
    response.headers["Retry-After"] = str(serialise.retry_after(limit))
    return response


# Open data like the search API: the same per-address limit, shared with it (search/serialise.py).
@limiter.shared_limit(serialise.open_data_limit, scope="open-data", on_breach=_search_breach)
@public_page
def search_atom() -> Response:
    # A saved search is its words and filters: always the newest first, always the first page.
    args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k not in ("sort", "page", "format")])
    params = read_params(args)
    params.sort = "date"
    if params.errors:
        return _text("\n".join(str(m) for m in params.errors.values()), 400)
    self_url = builders.absolute("feeds.search_atom", **params.args(sort="relevance").to_dict(flat=False))
    page_url = builders.absolute("search.search", **params.args().to_dict(flat=False))
    page = run_search(params, per_page=search_feed.FEED_SIZE)
    if page.syntax_error:
        return _text(str(page.syntax_error), 400)
    if wants_subscribe_page(ATOM):
        return subscribe_page(kind="atom", title=search_feed.feed_title(page), feed_url=self_url, page_url=page_url)
    body = search_feed.build_feed(page, self_url=self_url, page_url=page_url, language=str(get_locale() or "en"),
                                   now=clock.now())
    return _respond(body, ATOM)


# A limited feed keeps its own type (Flask-Limiter's on_breach), not the HTML error page.
def _too_many(exc: Any) -> Any:
    return exc.response if getattr(exc, "response", None) is not None else render_error(429)


bp.add_url_rule("/search/feed.atom", view_func=search_atom, methods=["GET"])
bp.register_error_handler(429, _too_many)
