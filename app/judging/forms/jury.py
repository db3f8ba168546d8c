"""Forms of the jury pages: staff invite and remove jurors; a juror chooses their published name."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Optional

from app.core.forms import TextLength
from app.i18n import _l
from app.judging.services.jury import PUBLIC_NAME_MAX, PUBLIC_TITLE_MAX, REASON_MAX


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


class InviteJurorForm(FlaskForm):
    email = EmailField(_l("Email address of the juror"), filters=[_lower],
                       validators=[DataRequired(message=_l("Enter the juror's email address.")),
                                   Email(message=_l("Enter an email address, such as name@example.org.")),
                                   TextLength(max=254, quiet=True)],
                       description=_l("They do not need an account yet: they can create one from the link."))
    as_chair = BooleanField(_l("Invite as chair of the jury"),
                            description=_l("The chair sees every juror's scores, assigns concepts and records "
                                           "the decision. A jury may have more than one chair."))


class RemoveJurorForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the removal"), filters=[_strip],
                           validators=[DataRequired(message=_l("Give the reason for the removal: it stays in "
                                                               "the record.")),
                                       TextLength(max=REASON_MAX, stated=True)],
                           description=_l("At most 1000 characters. It stays in the jury's record with the "
                                          "date and your name; the juror is not emailed."))


class MySeatForm(FlaskForm):
    public_name = StringField(_l("Name in the published jury list"), filters=[_strip],
                              validators=[Optional(), TextLength(max=PUBLIC_NAME_MAX)],
                              description=_l("Leave empty to use your display name."))
    public_title = StringField(_l("Title or affiliation"), filters=[_strip],
                               validators=[Optional(), TextLength(max=PUBLIC_TITLE_MAX)],
                               description=_l("Optional, for example \u201cProfessor of design, Aalborg University\u201d."))
    show_publicly = BooleanField(_l("Show me in the published jury list"),
                                 description=_l("Without this, the published jury list leaves you out."))


class JuryActionForm(FlaskForm):
    """A button that changes state: only the CSRF token travels."""
