"""Account forms: the shape of what people type. Rules that need the database live in services."""
from __future__ import annotations

from typing import Any

from babel.dates import get_timezone_location
from flask import current_app
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields import EmailField, SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Optional, ValidationError

from app.core.timeutil import is_valid_timezone
from app.i18n import _, _l
from app.i18n_setup import LANGUAGE_NAMES

from .models import PARTICIPANT_KIND_LABELS
from .services import clean_display_name, password_problem

# Offered in the profile; any other valid zone a user already has stays selectable.
COMMON_TIMEZONES = (
    "Europe/Copenhagen", "Europe/Oslo", "Europe/Stockholm", "Europe/Helsinki", "Atlantic/Reykjavik",
    "Atlantic/Faroe", "America/Nuuk", "Europe/Tallinn", "Europe/Riga", "Europe/Vilnius", "Europe/London",
    "Europe/Dublin", "Europe/Berlin", "Europe/Amsterdam", "Europe/Brussels", "Europe/Paris",
    "Europe/Zurich", "Europe/Vienna", "Europe/Prague", "Europe/Warsaw", "Europe/Madrid", "Europe/Lisbon",
    "Europe/Rome", "Europe/Athens", "UTC",
)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _email_filter(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _name_filter(value: Any) -> Any:
    return clean_display_name(value) if isinstance(value, str) else value


def _password_policy(form: Any, field: Any) -> None:
    # S01: length and the common-password list only; no composition rules, nothing stripped (S02).
    if field.data and (problem := password_problem(field.data)):
        raise ValidationError(problem)


def password_hint() -> str:
    return _("Use at least %(min)d characters. A few unrelated words make a strong password "
             "that is easy to remember. No special characters are required.",
             min=current_app.config["PASSWORD_MIN_LENGTH"])


def _email_field(label: Any = None) -> EmailField:
    return EmailField(label or _l("Email address"), filters=[_email_filter], validators=[
        DataRequired(message=_l("Enter your email address.")),
        Length(max=254, message=_l("An email address has at most %(max)d characters.")),
        Email(message=_l("Enter an email address in the form name@example.org."), check_deliverability=False),
    ])


def _display_name_field() -> StringField:
    return StringField(_l("Display name"), filters=[_name_filter], validators=[
        DataRequired(message=_l("Enter your name.")),
        Length(max=80, message=_l("Use at most %(max)d characters.")),
    ], description=_l("Shown to others on the platform, for example in teams."))


def _participant_kind_field() -> RadioField:
    return RadioField(_l("I take part as"), choices=[SelectChoice(k.value, label) for k, label in PARTICIPANT_KIND_LABELS.items()],
                      validators=[InputRequired(message=_l("Choose how you take part."))])


def _institution_field() -> StringField:
    return StringField(_l("Institution or company (optional)"), filters=[_strip], validators=[
        Optional(), Length(max=160, message=_l("Use at most %(max)d characters."))],
        description=_l("Your school, university, startup or employer."))


def _new_password_field(label: Any) -> PasswordField:
    return PasswordField(label, validators=[InputRequired(message=_l("Enter a password.")), _password_policy])


class SignupForm(FlaskForm):
    email = _email_field()
    display_name = _display_name_field()
    password = _new_password_field(_l("Password"))
    participant_kind = _participant_kind_field()
    institution = _institution_field()
    accept_terms = BooleanField(_l("I accept the terms of use and the privacy notice"), validators=[
        DataRequired(message=_l("Accept the terms of use and the privacy notice to create an account."))])
    # P04: a separate, optional and unchecked consent.
    newsletter = BooleanField(_l("Send me the newsletter about new challenges"), default=False,
                              description=_l("Optional. You can unsubscribe at any time on your account page."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.password.description = password_hint()


class LoginForm(FlaskForm):
    # No format check: a malformed address fails like an unknown one (S05) and counts as a failure (S06).
    email = EmailField(_l("Email address"), filters=[_email_filter], validators=[
        DataRequired(message=_l("Enter your email address.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(message=_l("Enter your password."))])
    remember = BooleanField(_l("Keep me logged in on this device for up to 30 days"))
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(FlaskForm):
    password = _new_password_field(_l("New password"))
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        InputRequired(message=_l("Repeat the new password.")),
        EqualTo("password", message=_l("The two passwords are not the same."))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.password.description = password_hint()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[
        InputRequired(message=_l("Enter your current password."))])
    new_password = _new_password_field(_l("New password"))
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        InputRequired(message=_l("Repeat the new password.")),
        EqualTo("new_password", message=_l("The two passwords are not the same."))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.new_password.description = password_hint()


class ChangeEmailForm(FlaskForm):
    email = _email_field(_l("New email address"))
    password = PasswordField(_l("Current password"), validators=[
        InputRequired(message=_l("Enter your current password."))],
        description=_l("To protect your account, confirm it is you."))


def timezone_choices(current: str | None = None) -> list[SelectChoice]:
    zones = list(COMMON_TIMEZONES)
    if current and current not in zones and is_valid_timezone(current):
        zones.insert(0, current)
    locale = str(get_locale() or "en")
    choices = []
    for name in zones:
        city = name if name == "UTC" else get_timezone_location(name, locale=locale, return_city=True)
        choices.append(SelectChoice(name, f"{city} ({name})" if city != name else name))
    return choices


class ProfileForm(FlaskForm):
    display_name = _display_name_field()
    locale = SelectField(_l("Preferred language"),
                         choices=[SelectChoice(code, name, {"lang": code}) for code, name in LANGUAGE_NAMES.items()],
                         validators=[InputRequired()],
                         description=_l("Pages and emails are shown in this language."))
    timezone = SelectField(_l("Time zone"), validators=[InputRequired()],
                           description=_l("Deadlines and times are shown in this time zone."))
    participant_kind = _participant_kind_field()
    institution = _institution_field()
    newsletter = BooleanField(_l("Send me the newsletter about new challenges"),
                              description=_l("Optional. Untick to unsubscribe."))

    def __init__(self, *args: Any, current_timezone: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices(current_timezone)

    def validate_timezone(self, field: Any) -> None:
        if not is_valid_timezone(field.data or ""):
            raise ValidationError(_("Choose a time zone from the list."))


class AcceptTermsForm(FlaskForm):
    accept = BooleanField(_l("I accept the terms of use and the privacy notice"), validators=[
        DataRequired(message=_l("Accept the terms of use and the privacy notice to continue."))])
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """A button and the CSRF token: for links that change state only on POST (S24)."""
