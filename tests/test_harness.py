"""The harness's own rules (issue 9, part 7; tests/conftest.py).

A test runs on PostgreSQL as well as SQLite when it is marked both_databases, and only then: these
checks keep the PostgreSQL pass from quietly emptying (markers dropped from the modules that are
about the database, or a selection under CI=true that runs nothing on PostgreSQL). And the URL
builders the harness reuses from app to app are exactly the ones werkzeug would compile."""
from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.routing import Rule

TESTS = Path(__file__).parent
MARK = "both_databases"
# Every test in these modules is about the database itself: the migrations, and races that only
# locks and constraints settle. They must run on both backends whatever else changes.
ALWAYS_BOTH = {
    "core/test_migrations.py",
    "challenges/test_lifecycle_race.py",
    "concepts/test_submit_race.py",
    "concepts/test_teams_race.py",
    "concepts/test_workspace_race.py",
}


def _is_mark(node: ast.expr) -> bool:
    """`pytest.mark.both_databases`, called or not."""
    if isinstance(node, ast.Call):
        node = node.func
    return isinstance(node, ast.Attribute) and node.attr == MARK


def marked(path: Path) -> tuple[bool, set[str]]:
    """(whole module marked?, names of the test functions marked one by one)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    module = any(isinstance(stmt, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in stmt.targets)
                 and any(_is_mark(v) for v in (stmt.value.elts if isinstance(stmt.value, ast.List | ast.Tuple)
                                               else [stmt.value]))
                 for stmt in tree.body)
    tests = {stmt.name for stmt in ast.walk(tree) if isinstance(stmt, ast.FunctionDef)
             and stmt.name.startswith("test_") and any(_is_mark(d) for d in stmt.decorator_list)}
    return module, tests


def test_the_database_modules_stay_marked_for_both_backends() -> None:
    for rel in sorted(ALWAYS_BOTH):
        module, _tests = marked(TESTS / rel)
        assert module, f"{rel} must carry pytestmark = pytest.mark.both_databases"


def test_the_marked_set_is_not_empty() -> None:
    modules, functions = 0, 0
    for path in TESTS.rglob("test_*.py"):
        module, tests = marked(path)
        modules += module
        functions += len(tests)
    assert modules >= len(ALWAYS_BOTH)
    assert functions >= 100, "most query, constraint and locking tests have lost their marker"


def test_postgres_variants_are_exactly_the_marked_tests(request: pytest.FixtureRequest) -> None:
    # What pytest_collection_modifyitems kept in this session: no unmarked test (and no browser
    # test) on PostgreSQL, and under CI=true, with no -k or -m narrowing the run, at least one.
    kinds: dict[str, int] = {"postgres": 0}
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("database") == "postgres":
            kinds["postgres"] += 1
            assert item.get_closest_marker(MARK) is not None, item.nodeid
            assert item.get_closest_marker("browser") is None, item.nodeid
    narrowed = request.config.option.keyword or request.config.option.markexpr
    marked_items = [i for i in request.session.items if i.get_closest_marker(MARK) is not None
                    and "database" in getattr(i, "fixturenames", ())]
    if os.environ.get("CI", "").lower() == "true" and not narrowed and marked_items:
        assert kinds["postgres"] > 0, "CI=true runs database tests but none on PostgreSQL"


def test_reused_url_builders_are_the_code_werkzeug_compiles(app: Flask) -> None:
    uncached = Rule._compile_builder.uncached  # type: ignore[attr-defined]
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 50
    for rule in rules:
        for append_unknown in (False, True):
            assert rule._compile_builder(append_unknown).__code__ == uncached(rule, append_unknown).__code__, rule
    built = app.url_map.bind("localhost").build("challenges.detail", {"slug": "a b", "x": "1"})
    assert built == "/challenges/a%20b?x=1"


def test_reused_rule_parts_are_what_werkzeug_parses(app: Flask) -> None:
    uncached = Rule._parse_rule.uncached  # type: ignore[attr-defined]
    for rule in app.url_map.iter_rules():
        fresh = Rule(rule.rule, endpoint=rule.endpoint)
        fresh.map, fresh._trace, fresh._converters = app.url_map, [], {}
        assert [p for p in uncached(fresh, rule.rule)] == rule._parts[1:], rule  # [0]: the host part
        assert fresh._trace == rule._trace[1:], rule
        assert {n: (type(c), c.regex) for n, c in fresh._converters.items()} == {
            n: (type(c), c.regex) for n, c in rule._converters.items()}, rule
        assert all(c.map is app.url_map for c in rule._converters.values()), rule
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/challenges/some-slug") == ("challenges.detail", {"slug": "some-slug"})


@pytest.mark.both_databases
def test_a_statement_compiled_for_one_app_is_reused_with_the_same_sql(app: Flask, app_config: dict) -> None:
    from sqlalchemy import select

    from app import create_app
    from app.challenges.models import Challenge
    from app.db import db

    stmt = select(Challenge.id, Challenge.title).where(Challenge.slug == "x").order_by(Challenge.id.desc())
    with app.app_context():
        db.session.execute(stmt).all()
    other = create_app(app_config)
    with other.app_context():
        result = db.session.connection().execute(stmt)
        result.all()
        context = result.context
        assert context.cache_hit == context.dialect.CACHE_HIT  # the first app's compile, from the shared cache
        assert context.compiled.string == stmt.compile(dialect=db.engine.dialect).string
        db.session.remove()
        db.engine.dispose()
