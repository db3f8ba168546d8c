"""The form of the organisers' manage page: one step of the lifecycle (cancelling needs a reason)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Optional

from app.challenges.forms.qa import _strip
from app.challenges.services.qa import REASON_MAX
from app.core.forms import TextLength
from app.i18n import _l


class StateForm(FlaskForm):
    """One step on the manage page: `to` names the target state; cancelling needs a reason."""

    to = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(_l("Reason for cancelling"), filters=[_strip],
                           validators=[Optional(), TextLength(max=REASON_MAX)],
                           description=_l("Shown on the challenge page and emailed to everyone who follows it."))

