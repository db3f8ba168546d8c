"""Forms of the team page: invite by email, the team name, and each member's name consent (P08)."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import DataRequired, Email, Optional

from app.core.forms import TextLength
from app.i18n import _l

TEAM_NAME_MAX = 120


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


class TeamInviteForm(FlaskForm):
    # The same checks as the organisation invitation form: one address, lower-cased, 254 at most.
    email = EmailField(_l("Email address of your teammate"), filters=[_lower],
                       validators=[DataRequired(), Email(), TextLength(max=254, quiet=True)],
                       description=_l("They do not need an account yet: they can create one with this address."))


class TeamNameForm(FlaskForm):
    team_name = StringField(_l("Team name"), filters=[_strip], validators=[Optional(), TextLength(max=TEAM_NAME_MAX, stated=True)],
                            description=_l("Optional, at most 120 characters. Organisers and, if the concept is "
                                           "published, the public see it."))


class NameConsentForm(FlaskForm):
    show_name_publicly = BooleanField(_l("Show my name if this concept is published"),
                                      description=_l("Without this, the concept is published under the team "
                                                     "name only. You can change this at any time."))


class TeamActionForm(FlaskForm):
    """A button that changes state: only the CSRF token travels."""
