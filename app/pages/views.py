"""Public pages every visitor meets: home, language switch, statements, health."""
from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, session
from flask_login import current_user
from sqlalchemy import func, select, text

from app.challenges import queries as challenge_queries
from app.core import pagecache
from app.core.pagecache import public_page
from app.core.timeutil import clock, utcnow
from app.core.web import protect_public_form, safe_next
from app.db import db
from app.extensions import csrf
from app.judging.views.results import latest_winner_rows
from app.mail.models import OutboxMessage, OutboxStatus
from app.organisations import queries as organisation_queries
from app.organisations.models import (
    COUNTRY_LABELS,
    ORGANISATION_KIND_LABELS,
)
from app.pages import signals

bp = Blueprint("pages", __name__)

# A11: when the accessibility statement was prepared and last reviewed; update on every review.
STATEMENT_PREPARED_ON = date(2026, 11, 23)
STATEMENT_REVIEWED_ON = date(2026, 11, 23)


@bp.route("/")
@public_page
def home() -> str:
    def sections() -> tuple[Any, Any, Any]:  # read only when the cached sections are rendered again
        return (challenge_queries.closing_soon(now=clock.now(), limit=6), latest_winner_rows(limit=6),
                organisation_queries.first_approved(12))

    return render_template("pages/home.html", sections=sections,
                           kind_labels=ORGANISATION_KIND_LABELS, country_labels=COUNTRY_LABELS)


@bp.route("/language", methods=["POST"])
@csrf.exempt  # protect_public_form: the token where there is a session, the Origin where there is none
def set_language() -> Any:
    protect_public_form()
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated and current_user.locale != lang:
        current_user.locale = lang
        db.session.commit()
    return redirect(safe_next(request.form.get("next"), "/"))


@bp.route("/favicon.ico")
def favicon() -> Any:
    """Browsers ask for /favicon.ico whatever the page says; the icon lives with the static files."""
    return current_app.send_static_file("icons/favicon.ico")


@bp.route("/accessibility")
@public_page
def accessibility() -> str:
    return render_template("pages/accessibility.html", prepared_on=STATEMENT_PREPARED_ON,
                           reviewed_on=STATEMENT_REVIEWED_ON)


@bp.route("/privacy")
@public_page
def privacy() -> str:
    return render_template("pages/privacy.html")


@bp.route("/terms")
@public_page
def terms() -> str:
    return render_template("pages/terms.html")


@bp.route("/healthz")
def healthz() -> Any:
    """R13: a DB write probe, free disk, index readability and the oldest pending mail."""
    checks: dict[str, Any] = {}
    healthy = True
    started = time.perf_counter()
    try:
        # A write that changes nothing still needs the write lock: it proves the database is writable.
        db.session.execute(text("UPDATE users SET id = id WHERE id = -1"))
        db.session.rollback()
        checks["database"] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    except Exception as exc:  # noqa: BLE001  any failure is a health signal, not a crash
        db.session.rollback()
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        healthy = False
    instance = Path(current_app.instance_path)
    free = shutil.disk_usage(instance).free
    disk_ok = free > 200 * 1024 * 1024
    checks["disk"] = {"ok": disk_ok, "free_mb": free // (1024 * 1024)}
    healthy &= disk_ok
    checks["page_cache"] = pagecache.health()  # Redis down: pages render without it ("degraded")
    for _receiver, answer in signals.health_requested.send(current_app._get_current_object()):
        if answer:
            name, check = answer
            checks[name] = check
    if checks["database"]["ok"]:
        oldest = db.session.scalar(select(func.min(OutboxMessage.created_at))
                                   .where(OutboxMessage.status == OutboxStatus.PENDING))
        age = (utcnow() - oldest).total_seconds() if oldest else 0.0
        mail_ok = age < 3600
        checks["outbox"] = {"ok": mail_ok, "oldest_pending_seconds": round(age)}
    status = "ok" if healthy and all(c["ok"] for c in checks.values()) else (
        "down" if not healthy else "degraded")
    return jsonify(status=status, checks=checks), 200 if healthy else 503
