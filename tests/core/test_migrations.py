"""The migrations are the schema: after `upgrade()` the database matches the models exactly."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.db import db
from app.search.backends.postgres import PG_ONLY_TABLES

# On SQLite and PostgreSQL: the schema the migrations build on each backend.
pytestmark = pytest.mark.both_databases


def test_models_and_migrations_agree(app) -> None:
    with app.app_context(), db.engine.connect() as conn:
        # The PostgreSQL search tables live outside the models (tests/search/test_search_postgres.py
        # compares them with the backend's own definition).
        context = MigrationContext.configure(conn, opts={
            "compare_type": True,
            "include_name": lambda name, type_, _parents: not (type_ == "table" and name in PG_ONLY_TABLES)})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models differ from migrations; run `flask db migrate`: {diff}"
