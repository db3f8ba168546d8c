"""Search results as open data: the JSON the API and /search (Accept: application/json) answer.

One function builds it for both, so the JSON is the same whichever URL asked, and the same as
the HTML page for the same parameters: both read forms.read_params and queries.run_search. The
shape is described by app/api/search.schema.json (docs/search-api.md); a change here changes
that file and its version.

Snippets are plain text: JSON consumers do not want HTML. The matched words are given as
[start, end) offsets into the snippet (`highlights`), and `snippet_html` is the same text escaped
with only <mark>...</mark> around them, whatever markup the backend produced.
"""
from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

from flask import Response, current_app, url_for
from flask_babel import force_locale
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from app.core.formatting import iso_utc
from app.core.web import ERROR_TEXTS
from app.i18n import _l
from app.search.backends import Hit
from app.search.forms import MAX_PAGE, SearchParams, read_params
from app.search.queries import FACET_LABELS, PER_PAGE, SearchPage, run_search
from app.search.schema import FACETS

SCHEMA_VERSION = "1.0"
MAX_PER_PAGE = 50
MAX_DEPTH = MAX_PAGE * PER_PAGE      # the HTML page's 1,000 results: the same depth at any page size
JSON_MAX_AGE = 60                   # seconds a cache may keep an answer (the index changes within seconds)
# Tags that backends use to mark the matched words (Whoosh <mark>, PostgreSQL ts_headline <b>).
_MARK_TAGS = {"mark", "b", "strong", "em"}


def wants_json(accept: Any) -> bool:
    """True when the client rates application/json above text/html (equal quality: HTML wins)."""
    return accept.best_match(["text/html", "application/json"]) == "application/json"


class _Marks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.length = 0
        self.spans: list[list[int]] = []
        self._open: int | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _MARK_TAGS:
            if self._depth == 0:
                self._open = self.length
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _MARK_TAGS and self._depth:
            self._depth -= 1
            if self._depth == 0 and self._open is not None:
                if self.length > self._open:
                    self.spans.append([self._open, self.length])
                self._open = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        self.length += len(data)


def plain_snippet(snippet: Markup | str) -> tuple[str, list[list[int]]]:
    """A backend's highlighted HTML snippet as plain text and the [start, end) spans it marked."""
    parser = _Marks()
    parser.feed(str(snippet))
    parser.close()
    return "".join(parser.text), parser.spans


def marked_html(text: str, spans: list[list[int]]) -> str:
    out, at = [], 0
    for start, end in spans:
        out.append(str(escape(text[at:start])))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        at = end
    out.append(str(escape(text[at:])))
    return "".join(out)


def absolute_url(path: str) -> str:
    """A path on the configured BASE_URL (never the request's Host header: S08)."""
    return str(current_app.config["BASE_URL"]).rstrip("/") + path


def _result(hit: Hit) -> dict[str, Any]:
    text, spans = plain_snippet(hit.snippet)
    concept = hit.type != "challenge"
    return {
        "type": hit.type,
        "id": hit.object_id,
        "title": hit.title,
        "snippet": text,
        "highlights": spans,
        "snippet_html": marked_html(text, spans),
        "url": absolute_url(hit.url),
        "organisation": {"slug": hit.organisation, "name": hit.organisation_name},
        "challenge": {"id": hit.challenge_id, "title": hit.challenge_title} if concept else None,
        "language": hit.language,
        "year": hit.year,
        "date": iso_utc(hit.date) or None,
        "winner": hit.winner,
        "imported": hit.imported,
        "tags": list(hit.tag_names),
    }


def read_api_params(args: MultiDict[str, str]) -> tuple[SearchParams, int, str | None]:
    """The search page's parameters plus `per_page` and `lang`; problems go to params.errors."""
    params = read_params(args)
    raw = args.get("per_page", str(PER_PAGE))
    per_page = PER_PAGE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PER_PAGE:
        params.errors["per_page"] = _l("Results per page must be a whole number from 1 to %(n)s.", n=MAX_PER_PAGE)
    else:
        per_page = int(raw)
    if "page" not in params.errors and (params.page - 1) * per_page >= MAX_DEPTH:
        params.errors["page"] = _l("Only the first %(n)s pages of results can be browsed: narrow the search "
                                   "with more words or filters.", n=max_pages(per_page))
    lang = args.get("lang") or None
    if lang is not None and lang not in current_app.config["LANGUAGES"]:
        params.errors["lang"] = _l("The language must be one of en, da, nb and sv.")
        lang = None
    return params, per_page, lang


