"""Accounts: sign-up, verification, login, logout, password reset and change, email change, profile, terms."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.core.seclog import security_event
from app.core.timeutil import clock
from app.core.web import place_error, render_error, safe_next
from app.db import db
from app.errors import DomainError
from app.extensions import client_ip, limiter
from app.i18n import _

from . import auth, services
from .forms import (
    AcceptTermsForm,
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    SignupForm,
)
from .tokens import TokenError

bp = Blueprint("accounts", __name__, url_prefix="/account")


# ---------------------------------------------------------------- helpers
def _submitted_email() -> str:
    """Rate-limit key per account (S06, R11): the normalised address typed, known or not."""
    return "account:" + services.normalise_email(request.form.get("email"))[:254]


def _user_key() -> str:
    """Rate-limit key for signed-in forms; limits run before login_required, so anonymous is possible."""
    return f"user:{current_user.id}" if current_user.is_authenticated else f"ip:{client_ip()}"


def _login_failed(response: Any) -> bool:
    return bool(g.get("login_failed"))


def _reauth_failed(response: Any) -> bool:
    return bool(g.get("reauth_failed"))


def _limit(key: str) -> Callable[[], str]:
    """A limit read from the config at request time, so tests and deployments can change it."""
    return lambda: str(current_app.config[key])


def _on_breach(limit: Any) -> None:
    security_event("rate_limited", path=request.path, ip=client_ip(), limit=str(limit.limit))


def _show(template: str, form: FlaskForm, **context: Any) -> tuple[str, int]:
    """Render a form page: 400 when it carries errors, so the status tells what the page says."""
    return render_template(template, form=form, **context), 400 if form.errors else 200


def _bad_link() -> tuple[str, int]:
    return render_error(400, _("This link is not valid. It may have expired or already been used. "
                               "Please ask for a new one."))


def _home_after_login() -> str:
    return url_for("pages.home")


# ---------------------------------------------------------------- sign-up and verification
@bp.route("/signup", methods=["GET", "POST"])
# Each sign-up sends an email to the address typed: cap it per address, so nobody can flood an
# inbox with "someone tried to sign up" notices. No per-IP cap: a class behind one school NAT
# signing up together must get through (R11).
@limiter.limit(_limit("RESET_LIMIT_PER_ACCOUNT"), key_func=_submitted_email, methods=["POST"],
               deduct_when=lambda response: response.status_code == 302, on_breach=_on_breach)
def signup():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for(".profile"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            services.sign_up(email=form.email.data, display_name=form.display_name.data,
                             password=form.password.data, participant_kind=form.participant_kind.data,
                             institution=form.institution.data, newsletter=form.newsletter.data,
                             locale=str(get_locale() or "en"), now=clock.now())
        except DomainError as exc:
            db.session.rollback()
            place_error(form, exc, "email")
        else:
            db.session.commit()
            # The same answer whether the address was new or already had an account (S05).
            return redirect(url_for(".signup_sent"))
    return _show("accounts/signup.html", form)


@bp.route("/signup/sent")
def signup_sent():  # type: ignore[no-untyped-def]
    return render_template("accounts/signup_sent.html")


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify_email(token: str):  # type: ignore[no-untyped-def]
    form = ConfirmForm()
    try:
        services.check_verification_token(token)
    except TokenError:
        return _bad_link()
    if form.validate_on_submit():
        try:
            user = services.verify_email(token=token, now=clock.now())
        except TokenError:
            db.session.rollback()
            return _bad_link()
        db.session.commit()
        flash(_("Thank you: your email address is confirmed."), "success")
        if current_user.is_authenticated and current_user.id == user.id:
            return redirect(url_for(".profile"))
        return redirect(url_for(".login"))
    return _show("accounts/verify.html", form)


@bp.route("/verification/resend", methods=["POST"])
@login_required
@limiter.limit(_limit("RESET_LIMIT_PER_ACCOUNT"), key_func=lambda: "mail-" + _user_key(), methods=["POST"],
               on_breach=_on_breach)
def resend_verification():  # type: ignore[no-untyped-def]
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.resend_verification(user=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "info")
        else:
            db.session.commit()
            flash(_("We have sent a new confirmation link to %(email)s.", email=current_user.email), "success")
    return redirect(url_for(".profile"))


# ---------------------------------------------------------------- login and logout
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("LOGIN_LIMIT_PER_IP"), methods=["POST"], deduct_when=_login_failed,
               on_breach=_on_breach)
@limiter.limit(_limit("LOGIN_LIMIT_PER_ACCOUNT"), key_func=_submitted_email, methods=["POST"],
               deduct_when=_login_failed, on_breach=_on_breach)
def login():  # type: ignore[no-untyped-def]
    form = LoginForm(next=request.args.get("next"))
    target = safe_next(form.next.data or request.args.get("next"), _home_after_login())
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(target)
    if form.validate_on_submit():
        user = services.authenticate(email=form.email.data, password=form.password.data)
        if user is None:
            g.login_failed = True  # only failures count towards the limits (S06)
            db.session.rollback()
            security_event("login_failed", email=form.email.data[:254], ip=client_ip())
            # One message for an unknown address and a wrong password (S05).
            form.email.errors = [_("Email or password is incorrect.")]
        elif not user.is_active:
            db.session.rollback()
            security_event("login_refused_suspended", user=user.id, ip=client_ip())
            form.email.errors = [_("This account is suspended. Please contact the platform team.")]
        else:
            auth.start_session(user, remember=form.remember.data)
            db.session.commit()
            security_event("login_ok", user=user.id, ip=client_ip(), remember=form.remember.data)
            if not user.is_verified:
                flash(_("Please confirm your email address: we sent you a link. You can ask for a new "
                        "one on your account page."), "warning")
            return redirect(target)
    return _show("accounts/login.html", form)


@bp.route("/logout", methods=["POST"])
def logout():  # type: ignore[no-untyped-def]
    user_id = current_user.id if current_user.is_authenticated else None
    auth.end_session()
    db.session.commit()
    if user_id is not None:
        security_event("logout", user=user_id, ip=client_ip())
    flash(_("You have logged out."), "info")
    return redirect(url_for("pages.home"))


# ---------------------------------------------------------------- session expiry warning (A07, R07)
def session_expiry_context() -> dict[str, Any]:
    """Seconds left in the signed-in session, for base.html's expiry warning (session.js)."""
    # Templates are also rendered outside requests (emails queued by `flask challenges tick`).
    if not has_request_context() or not current_user or not current_user.is_authenticated:
        return {"session_expiry": None}
    return {"session_expiry": auth.session_expiry(current_user, clock.now())}


