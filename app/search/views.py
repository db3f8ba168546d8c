"""The public search page, and the same results as JSON (Accept: application/json)."""
from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from werkzeug.exceptions import HTTPException

from app.core.pagecache import public_page
from app.core.web import render_error
from app.extensions import limiter
from app.search import serialise
from app.search.forms import read_params
from app.search.queries import FACET_LABELS, run_search
from app.search.schema import FACETS


def _html_wanted() -> bool:
    return not serialise.wants_json(request.accept_mimetypes)


# The page itself is not limited (a class behind one school address searches together); its
# JSON is open data and shares the API's limit.
@limiter.shared_limit(serialise.open_data_limit, scope="open-data", exempt_when=_html_wanted,
                      on_breach=serialise.json_breach)
@public_page
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
