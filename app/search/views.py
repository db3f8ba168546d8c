"""The public search page, the same results as JSON (Accept: application/json), and its Atom feed."""
from __future__ import annotations

from typing import Any

from flask import Response, render_template, request, url_for
from flask_babel import get_locale
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from app.core.timeutil import clock
from app.core.web import ERROR_TEXTS, render_error
from app.extensions import limiter
from app.search import feed as feeds
from app.search import serialise
from app.search.forms import read_params
from app.search.queries import FACET_LABELS, run_search
from app.search.schema import FACETS

FEED_MAX_AGE = 900  # as app/feeds: seconds a reader may keep a copy
ATOM = "application/atom+xml; charset=utf-8"


def _html_wanted() -> bool:
    return not serialise.wants_json(request.accept_mimetypes)


def _text(body: str, status: int) -> Response:
    return Response(body + "\n", status, content_type="text/plain; charset=utf-8")


# The page itself is not limited (a class behind one school address searches together); its
# JSON is open data and shares the API's limit.
@limiter.shared_limit(serialise.open_data_limit, scope="open-data", exempt_when=_html_wanted,
                      on_breach=serialise.json_breach)
def search() -> Any:
    if serialise.wants_json(request.accept_mimetypes):
        response = serialise.answer(request.args, endpoint="search.search")
    else:
        params = read_params(request.args)
        page = run_search(params)
        status = 400 if params.errors or page.syntax_error else 200
        response = Response(render_template("search/results.html", page=page, params=params, facets=FACETS,
                                            facet_labels=FACET_LABELS), status)
    response.vary.add("Accept")  # one URL, two representations: a cache must keep them apart
    return response


def too_many_requests(exc: HTTPException) -> Any:
    if exc.response is not None:
        return exc.response
    return render_error(429)


def _feed_breach(limit: Any) -> Response:
    response = _text(str(ERROR_TEXTS[429][1]), 429)
    response.headers["Retry-After"] = str(serialise.retry_after(limit))
    return response


@limiter.shared_limit(serialise.open_data_limit, scope="open-data", on_breach=_feed_breach)
def feed() -> Response:
    # A saved search is its words and filters: always the newest first, always the first page.
    args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k not in ("sort", "page")])
    params = read_params(args)
    params.sort = "date"
    if params.errors:
        response = _text("\n".join(str(m) for m in params.errors.values()), 400)
    elif (page := run_search(params, per_page=feeds.FEED_SIZE)).syntax_error:
        response = _text(str(page.syntax_error), 400)
    else:
        self_url = url_for("search.feed", **params.args(sort="relevance").to_dict(flat=False))
        page_url = url_for("search.search", **params.args().to_dict(flat=False))
        body = feeds.search_feed(page, self_url=serialise.absolute_url(self_url),
                                 page_url=serialise.absolute_url(page_url),
                                 language=str(get_locale() or "en"), now=clock.now())
        response = Response(body, content_type=ATOM)
        response.cache_control.public = True
        response.cache_control.max_age = FEED_MAX_AGE
    response.vary.add("Accept-Language")  # the feed's title is in the reader's language
    return response
