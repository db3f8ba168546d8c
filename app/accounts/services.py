"""Account rules: sign-up, verification, authentication, passwords, email change, terms, profile.

Services never commit and never read the request; the views (and CLI) pass in what they need.
"""
from __future__ import annotations

import hashlib
import unicodedata
from datetime import datetime
from functools import cache
from urllib.parse import urlsplit

from babel import Locale
from flask import current_app
from sqlalchemy import func, select

from app.core.audit import record_event
from app.core.seclog import security_event
from app.core.timeutil import is_valid_timezone, utcnow, zone
from app.db import db
from app.errors import DomainError
from app.i18n import _l
from app.mail.services import external_url, queue_mail

from . import auth
from .models import ParticipantKind, TermsAcceptance, User
from .passwords import hash_password, is_common_password, needs_rehash, verify_password
from .tokens import TokenError, TokenPurpose, make_token, read_token, ttl

DISPLAY_NAME_MAX = 80
# Bidirectional overrides and isolates can disguise a name ("gnp.exe" tricks); never wanted in a name.
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


# ---------------------------------------------------------------- normalisation and policy
def normalise_email(raw: str | None) -> str:
    """Trimmed and lower-cased: how every address is stored and looked up."""
    return (raw or "").strip().lower()


def clean_display_name(raw: str | None) -> str:
    """One line of printable text: control characters and line breaks become spaces (S33)."""
    out = []
    for ch in raw or "":
        if ch in _BIDI_CONTROLS:
            continue
        category = unicodedata.category(ch)
        out.append(" " if category in {"Cc", "Zl", "Zp"} else ch)
    return " ".join("".join(out).split())


def password_problem(password: str) -> str | None:
    """Why `password` breaks the policy (S01), or None. The password is never altered (S02)."""
    cfg = current_app.config
    if len(password) < cfg["PASSWORD_MIN_LENGTH"]:
        return str(_l("Use at least %(min)d characters.", min=cfg["PASSWORD_MIN_LENGTH"]))
    if len(password) > cfg["PASSWORD_MAX_LENGTH"]:
        return str(_l("Use at most %(max)d characters.", max=cfg["PASSWORD_MAX_LENGTH"]))
    if is_common_password(password):
        return str(_l("This password is too common and easy to guess. Try a few unrelated words."))
    return None


def _check_password_policy(password: str, field: str = "password") -> None:
    if problem := password_problem(password):
        raise DomainError(problem, field=field)


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _digest(email: str) -> str:
    # Tokens are signed, not encrypted, and travel in URLs (logs, history): name the address by digest.
    return hashlib.sha256(email.encode()).hexdigest()[:24]


def _verify_link(user: User) -> str:
    token = make_token(TokenPurpose.VERIFY_EMAIL, {"uid": user.id, "e": _digest(user.email)})
    return external_url("accounts.verify_email", token=token)


def _when_for(user: User, moment: datetime) -> str:
    """A time as the recipient reads it: their language and time zone, zone named."""
    from babel.dates import format_datetime

    cfg = current_app.config
    locale = user.locale if user.locale in cfg["LANGUAGES"] else cfg["BABEL_DEFAULT_LOCALE"]
    return format_datetime(moment, "long", tzinfo=zone(user.timezone), locale=locale)


