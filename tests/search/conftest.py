"""Search fixtures: a real index in the test's temp dir, built and updated through the app.

One behavioural suite for both backends (issue 11, item 8): every test under tests/search runs
twice, on the Whoosh backend (the app on SQLite, the index under the test's temp dir) and on the
PostgreSQL backend (the app on PostgreSQL with SEARCH_BACKEND=postgres, the index in the app's
own database). The backend follows the `database` fixture of tests/conftest.py: its PostgreSQL
variant is mandatory under CI=true and skips with one line elsewhere. A test of what only Whoosh
does carries `@pytest.mark.whoosh_only("why")` and is skipped on PostgreSQL with that reason.
"""
from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.search import indexing

HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every search test runs on both backends; whoosh_only ones are skipped on PostgreSQL."""
    for item in items:
        if HERE not in Path(item.path).parents:
            continue
        if item.get_closest_marker("both_databases") is None:
            item.add_marker(pytest.mark.both_databases)
        marker = item.get_closest_marker("whoosh_only")
        params = getattr(getattr(item, "callspec", None), "params", {})
        if marker is not None and params.get("database") == "postgres":
            reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "Whoosh only")
            item.add_marker(pytest.mark.skip(reason=f"Whoosh only: {reason}"))


@pytest.fixture
def app_config(app_config: dict[str, Any], database: dict[str, Any]) -> dict[str, Any]:
    """The PostgreSQL variant searches with the PostgreSQL backend."""
    if database["kind"] == "postgres":
        app_config["SEARCH_BACKEND"] = "postgres"
    return app_config


@pytest.fixture
def search_backend(app: Flask) -> str:
    """The name of the backend this test runs on: "whoosh" or "postgres"."""
    return str(app.config.get("SEARCH_BACKEND", "whoosh"))


@pytest.fixture
def delete_index(app: Flask) -> Callable[[], None]:
    """delete_index() destroys the index under the running site: Whoosh's directory, or the
    PostgreSQL backend's tables (R08)."""
    def _delete() -> None:
        if app.config.get("SEARCH_BACKEND") == "postgres":
            from sqlalchemy import text

            from app.search.backends.postgres import PG_ONLY_TABLES
            with app.app_context(), indexing.backend().engine.begin() as conn:  # type: ignore[attr-defined]
                conn.execute(text("DROP TABLE " + ", ".join(PG_ONLY_TABLES)))
        else:
            shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    return _delete


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
