"""Wiring you can see (issue 9): after create_app() every feature's blueprint, template helpers,
commands, guards and receivers are there, each registered by its feature's init_app; nothing is
registered by a module being imported for its side effects."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.challenges import signals
from app.challenges.services.notices import tell_followers
from app.challenges.templating import organisation_page_context
from app.concepts.services.entries import counts_for_dashboard, refuse_judging_during_extensions
from app.judging.services.reminders import send_deadline_reminders
from app.judging.services.rounds import on_state_changed
from app.organisations import signals as organisation_signals

APP_DIR = Path(__file__).resolve().parents[1] / "app"


def test_every_feature_registers_its_blueprint(app: Flask) -> None:
    assert set(app.blueprints) == {"pages", "accounts", "organisations", "admin", "mail", "challenges",
                                   "concepts", "judging", "feeds", "search", "api"}


def _receivers(signal: Any) -> list[Any]:
    return list(signal.receivers_for(object()))  # those connected for any sender


def test_the_lifecycle_guard_and_the_dashboard_counter_are_connected(app: Flask) -> None:
    assert refuse_judging_during_extensions in _receivers(signals.step_requested)
    assert counts_for_dashboard in _receivers(signals.concept_counts_requested)


def test_judging_starts_through_a_receiver_of_state_changed(app: Flask) -> None:
    assert on_state_changed in _receivers(signals.state_changed)


def test_the_periodic_task_sends_the_jurors_deadline_reminders(app: Flask) -> None:
    assert send_deadline_reminders in _receivers(signals.tick_requested)


def test_judging_results_receivers_are_connected(app: Flask) -> None:
    from app.concepts import signals as concept_signals
    from app.judging.services import results

    assert results.refuse_results_without_decision in _receivers(signals.step_requested)
    assert results.publish_due_results in _receivers(signals.tick_requested)
    assert results.tell_participants in _receivers(signals.state_changed)
    assert results.awarded_concepts in _receivers(concept_signals.winners_requested)
    from app.judging.services.jury import refuse_entries_to_blind_jurors

    assert refuse_entries_to_blind_jurors in _receivers(concept_signals.entries_requested)
    for name in ("judging_results", "judging_formula", "judging_publish_panel"):
        assert name in app.jinja_env.globals, name


def test_the_organisation_page_shows_its_challenges_through_a_receiver(app: Flask) -> None:
    assert organisation_page_context in _receivers(organisation_signals.page_requested)


def test_related_and_similar_lists_are_answered_by_search(app: Flask) -> None:
    from app.concepts import signals as concept_signals
    from app.search import related

    assert related.related_challenges in _receivers(signals.related_requested)
    assert related.similar_concepts in _receivers(concept_signals.similar_requested)
    assert related.prior_art in _receivers(concept_signals.prior_art_requested)


def test_the_followers_notices_listen_to_every_session(app: Flask) -> None:
    assert event.contains(Session, "before_flush", tell_followers)


def test_template_helpers_every_page_needs_are_registered(app: Flask) -> None:
    globals_ = app.jinja_env.globals
    for name in ("percent", "format_moment", "zone_label", "other_zone", "iso_utc",  # core
                 "challenge_state", "challenge_state_label", "countdown", "sorted_anchors", "cover_url",
                 "challenge_public_record", "challenge_labels", "questions_open", "question_form",
                 "attachment_panel", "attachment_url",  # challenges
                 "concept_start_panel", "entry_file_url", "public_file_url", "public_cover_url",  # concepts
                 "field_attrs", "jury_link_visible"):  # judging: the main navigation's Jury link
        assert name in globals_, name
    for name in ("filesize", "document_type", "recipient_time"):
        assert name in app.jinja_env.filters, name
    assert "has_endpoint" not in globals_  # templates no longer guess whether a feature exists


def test_every_command_is_registered(app: Flask) -> None:
    commands = set(app.cli.list_commands(click.Context(app.cli)))
    assert {"serve", "users", "outbox", "challenges", "archive", "files", "demo"} <= commands


def test_no_module_is_imported_for_its_side_effects() -> None:
    offenders = [f"{path.relative_to(APP_DIR)}:{n}" for path in APP_DIR.rglob("*.py")
                 for n, line in enumerate(path.read_text().splitlines(), 1) if re.search(r"noqa:[^\n]*F401", line)]
    assert offenders == []


def test_no_app_extensions_keys_carry_features() -> None:
    offenders = [str(path.relative_to(APP_DIR)) for path in APP_DIR.rglob("*.py")
                 if re.search(r"\.extensions\[[\"'](?!background:)", path.read_text())]
    assert offenders == []


def test_domain_errors_carry_no_http_status() -> None:
    # Services say what went wrong (a Problem kind); views map kinds to statuses in one place.
    from app.core.web import HTTP_STATUS
    from app.errors import DomainError, Problem

    assert set(HTTP_STATUS) == set(Problem)
    assert not hasattr(DomainError("x"), "status")
    offenders = [str(path.relative_to(APP_DIR)) for path in APP_DIR.rglob("*.py")
                 if "services" in path.parts and re.search(r"\bstatus=\d{3}", path.read_text())]
    assert offenders == []


def test_search_keeps_the_index_true_through_session_events_and_answers_health(app: Flask) -> None:
    """R09: the after_flush collector and the commit/rollback hooks are connected by search's
    init_app, and /healthz asks search about its index (R08)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from app.pages import signals as page_signals
    from app.search import hooks, indexing

    assert event.contains(Session, "after_flush", hooks.collect)
    assert event.contains(Session, "after_commit", hooks.after_commit)
    assert event.contains(Session, "after_rollback", hooks.after_rollback)
    assert indexing.health in _receivers(page_signals.health_requested)
