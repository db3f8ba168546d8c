"""The chair's assignment forms: everyone or k jurors per concept, and one pair by hand."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField
from wtforms.fields import SelectChoice
from wtforms.validators import Optional, ValidationError

from app.challenges.forms.editor import WholeNumberField
from app.i18n import _l

MODE_LABELS = {"everyone": _l("Every juror scores every entry (except their conflicts)"),
               "k": _l("A set number of jurors per concept, assigned automatically")}


class AssignForm(FlaskForm):
    mode = RadioField(_l("Who scores what"), validate_choice=False, default="everyone",
                      choices=[SelectChoice(k, v) for k, v in MODE_LABELS.items()])
    k = WholeNumberField(_l("Jurors per concept"), validators=[Optional()],
                         description=_l("Only for the automatic assignment."))

    def validate_mode(self, field: Any) -> None:
        if field.data not in MODE_LABELS:
            raise ValidationError(_l("Choose who scores what."))

    def validate_k(self, field: Any) -> None:
        if self.mode.data == "k" and (field.data is None or field.data < 1):
            raise ValidationError(_l("Enter how many jurors read each concept, 1 or more."))


class PairForm(FlaskForm):
    juror = SelectField(_l("Juror"), validate_choice=False)
    entry = SelectField(_l("Concept"), validate_choice=False)
    action = RadioField(_l("Change"), validate_choice=False, default="add",
                        choices=[SelectChoice("add", _l("Add this pair")), SelectChoice("remove", _l("Remove this pair"))])

    def validate_action(self, field: Any) -> None:
        if field.data not in ("add", "remove"):
            raise ValidationError(_l("Choose to add or remove the pair."))
