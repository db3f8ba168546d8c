"""Account forms: the shape of what people type. Rules that need the database live in services."""
from __future__ import annotations

import unicodedata
from typing import Any

from babel.dates import get_timezone_location
from flask import current_app
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import EmailField, SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Optional, ValidationError

from app.core.forms import TextLength
from app.core.timeutil import is_valid_timezone
from app.i18n import _, _l
from app.i18n_setup import LANGUAGE_NAMES

from .models import PARTICIPANT_KIND_LABELS
from .services import (
    BIO_MAX,
    CHOOSABLE_KINDS,
    LINK_MAX,
    MAX_LINKS,
    clean_display_name,
    clean_profile_text,
    country_codes,
    country_names,
    link_problem,
    password_problem,
)

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
        TextLength(max=254, quiet=True),
        Email(message=_l("Enter an email address in the form name@example.org."), check_deliverability=False),
    ])


def _display_name_field() -> StringField:
    return StringField(_l("Display name"), filters=[_name_filter], validators=[
        DataRequired(message=_l("Enter your name.")),
        TextLength(max=80),
    ], description=_l("Shown to others on the platform, for example in teams."))


def _participant_kind_field() -> RadioField:
    return RadioField(_l("I take part as"), choices=[SelectChoice(k.value, label) for k, label in PARTICIPANT_KIND_LABELS.items()],
                      validators=[InputRequired(message=_l("Choose how you take part."))])


def _institution_field() -> StringField:
    return StringField(_l("Institution or company (optional)"), filters=[_strip], validators=[
        Optional(), TextLength(max=160)],
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
        DataRequired(message=_l("Enter your email address.")), TextLength(max=254, quiet=True)])
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


# The participant profile (issue 5). Nordic countries first: most participants come from them.
FIRST_COUNTRIES = ("DK", "NO", "SE", "FI", "IS")


def _sort_key(name: str) -> str:
    # No ICU here: sort on the letters without accents, so "Åland" and "Österreich" are not last.
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()


def country_choices(locale: str | None = None) -> list[SelectChoice]:
    names = country_names(locale or str(get_locale() or "en"))
    rest = sorted((c for c in names if c not in FIRST_COUNTRIES), key=lambda c: _sort_key(names[c]))
    return [SelectChoice("", _("Not given")),
            *(SelectChoice(code, names[code]) for code in (*FIRST_COUNTRIES, *rest))]


def participant_kind_choices(current: str | None = None) -> list[SelectChoice]:
    """The kinds a person may pick: the same as at sign-up."""
    return [SelectChoice(k.value, label) for k, label in PARTICIPANT_KIND_LABELS.items()
            if k in CHOOSABLE_KINDS or current == k.value]


def _profile_text(value: Any) -> Any:
    return clean_profile_text(value) if isinstance(value, str) else value


def _link_field(number: int) -> StringField:
    # The hint is said once, on the fieldset around the three (templates/accounts/profile.html).
    return StringField(_l("Link %(number)d", number=number), filters=[_strip], validators=[
        Optional(), TextLength(max=LINK_MAX, quiet=True), _check_link])


def _check_link(form: Any, field: Any) -> None:
    if field.data and (problem := link_problem(field.data)):
        raise ValidationError(problem)


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
    country = SelectField(_l("Country (optional)"), validate_choice=False,
                          description=_l("Where you live or study."))
    bio = TextAreaField(_l("About you (optional)"), filters=[_profile_text], validators=[
        Optional(), TextLength(max=BIO_MAX, stated=True)],
        description=_l("A few sentences for your teammates and the organisers, in plain text "
                       "(at most 600 characters)."))
    link_1 = _link_field(1)
    link_2 = _link_field(2)
    link_3 = _link_field(3)
    newsletter = BooleanField(_l("Send me the newsletter about new challenges"),
                              description=_l("Optional. Untick to unsubscribe."))

    def __init__(self, *args: Any, current_timezone: str | None = None, current_kind: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices(current_timezone)
        self.participant_kind.choices = participant_kind_choices(current_kind)
        self.participant_kind.description = _(
            "Some challenges are open only to students, young professionals or startups: this answer "
            "decides which ones you can enter.")
        self.country.choices = country_choices()

    @staticmethod
    def link_names() -> tuple[str, ...]:
        return tuple(f"link_{i}" for i in range(1, MAX_LINKS + 1))

    def links(self) -> list[str]:
        return [self[name].data for name in self.link_names() if self[name].data]

    def validate_country(self, field: Any) -> None:
        if field.data and field.data not in country_codes():
            raise ValidationError(_("Choose a country from the list."))

    def validate_timezone(self, field: Any) -> None:
        if not is_valid_timezone(field.data or ""):
            raise ValidationError(_("Choose a time zone from the list."))


class AcceptTermsForm(FlaskForm):
    accept = BooleanField(_l("I accept the terms of use and the privacy notice"), validators=[
        DataRequired(message=_l("Accept the terms of use and the privacy notice to continue."))])
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """A button and the CSRF token: for links that change state only on POST (S24)."""
