"""View decorators for the common access rules; object-level rules live in each permissions.py."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, flash, redirect, url_for
from flask_login import current_user, login_required

from app.i18n import _

F = TypeVar("F", bound=Callable[..., Any])


def admin_required(view: F) -> F:
    """Signed-in platform admins only: anonymous users go to login, others get 403."""
    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapped  # type: ignore[return-value]


def verified_required(view: F) -> F:
    """Signed-in users with a verified email address."""
    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_verified:
            flash(_("Please confirm your email address first: we sent you a link."), "warning")
            return redirect(url_for("accounts.profile"))
        return view(*args, **kwargs)
    return wrapped  # type: ignore[return-value]
