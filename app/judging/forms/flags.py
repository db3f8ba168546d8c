"""The chair's decision on one conflict flag: confirm or dismiss, with an optional note."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from app.challenges.forms.editor import _strip
from app.i18n import _l


class FlagDecisionForm(FlaskForm):
    conflict = HiddenField(validators=[DataRequired()])
    decision = HiddenField(validators=[DataRequired()])  # "confirm" or "dismiss", from the button pressed
    note = StringField(_l("Note (optional)"), filters=[_strip],
                       validators=[Length(max=1000, message=_l("At most %(max)d characters."))])