@bp.route("/session/extend", methods=["POST"])
def extend_session():  # type: ignore[no-untyped-def]
    """"Stay logged in": loading the user (auth._load_user) has already reset the idle clock; the
    absolute limit stays where it is. Answers JSON, also when the session has already ended."""
    if not current_user.is_authenticated:
        return jsonify(error=_("Your session has ended. Please log in again."),
                       login_url=url_for(".login")), 401
    expiry = auth.session_expiry(current_user, clock.now())
    idle, absolute = expiry if expiry is not None else (0, 0)
    return jsonify(idle_seconds=idle, absolute_seconds=absolute, expires_in=min(idle, absolute))


# ---------------------------------------------------------------- password reset
@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_limit("RESET_LIMIT_PER_IP"), methods=["POST"], on_breach=_on_breach)
@limiter.limit(_limit("RESET_LIMIT_PER_ACCOUNT"), key_func=_submitted_email, methods=["POST"],
               on_breach=_on_breach)
def forgot_password():  # type: ignore[no-untyped-def]
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(email=form.email.data)
        db.session.commit()
        # The same answer whether the address has an account or not (S05).
        return redirect(url_for(".forgot_password_sent"))
    return _show("accounts/forgot_password.html", form)


@bp.route("/password/forgot/sent")
def forgot_password_sent():  # type: ignore[no-untyped-def]
    return render_template("accounts/forgot_password_sent.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):  # type: ignore[no-untyped-def]
    try:
        services.check_reset_token(token)
    except TokenError:
        return _bad_link()
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token=token, password=form.password.data, now=clock.now())
        except TokenError:
            db.session.rollback()
            return _bad_link()
        except DomainError as exc:
            db.session.rollback()
            place_error(form, exc, "password")
        else:
            if current_user.is_authenticated:
                auth.end_session()
            db.session.commit()
            flash(_("Your password has been changed. Please log in with the new password."), "success")
            return redirect(url_for(".login"))
    return _show("accounts/reset_password.html", form)