def _hours(purpose: TokenPurpose) -> int:
    return int(ttl(purpose).total_seconds() // 3600)


def _minutes(purpose: TokenPurpose) -> int:
    return int(ttl(purpose).total_seconds() // 60)


# ---------------------------------------------------------------- sign-up and verification
def sign_up(*, email: str, display_name: str, password: str, participant_kind: ParticipantKind,
            institution: str | None, newsletter: bool, locale: str | None, now: datetime) -> User | None:
    """Create an unverified account and queue its verification email.

    For an address that already has an account nothing is created: its owner gets a notice
    instead, and the caller shows the same page either way (S05). Raises DomainError.
    """
    email = normalise_email(email)
    _check_password_policy(password)
    name = clean_display_name(display_name)[:DISPLAY_NAME_MAX]
    if not name:
        raise DomainError(_l("Enter your name."), field="display_name")
    # Hash in both branches, so the two take the same time (S05).
    password_hash = hash_password(password)
    existing = user_by_email(email)
    if existing is not None:
        queue_mail(to=existing.email, template="accounts/signup_existing", locale=existing.locale,
                   subject=_l("Someone tried to sign up with your address"), user=existing,
                   login_url=external_url("accounts.login"),
                   forgot_url=external_url("accounts.forgot_password"))
        security_event("signup_existing_email", user=existing.id)
        return None
    user = User(email=email, password_hash=password_hash, display_name=name,
                locale=locale if locale in current_app.config["LANGUAGES"] else None,
                timezone=current_app.config["BABEL_DEFAULT_TIMEZONE"],
                participant_kind=ParticipantKind(participant_kind),
                institution=(institution or "").strip()[:160] or None,
                newsletter_opt_in=bool(newsletter), created_at=now, password_changed_at=now)
    db.session.add(user)
    db.session.flush()
    record_terms_acceptance(user=user, now=now)
    _queue_verification(user)
    security_event("signup", user=user.id)
    return user


def _queue_verification(user: User) -> None:
    queue_mail(to=user.email, template="accounts/verify", locale=user.locale,
               subject=_l("Confirm your email address"), user=user, link=_verify_link(user),
               hours=_hours(TokenPurpose.VERIFY_EMAIL))


def resend_verification(*, user: User) -> None:
    """Queue a fresh verification email. Raises DomainError when there is nothing to verify."""
    if user.is_verified:
        raise DomainError(_l("Your email address is already confirmed."))
    _queue_verification(user)


def check_verification_token(token: str) -> User:
    """The user a verification link is for, if it is valid and unused. Raises TokenError."""
    payload = read_token(TokenPurpose.VERIFY_EMAIL, token)
    user = db.session.get(User, payload.get("uid")) if isinstance(payload.get("uid"), int) else None
    if user is None or user.is_verified or _digest(user.email) != payload.get("e"):
        raise TokenError("used or stale")
    return user


def verify_email(*, token: str, now: datetime) -> User:
    """Mark the address confirmed. Raises TokenError for a bad, expired or used link."""
    user = check_verification_token(token)
    user.email_verified_at = now
    security_event("email_verified", user=user.id)
    return user


# ---------------------------------------------------------------- login
def authenticate(*, email: str, password: str) -> User | None:
    """The user for these credentials, or None. Unknown addresses cost one hash too (S05).

    A correct password stored with an old scheme or parameters is re-hashed (S03).
    """
    user = user_by_email(email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    assert user is not None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        security_event("password_rehashed", user=user.id)
    return user


# ---------------------------------------------------------------- password reset and change
def request_password_reset(*, email: str) -> None:
    """Queue a reset link if the address has an account; silent otherwise (S05)."""
    user = user_by_email(email)
    security_event("reset_requested", email=normalise_email(email)[:254], known=user is not None)
    if user is None:
        return
    token = make_token(TokenPurpose.RESET_PASSWORD, {"uid": user.id, "pw": user.password_fingerprint()})
    queue_mail(to=user.email, template="accounts/reset", locale=user.locale,
               subject=_l("Reset your password"), user=user,
               link=external_url("accounts.reset_password", token=token),
               minutes=_minutes(TokenPurpose.RESET_PASSWORD))


def check_reset_token(token: str) -> User:
    """The user a reset link is for, while the password it was issued for is unchanged. Raises TokenError."""
    payload = read_token(TokenPurpose.RESET_PASSWORD, token)
    user = db.session.get(User, payload.get("uid")) if isinstance(payload.get("uid"), int) else None
    if user is None or user.is_suspended or payload.get("pw") != user.password_fingerprint():
        raise TokenError("used or stale")
    return user


def _set_password(user: User, password: str, now: datetime) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = now


def _queue_password_notice(user: User, now: datetime) -> None:
    queue_mail(to=user.email, template="accounts/password_changed", locale=user.locale,
               subject=_l("Your password was changed"), user=user, when=_when_for(user, now),
               forgot_url=external_url("accounts.forgot_password"))


def reset_password(*, token: str, password: str, now: datetime) -> User:
    """Set a new password from a reset link; ends every session and notifies (S07, S09, S13).

    Raises TokenError or DomainError.
    """
    user = check_reset_token(token)
    _check_password_policy(password)
    _set_password(user, password, now)
    # A reset proves control of the inbox, so the address counts as confirmed.
    if user.email_verified_at is None:
        user.email_verified_at = now
    auth.end_all_sessions(user)
    _queue_password_notice(user, now)
    security_event("password_reset", user=user.id)
    return user


def change_password(*, user: User, current_password: str, new_password: str, now: datetime) -> None:
    """Change the password (current one required, S04); other sessions end (S13). Raises DomainError."""
    if not verify_password(user.password_hash, current_password):
        security_event("password_change_refused", user=user.id)
        raise DomainError(_l("Your current password is not correct."), field="current_password")
    _check_password_policy(new_password, field="new_password")
    _set_password(user, new_password, now)
    auth.end_all_sessions(user, keep_current=True)
    _queue_password_notice(user, now)
    security_event("password_changed", user=user.id)


# ---------------------------------------------------------------- email change
def request_email_change(*, user: User, password: str, new_email: str) -> None:
    """Send a confirmation link to the new address (S04: password required). Raises DomainError.

    If the new address already has an account, nothing is sent, but the caller answers the
    same way, so the form cannot be used to probe for accounts.
    """
    if not verify_password(user.password_hash, password):
        security_event("email_change_refused", user=user.id)
        raise DomainError(_l("Your current password is not correct."), field="password")
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise DomainError(_l("That is already your email address."), field="email")
    security_event("email_change_requested", user=user.id)
    if user_by_email(new_email) is not None:
        return
    token = make_token(TokenPurpose.CHANGE_EMAIL, {"uid": user.id, "old": _digest(user.email), "new": new_email,
                                                   "pw": user.password_fingerprint()})
    queue_mail(to=new_email, template="accounts/email_change_confirm", locale=user.locale,
               subject=_l("Confirm your new email address"), user=user, new_email=new_email,
               link=external_url("accounts.confirm_email_change", token=token),
               hours=_hours(TokenPurpose.CHANGE_EMAIL))


def check_email_change_token(token: str) -> tuple[User, str]:
    """(user, new address) for a valid, unused change link. Raises TokenError."""
    payload = read_token(TokenPurpose.CHANGE_EMAIL, token)
    user = db.session.get(User, payload.get("uid")) if isinstance(payload.get("uid"), int) else None
    new = payload.get("new")
    if (user is None or user.is_suspended or not isinstance(new, str) or _digest(user.email) != payload.get("old")
            or payload.get("pw") != user.password_fingerprint()):
        raise TokenError("used or stale")
    return user, new


def confirm_email_change(*, token: str, now: datetime) -> User:
    """Switch to the new address and tell the old one (S09). Raises TokenError or DomainError."""
    user, new_email = check_email_change_token(token)
    if user_by_email(new_email) is not None:
        raise DomainError(_l("This address can no longer be used. Please choose another one."))
    old_email = user.email
    user.email = new_email
    user.email_verified_at = now
    queue_mail(to=old_email, template="accounts/email_changed_notice", locale=user.locale,
               subject=_l("Your email address was changed"), user=user, old_email=old_email,
               new_email=new_email, when=_when_for(user, now),
               contact=current_app.config["PLATFORM_CONTACT_EMAIL"])
    security_event("email_changed", user=user.id)
    return user


# ---------------------------------------------------------------- profile and terms
def update_profile(*, user: User, display_name: str, locale: str, timezone: str, newsletter: bool) -> None:
    """Save the account's profile fields (the participant profile: update_participant_profile).

    Raises DomainError."""
    name = clean_display_name(display_name)[:DISPLAY_NAME_MAX]
    if not name:
        raise DomainError(_l("Enter your name."), field="display_name")
    if locale not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Choose one of the languages offered."), field="locale")
    if not is_valid_timezone(timezone):
        raise DomainError(_l("Choose a time zone from the list."), field="timezone")
    user.display_name = name
    user.locale = locale
    user.timezone = timezone
    user.newsletter_opt_in = bool(newsletter)


# ---------------------------------------------------------------- participant profile (issue 5)
INSTITUTION_MAX = 160
BIO_MAX = 600
LINK_MAX = 300
MAX_LINKS = 3
# In CLDR's territory list but not countries of ISO 3166-1 (groupings, reserved and private-use codes).
# XK (Kosovo) stays: user-assigned, but used by the EU and CLDR for the people who live there.
_NOT_COUNTRIES = frozenset({"AC", "CP", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"})
# Kinds a person may pick, at sign-up and in the profile alike (issue 12). Organisation staff grants
# nothing (organisers are known by their membership); it only keeps its holder out of entering.
CHOOSABLE_KINDS = frozenset(ParticipantKind)


def country_names(locale: str = "en") -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> the country's name in `locale` (CLDR, through Babel)."""
    return {code: name for code, name in Locale.parse(locale).territories.items()
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES}


@cache
def country_codes() -> frozenset[str]:
    return frozenset(country_names("en"))


def clean_profile_text(raw: str | None) -> str:
    """Plain text of several lines: control characters (but line breaks) and bidi overrides removed."""
    text = (raw or "").replace("\r\n", "\n").replace("\r", "\n")
    out = [ch for ch in text if ch == "\n" or (ch not in _BIDI_CONTROLS and unicodedata.category(ch) != "Cc")]
    return "\n".join(line.rstrip() for line in "".join(out).split("\n")).strip()


def link_problem(url: str) -> str | None:
    """Why `url` cannot be a profile link, or None. Only http(s) web addresses: a javascript: or
    data: link on a profile would run in the page of whoever clicks it."""
    if len(url) > LINK_MAX:
        return str(_l("A link has at most %(max)d characters.", max=LINK_MAX))
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in url):
        return str(_l("A link cannot contain spaces or line breaks."))
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return str(_l("Enter a full web address, for example https://example.org."))
    if parts.scheme.lower() not in ("http", "https"):
        return str(_l("Only web addresses that start with https:// or http:// can be added."))
    if not host or "." not in host.strip("."):
        return str(_l("Enter a full web address, for example https://example.org."))
    if parts.username is not None or parts.password is not None:
        # https://bank.example@evil.example shows one host and opens another.
        return str(_l("A link cannot contain a user name or password."))
    return None


def update_participant_profile(*, user: User, participant_kind: str, institution: str | None,
                               country: str | None, bio: str | None, links: list[str]) -> None:
    """Save what a participant says about themselves; eligibility reads participant_kind.

    Only these fields change, whatever else was posted (S20). Raises DomainError.
    """
    try:
        kind = ParticipantKind(participant_kind)
    except ValueError:
        raise DomainError(_l("Choose how you take part."), field="participant_kind") from None
    if kind not in CHOOSABLE_KINDS and kind != user.participant_kind:
        raise DomainError(_l("Choose how you take part."), field="participant_kind")
    institution = clean_display_name(institution)
    if len(institution) > INSTITUTION_MAX:
        raise DomainError(_l("Use at most %(max)d characters.", max=INSTITUTION_MAX), field="institution")
    country = (country or "").strip().upper() or None
    if country is not None and country not in country_codes():
        raise DomainError(_l("Choose a country from the list."), field="country")
    bio = clean_profile_text(bio)
    if len(bio) > BIO_MAX:
        raise DomainError(_l("Use at most %(max)d characters.", max=BIO_MAX), field="bio")
    cleaned = [link.strip() for link in links if link and link.strip()]
    if len(cleaned) > MAX_LINKS:
        raise DomainError(_l("Add at most %(max)d links.", max=MAX_LINKS), field=f"link_{MAX_LINKS}")
    for number, link in enumerate(cleaned, start=1):
        if problem := link_problem(link):
            raise DomainError(problem, field=f"link_{number}")
    user.participant_kind = kind
    user.institution = institution or None
    user.country = country
    user.bio = bio or None
    user.links = cleaned


def record_terms_acceptance(*, user: User, now: datetime | None = None) -> None:
    """Record that `user` accepts the current terms and privacy notice (P04); idempotent."""
    cfg = current_app.config
    when = now or utcnow()
    for document, key in (("terms", "TERMS_VERSION"), ("privacy", "PRIVACY_VERSION")):
        version = cfg[key]
        seen = db.session.scalar(select(func.count()).select_from(TermsAcceptance).where(
            TermsAcceptance.user_id == user.id, TermsAcceptance.document == document,
            TermsAcceptance.version == version))
        if not seen:
            db.session.add(TermsAcceptance(user_id=user.id, document=document, version=version,
                                           accepted_at=when))


# ---------------------------------------------------------------- admin (CLI)
def create_admin(*, email: str, password: str | None, display_name: str | None, now: datetime) -> tuple[User, bool]:
    """Create a verified admin, or promote the existing account (S10). Returns (user, created).

    Raises DomainError.
    """
    from email_validator import EmailNotValidError, validate_email

    email = normalise_email(email)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise DomainError(_l("That is not a valid email address."), field="email") from exc
    user = user_by_email(email)
    if user is not None:
        user.is_admin = True
        if user.email_verified_at is None:
            user.email_verified_at = now
        record_event(actor=None, action="user.promote_admin", object_type="user", object_id=user.id)
        security_event("admin_promoted", user=user.id)
        return user, False
    if password is None:
        raise DomainError(_l("A password is needed to create a new account."), field="password")
    _check_password_policy(password)
    name = clean_display_name(display_name or email.split("@")[0])[:DISPLAY_NAME_MAX] or "Admin"
    user = User(email=email, password_hash=hash_password(password), display_name=name, is_admin=True,
                email_verified_at=now, timezone=current_app.config["BABEL_DEFAULT_TIMEZONE"],
                participant_kind=ParticipantKind.ORGANISATION_STAFF, created_at=now, password_changed_at=now)
    db.session.add(user)
    db.session.flush()
    record_terms_acceptance(user=user, now=now)
    record_event(actor=None, action="user.create_admin", object_type="user", object_id=user.id)
    security_event("admin_created", user=user.id)
    return user, True
