"""Server-side sessions over Flask-Login: login, logout, idle and absolute timeouts (S11-S14)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import Flask, current_app, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload

from app.core.timeutil import as_utc, utcnow
from app.db import db
from app.extensions import login_manager
from app.i18n import _l

from .models import User, UserSession

SEEN_KEY = "_seen"
TERMS_KEY = "_terms"  # the terms version this session's user was seen to have accepted (P04)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(user: User, *, remember: bool) -> None:
    """Log `user` in with a fresh session (no fixation, S12) backed by a server-side row."""
    session.clear()
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(key_hash=_hash(key), user_id=user.id, remember=remember, created_at=utcnow(),
                               user_agent=(request.user_agent.string or "")[:200]))
    user.session_key = key
    session.permanent = remember
    session[SEEN_KEY] = utcnow().timestamp()
    login_user(user, remember=False)  # our only cookie is the session cookie (P06)


def end_session() -> None:
    """Log out: delete the server-side row, so a copied cookie is worthless (S13)."""
    key = session.get("_user_id")
    if key:
        db.session.execute(delete(UserSession).where(UserSession.key_hash == _hash(key)))
    logout_user()
    session.clear()


def end_all_sessions(user: User, *, keep_current: bool = False) -> None:
    """End every session of `user` (password change, suspension, deletion)."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_current and user.session_key:
        stmt = stmt.where(UserSession.key_hash != _hash(user.session_key))
    db.session.execute(stmt)


def _expired(row: UserSession, now: datetime) -> bool:
    cfg = current_app.config
    absolute = cfg["REMEMBER_ABSOLUTE_TIMEOUT"] if row.remember else cfg["SESSION_ABSOLUTE_TIMEOUT"]
    idle = cfg["REMEMBER_IDLE_TIMEOUT"] if row.remember else cfg["SESSION_IDLE_TIMEOUT"]
    if now - as_utc(row.created_at) > absolute:
        return True
    seen = session.get(SEEN_KEY)
    if not isinstance(seen, int | float):
        return True
    return now.timestamp() - seen > idle.total_seconds()


@login_manager.user_loader
def _load_user(key: str) -> User | None:
    # The user comes with the row: one query per request for who is asking.
    row = db.session.scalar(select(UserSession).options(joinedload(UserSession.user))
                            .where(UserSession.key_hash == _hash(key)))
    if row is None:
        return None
    now = utcnow()
    if _expired(row, now) or row.user.is_suspended:
        return None
    # The idle clock lives in the signed cookie, so reading a page never writes to the database.
    session[SEEN_KEY] = now.timestamp()
    user = row.user
    user.session_key = key
    # For the expiry warning (session_expiry), without another query.
    user.session_info = (as_utc(row.created_at), row.remember)
    return user


def session_expiry(user: User, now: datetime) -> tuple[int, int] | None:
    """Seconds until the current session ends: (idle, absolute), for the expiry warning (A07).

    Every request that loads the user resets the idle clock (the loader above), so the idle
    figure is the full idle timeout unless called later in a long request.
    """
    info = getattr(user, "session_info", None)
    seen = session.get(SEEN_KEY)
    if info is None or not isinstance(seen, int | float):
        return None
    created_at, remember = info
    cfg = current_app.config
    absolute = cfg["REMEMBER_ABSOLUTE_TIMEOUT"] if remember else cfg["SESSION_ABSOLUTE_TIMEOUT"]
    idle = cfg["REMEMBER_IDLE_TIMEOUT"] if remember else cfg["SESSION_IDLE_TIMEOUT"]
    idle_left = seen + idle.total_seconds() - now.timestamp()
    absolute_left = (created_at + absolute - now).total_seconds()
    return max(0, int(idle_left)), max(0, int(absolute_left))


def refuse_demo_accounts(app: Flask) -> None:
    """Production must not start while demo accounts exist (S10)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from app.config import ConfigError

    with app.app_context():
        try:
            count = db.session.scalar(select(func.count()).select_from(User).where(User.is_demo.is_(True)))
        except (OperationalError, ProgrammingError):  # not migrated yet: nothing to refuse
            db.session.rollback()
            return
        finally:
            db.session.remove()
    if count:
        raise ConfigError(f"{count} demo accounts exist in this database; production refuses to start. "
                          "Use a fresh database (or delete them) before going live.")


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # sessions are server-side; the key is the protection

    @app.before_request
    def _terms_interstitial():  # type: ignore[no-untyped-def]
        """P04: after the terms change, a signed-in user accepts them again before anything else."""
        if not current_user.is_authenticated or request.endpoint in _TERMS_EXEMPT or request.endpoint is None:
            return None
        # Once seen accepted, the version is kept in the signed session (cleared at every login), so
        # later requests ask the database only after the terms change.
        version = current_app.config["TERMS_VERSION"]
        if session.get(TERMS_KEY) == version:
            return None
        if not _has_accepted_current(current_user):
            return redirect(url_for("accounts.accept_terms", next=request.full_path.rstrip("?")))
        session[TERMS_KEY] = version
        return None


_TERMS_EXEMPT = {"static", "accounts.accept_terms", "accounts.logout", "accounts.extend_session", "pages.terms", "pages.privacy",
                 "pages.accessibility", "pages.healthz", "pages.set_language", "mail.mailbox",
                 "mail.mailbox_message"}


def _has_accepted_current(user: User) -> bool:
    from .models import TermsAcceptance

    version = current_app.config["TERMS_VERSION"]
    return db.session.scalar(select(func.count()).select_from(TermsAcceptance).where(
        TermsAcceptance.user_id == user.id, TermsAcceptance.document == "terms",
        TermsAcceptance.version == version)) > 0
