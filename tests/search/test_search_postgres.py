"""The PostgreSQL backend's own parts: its tables as the migration makes them, on PostgreSQL only."""
from __future__ import annotations

from sqlalchemy import inspect, text

from app.db import db
from app.search.backends.postgres import PG_ONLY_TABLES, TABLE, WORDS, ddl, fold_for


def _columns(conn, table: str) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [tuple(r) for r in conn.execute(text(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_name = :t ORDER BY ordinal_position"), {"t": table})]


def test_the_migration_makes_the_tables_the_backend_builds(app, database) -> None:
    """The rebuild creates its table from ddl(); the migration wrote the same by hand. On SQLite
    the migration creates nothing."""
    with app.app_context(), db.engine.begin() as conn:
        if database["kind"] == "sqlite":
            assert not set(PG_ONLY_TABLES) & set(inspect(conn).get_table_names())
            return
        for stmt in ddl("search_documents_ddlcheck"):
            conn.execute(text(stmt))
        assert _columns(conn, TABLE) == _columns(conn, "search_documents_ddlcheck")
        conn.execute(text("DROP TABLE search_documents_ddlcheck"))
        indexes = set(conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename IN (:a, :b)"),
                                   {"a": TABLE, "b": WORDS}).scalars())
        assert {"pk_search_documents", "ix_search_documents_tsv", "pk_search_words"} <= indexes
        gin = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_search_documents_tsv'")).scalar()
        assert "USING gin (tsv)" in gin


def test_folding_writes_each_language_in_its_own_letters() -> None:
    """Folded before stemming, in the letters of the stemmer that reads it (module docstring)."""
    assert fold_for("da", "Mötesplats Kök Aalborg Café") == "møtesplats køk ålborg cafe"
    assert fold_for("nb", "Grönne") == "grønne"
    assert fold_for("sv", "Grønne Køkken") == "grönne kökken"
    assert fold_for("en", "Grønne Köln") == "groenne koeln"
    assert fold_for("da", "ærø Ｆ e\u0301cole") == "ærø f ecole"
