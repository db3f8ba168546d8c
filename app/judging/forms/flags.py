"""The chair's decision on one conflict flag: confirm or dismiss, with an optional note."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired

from app.challenges.forms.editor import _strip
from app.core.forms import TextLength
from app.i18n import _l


class FlagDecisionForm(FlaskForm):
    conflict = HiddenField(validators=[DataRequired()])
    decision = HiddenField(validators=[DataRequired()])  # "confirm" or "dismiss", from the button pressed
    note = StringField(_l("Note (optional)"), filters=[_strip],
                       validators=[TextLength(max=1000)])
