"""Forms of the chair's progress page: the "remind" buttons (CSRF-protected POSTs that say which
round, and for one juror which seat; anything else in them is refused as a 400, never a 500)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import DataRequired, NumberRange
from wtforms.widgets import HiddenInput


class RemindEveryoneForm(FlaskForm):
    round = IntegerField(widget=HiddenInput(), validators=[DataRequired(), NumberRange(min=1, max=10_000)])


class RemindJurorForm(RemindEveryoneForm):
    seat = IntegerField(widget=HiddenInput(), validators=[DataRequired(), NumberRange(min=1, max=2**31 - 1)])