# ---------------------------------------------------------------- profile
@bp.route("/", methods=["GET", "POST"])
@login_required
def profile():  # type: ignore[no-untyped-def]
    user = current_user
    links = list(user.links or [])
    form = ProfileForm(current_timezone=user.timezone, current_kind=str(user.participant_kind), data={
        "display_name": user.display_name, "locale": user.locale or str(get_locale() or "en"),
        "timezone": user.timezone, "participant_kind": str(user.participant_kind),
        "institution": user.institution or "", "country": user.country or "", "bio": user.bio or "",
        **{name: (links[i] if i < len(links) else "") for i, name in enumerate(ProfileForm.link_names())},
        "newsletter": user.newsletter_opt_in})
    if form.validate_on_submit():
        try:
            # Each field named: whatever else is posted (is_admin, email) changes nothing (S20).
            services.update_profile(user=user, display_name=form.display_name.data, locale=form.locale.data,
                                    timezone=form.timezone.data, newsletter=form.newsletter.data)
            services.update_participant_profile(
                user=user, participant_kind=form.participant_kind.data, institution=form.institution.data,
                country=form.country.data, bio=form.bio.data, links=form.links())
        except DomainError as exc:
            db.session.rollback()
            place_error(form, exc, "display_name")
        else:
            db.session.commit()
            # In the language just chosen: the next page is shown in it too (issue 12).
            with force_locale(form.locale.data):
                flash(_("Your profile has been saved."), "success")
            return redirect(url_for(".profile"))
    return _show("accounts/profile.html", form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
# Wrong current passwords count like failed logins: a borrowed session must not become a password oracle.
@limiter.limit(_limit("LOGIN_LIMIT_PER_ACCOUNT"), key_func=_user_key, methods=["POST"],
               deduct_when=_reauth_failed, on_breach=_on_breach)
def change_password():  # type: ignore[no-untyped-def]
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(user=current_user, current_password=form.current_password.data,
                                     new_password=form.new_password.data, now=clock.now())
        except DomainError as exc:
            db.session.rollback()
            g.reauth_failed = exc.field == "current_password"
            place_error(form, exc, "new_password")
        else:
            db.session.commit()
            flash(_("Your password has been changed. You have been logged out everywhere else."), "success")
            return redirect(url_for(".profile"))
    return _show("accounts/change_password.html", form)


@bp.route("/email", methods=["GET", "POST"])
@login_required
@limiter.limit(_limit("LOGIN_LIMIT_PER_ACCOUNT"), key_func=_user_key, methods=["POST"],
               deduct_when=_reauth_failed, on_breach=_on_breach)
# Each request sends an email to an address of the user's choosing.
@limiter.limit(_limit("RESET_LIMIT_PER_ACCOUNT"), key_func=lambda: "mail-" + _user_key(), methods=["POST"],
               deduct_when=lambda response: response.status_code == 302, on_breach=_on_breach)
def change_email():  # type: ignore[no-untyped-def]
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(user=current_user, password=form.password.data,
                                          new_email=form.email.data)
        except DomainError as exc:
            db.session.rollback()
            g.reauth_failed = exc.field == "password"
            place_error(form, exc, "email")
        else:
            db.session.commit()
            # Said the same way whether or not the address belongs to another account.
            flash(_("We have sent a confirmation link to %(email)s. Your address changes when you "
                    "use that link.", email=form.email.data), "success")
            return redirect(url_for(".profile"))
    return _show("accounts/change_email.html", form)


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str):  # type: ignore[no-untyped-def]
    try:
        _user, new_email = services.check_email_change_token(token)
    except TokenError:
        return _bad_link()
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.confirm_email_change(token=token, now=clock.now())
        except TokenError:
            db.session.rollback()
            return _bad_link()
        except DomainError as exc:
            db.session.rollback()
            return render_error(400, str(exc))
        db.session.commit()
        flash(_("Your email address is now %(email)s.", email=new_email), "success")
        return redirect(url_for(".profile" if current_user.is_authenticated else ".login"))
    return _show("accounts/confirm_email_change.html", form, new_email=new_email)


# ---------------------------------------------------------------- terms interstitial
@bp.route("/terms", methods=["GET", "POST"])
@login_required
def accept_terms():  # type: ignore[no-untyped-def]
    form = AcceptTermsForm(next=request.args.get("next"))
    target = safe_next(form.next.data, url_for("pages.home"))
    if form.validate_on_submit():
        services.record_terms_acceptance(user=current_user, now=clock.now())
        db.session.commit()
        flash(_("Thank you. You have accepted the current terms of use and privacy notice."), "success")
        return redirect(target)
    return _show("accounts/accept_terms.html", form)
