"""Search fixtures: a real index in the test's temp dir, built and updated through the app."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from app.search import indexing


@pytest.fixture
def rebuild_index(app: Flask) -> Callable[[], int]:
    """rebuild_index() builds the index from the database, as `flask search rebuild` does."""
    def _rebuild() -> int:
        with app.app_context():
            return indexing.rebuild()
    return _rebuild


@pytest.fixture
def apply_index(app: Flask) -> Callable[[], int]:
    """apply_index() applies every queued change, as the background worker does after a commit."""
    def _apply() -> int:
        total = 0
        with app.app_context():
            while n := indexing.apply_pending():
                total += n
        return total
    return _apply


@pytest.fixture
def search(client: Any) -> Callable[..., tuple[int, str, list[str]]]:
    """search(q, **filters) -> (status, html, result URLs in order)."""
    def _search(q: str = "", **params: Any) -> tuple[int, str, list[str]]:
        response = client.get("/search", query_string={"q": q, **params})
        html = response.get_data(as_text=True)
        return response.status_code, html, re.findall(r'<h3 class="result-title"[^>]*><a href="([^"]+)"', html)
    return _search
