"""Forms for organisation applications, profiles, members and invitations."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField, TextAreaField, URLField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Email, Optional, ValidationError

from app.accounts.forms import timezone_choices as account_timezone_choices
from app.core.forms import TextLength
from app.i18n import _l

from .models import COUNTRY_LABELS, ORGANISATION_KIND_LABELS, ROLE_LABELS, Role


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def http_url(form: FlaskForm, field: Any) -> None:
    """Only absolute http(s) addresses with a host name: no javascript:, data: or relative links."""
    value = field.data or ""
    if not value:
        return
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValidationError(_l("Enter a web address without spaces, such as https://www.example.dk."))
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:
        host, parts = "", None
    if parts is None or parts.scheme not in ("http", "https") or "." not in host or parts.username:
        raise ValidationError(_l("Enter a web address that starts with https:// or http://, "
                                 "such as https://www.example.dk."))


def timezone_choices(current: str | None = None) -> list[SelectChoice]:
    """The same time zones people choose for their profiles, after "the country's usual one"."""
    return [SelectChoice("", _l("The country's usual time zone")), *account_timezone_choices(current)]


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name of the organisation"), filters=[_strip],
                       validators=[DataRequired(), TextLength(max=160)])
    kind = RadioField(_l("Kind of organisation"), validators=[DataRequired()],
                      choices=[SelectChoice(k.value, label) for k, label in ORGANISATION_KIND_LABELS.items()])
    country = RadioField(_l("Country"), validators=[DataRequired()],
                         choices=[SelectChoice(c.value, label) for c, label in COUNTRY_LABELS.items()])
    website = URLField(_l("Website"), filters=[_strip], validators=[Optional(), TextLength(max=300, quiet=True), http_url],
                       description=_l("For example https://www.example.dk"))
    description = TextAreaField(_l("Short description"), filters=[_strip],
                                validators=[DataRequired(), TextLength(max=2000, stated=True)],
                                description=_l("Plain text, at most 2000 characters: who you are and "
                                               "what kind of challenges you plan to post."))
    contact_email = EmailField(_l("Contact email for privacy questions"), filters=[_lower],
                               validators=[DataRequired(), Email(), TextLength(max=254, quiet=True)],
                               description=_l("Shown publicly: participants write here with questions about "
                                              "how your organisation handles their personal data."))
    timezone = SelectField(_l("Time zone"), default="",
                           description=_l("Deadlines of your challenges are shown in this time zone."))
    logo = FileField(_l("Logo (optional)"),
                     description=_l("PNG, JPEG or WebP, at most 2 MB. It is shown at most 512 pixels wide."))

    def __init__(self, *args: Any, current_timezone: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices(current_timezone)


class OrganisationEditForm(OrganisationForm):
    remove_logo = BooleanField(_l("Remove the current logo"))


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()]


class InviteForm(FlaskForm):
    email = EmailField(_l("Email address"), filters=[_lower],
                       validators=[DataRequired(), Email(), TextLength(max=254, quiet=True)])
    role = RadioField(_l("Role"), default=Role.EDITOR.value, validators=[DataRequired()],
                      choices=role_choices(),
                      description=_l("Owners can manage members; editors can edit the profile and "
                                     "challenges."))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices(), validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token travels."""
