"""Admin forms: reviewing applications and the buttons that act on accounts."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.i18n import _l


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason for rejecting"), filters=[_strip],
                           validators=[DataRequired(), Length(max=500)],
                           description=_l("The applicant receives this text by email. At most 500 characters."))


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token travels."""
