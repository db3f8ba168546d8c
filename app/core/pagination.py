"""Strict ?page=N handling for list pages: a bad page number is a 4xx, never a 500 (S31)."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from flask import abort, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from app.db import db

_PAGE_RE = re.compile(r"^[0-9]{1,6}$")


def page_arg(name: str = "page") -> int:
    """The requested page number: missing -> 1; not a positive integer -> 400."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return 1
    if not _PAGE_RE.match(raw) or int(raw) < 1:
        abort(400)
    return int(raw)


def paginate(stmt: Select[Any], *, per_page: int = 20) -> Pagination:
    """Paginate a select; a page past the last one is a 404 (page 1 of an empty list is fine)."""
    page = page_arg()
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=True)
    if page > 1 and page > pagination.pages:
        abort(404)
    return pagination


class _ListPagination(Pagination):
    """A Pagination over a list already in memory (sorted in Python, for example)."""

    def _query_items(self) -> list[Any]:
        items: Sequence[Any] = self._query_args["items"]
        return list(items[self._query_offset:self._query_offset + self.per_page])

    def _query_count(self) -> int:
        return len(self._query_args["items"])


def paginate_list(items: Sequence[Any], *, per_page: int = 20) -> Pagination:
    """paginate() for a list: the same ?page rules (400 for a bad number, 404 past the last page)."""
    page = page_arg()
    pagination = _ListPagination(page=page, per_page=per_page, error_out=False, items=items)
    if page > 1 and page > pagination.pages:
        abort(404)
    return pagination


def page_args(**extra: Any) -> dict[str, Any]:
    """The current query's filter arguments without `page`, for building page links."""
    args = {k: v for k, v in request.args.items() if k != "page" and v != ""}
    args.update({k: v for k, v in extra.items() if v is not None})
    return args


class _KnownPagination(Pagination):
    """A Pagination whose page and total are already known (kept in the page cache)."""

    def _query_items(self) -> list[Any]:
        return list(self._query_args["page_items"])

    def _query_count(self) -> int:
        return int(self._query_args["total"])


def known_page(*, page: int, per_page: int, items: Sequence[Any], total: int) -> Pagination:
    """A Pagination for a page whose items and total were found earlier."""
    return _KnownPagination(page=page, per_page=per_page, error_out=False, page_items=items, total=total)


def page_of(stmt: Select[Any], *, page: int, per_page: int) -> tuple[list[Any], int]:
    """One page of a select's rows (plain values: ids) and the total, to keep or to paginate."""
    found = db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=True)
    return list(found.items), int(found.total or 0)
