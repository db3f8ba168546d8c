"""What every response shares: security headers, caching rules, error pages, safe redirects."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, g, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, SecurityError

from app.db import db
from app.errors import DomainError, Problem
from app.i18n import _, _l

from .forms import counter_attrs, length_limit, limit_hint
from .seclog import security_event

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")

ERROR_TEXTS = {
    400: (_l("Bad request"), _l("We could not understand that request. Please check what you entered and try again.")),
    403: (_l("Not allowed"), _l("You do not have permission to do this.")),
    404: (_l("Page not found"), _l("We could not find that page. It may have moved, or the address may be mistyped.")),
    405: (_l("Not allowed here"), _l("That action cannot be done at this address.")),
    409: (_l("Conflict"), _l("This could not be done in the current state. Reload the page and try again.")),
    413: (_l("Too large"), _l("What you sent is larger than we accept. Please choose a smaller file.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An error on our side stopped this request. It has been logged. Please try again later.")),
}


# How a refused action answers over HTTP: the one place a domain error's kind becomes a status.
HTTP_STATUS: dict[Problem, int] = {
    Problem.INVALID: 400,
    Problem.FORBIDDEN: 403,
    Problem.MISSING: 404,
    Problem.CONFLICT: 409,
    Problem.EXPIRED: 410,
    Problem.TOO_LARGE: 413,
}


def http_status(exc: DomainError) -> int:
    """The status a view answers a service's refusal with (400 unless its kind says otherwise)."""
    return HTTP_STATUS.get(exc.kind, 400)


def place_error(form: Any, exc: DomainError, default_field: str | None = None) -> str | None:
    """Show a service's refusal at its field (`exc.field` if the form has it, else `default_field`),
    so it is also in the error summary; return the message when it belongs to no field of the form."""
    name = exc.field if exc.field and exc.field in form else default_field
    if name and name in form:
        form[name].errors = [*form[name].errors, str(exc)]
        return None
    return str(exc)


def flash_refusal(form: Any, exc: DomainError, default_field: str | None = None) -> int:
    """place_error(), flashing a message that belongs to no field; returns the status to answer with."""
    from flask import flash

    message = place_error(form, exc, default_field)
    if message is not None:
        flash(message, "error")
    return http_status(exc)


def is_safe_redirect(target: str | None) -> bool:
    """Only same-origin relative paths (S26)."""
    if not target or not isinstance(target, str):
        return False
    if any(c in target for c in "\\\r\n\t") or not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str) -> str:
    return target if is_safe_redirect(target) else default


def protect_public_form() -> None:
    """CSRF for a form on pages every anonymous reader shares (S23): the language switcher of a cached
    page carries no per-visitor token, so where no token is sent the browser must say the form came
    from this site (Origin, else Referer, else Sec-Fetch-Site); a sent token, and every signed-in
    user's form, is checked as everywhere. Raises CSRFError."""
    from app.extensions import csrf

    if request.form.get("csrf_token") or current_user.is_authenticated:
        csrf.protect()
        return
    here = f"{request.scheme}://{request.host}"
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        same = origin == here
    elif request.referrer:
        parts = urlsplit(request.referrer)
        same = f"{parts.scheme}://{parts.netloc}" == here
    else:
        same = request.headers.get("Sec-Fetch-Site") == "same-origin"
    if not same:
        raise CSRFError("no token, and the request did not come from this site")


def render_error(code: int, message: str | None = None) -> tuple[str, int]:
    title, text = ERROR_TEXTS.get(code, ERROR_TEXTS[500 if code >= 500 else 400])
    return render_template("errors/error.html", code=code, title=title, message=message or text), code


def render_bare_error(code: int) -> tuple[str, int]:
    """An error page that builds no URL: used when the Host header was refused (S08), because
    then no URL adapter exists and base.html's url_for() calls would turn a 400 into a crash."""
    title, text = ERROR_TEXTS.get(code, ERROR_TEXTS[400])
    lang = escape(str(get_locale() or "en"))
    html = (f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{escape(str(title))} ({code}) · Concept Arena</title></head>"
            f"<body><main><h1>{escape(str(title))}</h1><p>{escape(str(text))}</p></main></body></html>")
    return html, code


def field_attrs(field: Any, described: list[str], autocomplete: str | None = None) -> dict[str, str]:
    """HTML attributes that tie a form control to its hint and error (A02)."""
    attrs: dict[str, str] = {}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if field.errors:
        attrs["aria-invalid"] = "true"
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    if (limit := length_limit(field)) is not None:
        attrs["data-maxlength"] = str(limit.max)  # counter.js; never `maxlength`, which cuts pasted text
    return attrs


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(field_attrs=field_attrs, length_limit=length_limit, limit_hint=limit_hint,
                                 counter_attrs=counter_attrs)

    @app.after_request
    def _headers(response: Response) -> Response:
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "strict-origin-when-cross-origin"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["X-Frame-Options"] = "DENY"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        if request.is_secure or app.config["BASE_URL"].startswith("https://"):
            h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        # Private pages and downloads are never cached (S27); static files are nobody's (core/assets.py).
        if request.endpoint == "static":
            return response
        if getattr(g, "private_response", False) or (current_user and current_user.is_authenticated):
            h["Cache-Control"] = "no-store"
            response.vary.add("Cookie")
        return response

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> tuple[str, int]:
        security_event("csrf_failed", path=request.path, ip=request.remote_addr)
        return render_error(400, _("This form had expired or was sent from another site, so it was not "
                                   "saved. Go back, reload the page and send it again: what you typed is "
                                   "still in the form."))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        if exc.code is None or exc.code < 400:
            return exc
        if isinstance(exc, SecurityError):  # untrusted Host header (S08)
            security_event("untrusted_host", path=request.path, ip=request.remote_addr)
            return render_bare_error(400)
        if exc.code == 403:
            security_event("forbidden", path=request.path,
                           user=getattr(current_user, "id", None) if current_user else None)
        response = render_error(exc.code)
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            return response[0], 405, {"Allow": ", ".join(exc.valid_methods)}
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[str, int]:
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return render_error(500)

