"""The search page's parameters: the box, the sort, the page, and the facet filters (S31)."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from app.i18n import _l
from app.search.analysis import LANGUAGES
from app.search.backends import SORTS
from app.search.documents import DOC_TYPES
from app.search.query import MAX_QUERY_CHARS
from app.search.schema import FACETS

MAX_PAGE = 50                   # 1,000 results at 20 a page: deeper pages cost the engine, not the reader
MAX_VALUES_PER_FACET = 20
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,119}$")
COUNTRIES = ("DK", "NO", "SE", "other")


def _valid(facet: str, value: str) -> bool:
    if facet == "type":
        return value in DOC_TYPES
    if facet == "language":
        return value in LANGUAGES
    if facet == "country":
        return value in COUNTRIES
    if facet == "year":
        return value.isdigit() and 1900 <= int(value) <= 2200
    if facet == "sdg":
        return value.isdigit() and 1 <= int(value) <= 17
    if facet == "winner":
        return value == "true"
    return bool(_SLUG.match(value))          # organisation, tag


@dataclass
class SearchParams:
    q: str = ""
    sort: str = "relevance"
    page: int = 1
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    errors: dict[str, object] = field(default_factory=dict)

    def args(self, **change: object) -> MultiDict[str, str]:
        """The query string of this search with some parts changed (stable page URLs)."""
        out: MultiDict[str, str] = MultiDict()
        q = change.get("q", self.q)
        if q:
            out.add("q", str(q))
        filters = change.get("filters", self.filters)
        assert isinstance(filters, Mapping)
        for facet in FACETS:
            for v in filters.get(facet, ()):
                out.add(facet, v)
        sort = change.get("sort", self.sort)
        if sort != "relevance":
            out.add("sort", str(sort))
        page = change.get("page", 1)
        if page != 1:
            out.add("page", str(page))
        return out

    def without(self, facet: str, value: str) -> MultiDict[str, str]:
        filters = {f: tuple(v for v in vs if not (f == facet and v == value)) for f, vs in self.filters.items()}
        return self.args(filters=filters)

    def chosen(self, facet: str, value: str) -> bool:
        return value in self.filters.get(facet, ())


def read_params(args: MultiDict[str, str]) -> SearchParams:
    """Read and check the query string; problems go to `errors` by field, the rest is kept."""
    p = SearchParams()
    q = args.get("q", "")
    if len(q) > MAX_QUERY_CHARS:
        p.errors["q"] = _l("The search is too long: use at most %(n)s characters.", n=MAX_QUERY_CHARS)
        q = q[:MAX_QUERY_CHARS]
    p.q = q.strip()
    sort = args.get("sort", "relevance")
    if sort not in SORTS:
        p.errors["sort"] = _l("Sort by relevance or by date.")
    else:
        p.sort = sort
    raw_page = args.get("page", "1")
    if not raw_page.isdigit() or int(raw_page) < 1:
        p.errors["page"] = _l("The page must be a whole number, 1 or more.")
    elif int(raw_page) > MAX_PAGE:
        p.errors["page"] = _l("Only the first %(n)s pages of results can be browsed: narrow the search with more words or filters.", n=MAX_PAGE)
    else:
        p.page = int(raw_page)
    for facet in FACETS:
        values = [v.strip() for v in args.getlist(facet) if v.strip()]
        if not values:
            continue
        if len(values) > MAX_VALUES_PER_FACET or not all(_valid(facet, v) for v in values):
            p.errors[facet] = _l("One of the chosen filters is not valid; it was left out.")
            values = [v for v in values if _valid(facet, v)][:MAX_VALUES_PER_FACET]
        if values:
            p.filters[facet] = tuple(dict.fromkeys(values))
    return p