def max_pages(per_page: int) -> int:
    return -(-MAX_DEPTH // per_page)


def search_json(page: SearchPage, *, per_page: int, endpoint: str, lang: str | None = None) -> dict[str, Any]:
    """The JSON document of one answered search; `endpoint` answered it (for the links)."""
    params, results = page.params, page.results
    pages = min(results.pages, max_pages(per_page))

    def link(target: str, **change: Any) -> str:
        args = params.args(**change)
        return absolute_url(url_for(target, **args.to_dict(flat=False)))

    def own(page_no: int) -> str:  # the JSON's own pages keep its page size and language
        args = params.args(page=page_no)
        if per_page != PER_PAGE:
            args.add("per_page", str(per_page))
        if lang:
            args.add("lang", lang)
        return absolute_url(url_for(endpoint, **args.to_dict(flat=False)))

    labels = page.labels
    facets = {facet: [{"value": v, "label": labels.get(facet, {}).get(v, v), "count": n}
                      for v, n in results.facets.get(facet, [])]
              for facet in FACETS if facet in results.facets}
    return {
        "version": SCHEMA_VERSION,
        "query": {"q": params.q, "sort": params.sort,
                  "filters": {f: list(vs) for f, vs in params.filters.items()}},
        "total": results.total,
        "page": results.page,
        "per_page": per_page,
        "pages": pages,
        "results": [_result(h) for h in results.hits],
        "facets": facets,
        "facet_labels": {f: str(FACET_LABELS[f]) for f in FACETS},
        "suggestion": results.suggestion,
        "corrected": results.corrected,
        "degraded": page.degraded,
        "links": {
            "self": own(params.page),
            "next": own(params.page + 1) if params.page < pages else None,
            "prev": own(params.page - 1) if params.page > 1 else None,
            "html": link("search.search", page=params.page),
            "atom": link("feeds.search_atom", sort="relevance", page=1),
        },
    }


def errors_json(errors: Mapping[str, object]) -> dict[str, Any]:
    return {"errors": {name: str(message) for name, message in errors.items()}}


def json_response(document: Mapping[str, Any], status: int = 200, *, max_age: int = JSON_MAX_AGE) -> Response:
    """Open data: any site may read it (no credentials are involved, so `*` is safe), caches may keep it briefly."""
    response = Response(json.dumps(document, ensure_ascii=False) + "\n", status=status,
                        content_type="application/json; charset=utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.vary.update(("Accept", "Accept-Language"))
    return response


def open_data_limit() -> str:
    """Requests one address may make to the open-data answers (JSON, Atom) together, in
    Flask-Limiter syntax; read per request so deployments and tests can change it. The default (60
    a minute) lets a harvester page through the deepest search (20 pages of 50) in one go."""
    return str(current_app.config["OPEN_DATA_LIMIT_PER_IP"])


def error_json(code: int, *, retry_after: int = 60) -> Response:
    """An HTTP error (404, 429, 500) as JSON: {"errors": {"request": message}}, the site's own words."""
    text = ERROR_TEXTS.get(code, ERROR_TEXTS[500 if code >= 500 else 400])[1]
    response = json_response(errors_json({"request": text}), code, max_age=0)
    if code == 429:
        response.headers["Retry-After"] = str(retry_after)
    return response


def retry_after(limit: Any) -> int:
    """Seconds until a breached Flask-Limiter limit's window resets (at least 1)."""
    return max(1, math.ceil(limit.reset_at - time.time()))


def json_breach(limit: Any) -> Response:
    """Flask-Limiter's on_breach: a JSON 429 instead of the HTML error page."""
    return error_json(429, retry_after=retry_after(limit))


def answer(args: MultiDict[str, str], *, endpoint: str) -> Response:
    """The JSON answer to a search's query string: the results, or 400 with {"errors": {field: message}}."""
    params, per_page, lang = read_api_params(args)

    def build() -> Response:
        if params.errors:
            return json_response(errors_json(params.errors), 400)
        page = run_search(params, per_page=per_page)
        if page.syntax_error:
            return json_response(errors_json({"q": page.syntax_error}), 400)
        # A degraded answer (R08) is kept for a moment only: the rebuild is on its way.
        return json_response(search_json(page, per_page=per_page, endpoint=endpoint, lang=lang),
                             max_age=5 if page.degraded else JSON_MAX_AGE)

    if lang is None:
        return build()
    with force_locale(lang):
        return build()


__all__ = ["MAX_PER_PAGE", "answer", "errors_json", "json_response", "plain_snippet", "read_api_params",
           "search_json", "wants_json"]
