"""The chair's form for the next round: name, method, criteria, deadline, jurors, and which
concepts advance (top N by rank, or picked by hand with a note each)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import Optional, ValidationError

from app.challenges.forms.editor import (
    LocalDateTimeField,
    MultiCheckboxField,
    WholeNumberField,
    _strip,
    local_to_utc,
)
from app.core.forms import TextLength
from app.i18n import _l
from app.judging.models import ROUND_METHOD_LABELS, RoundMethod

ADVANCE_LABELS = {"rank": _l("By rank: the top of the current round"),
                  "hand": _l("By hand: the concepts I tick below, each with a note")}
BASIS_LABELS = {"raw": _l("Raw scores"), "calibrated": _l("Calibrated scores (each juror's scale evened out)")}


def _ids(values: Sequence[str] | None) -> list[int] | None:
    out = []
    for value in values or []:
        if not str(value).isdigit():
            return None
        out.append(int(value))
    return out


class NextRoundForm(FlaskForm):
    name = StringField(_l("Name of the round"), filters=[_strip],
                       validators=[TextLength(max=120)],
                       description=_l("For example “Shortlist” or “Final”."))
    method = RadioField(_l("How the round is judged"), validate_choice=False, default=RoundMethod.RUBRIC.value,
                        choices=[SelectChoice(m.value, label) for m, label in ROUND_METHOD_LABELS.items()])
    criteria = MultiCheckboxField(_l("Criteria scored in this round"), validate_choice=False,
                                  description=_l("Rubric rounds only. Tick every criterion to score the whole rubric."))
    deadline = LocalDateTimeField(_l("Deadline of the round"), validators=[Optional()])
    jurors = MultiCheckboxField(_l("Jurors of the round"), validate_choice=False)
    advance = RadioField(_l("Which concepts advance"), validate_choice=False, default="rank",
                         choices=[SelectChoice(k, v) for k, v in ADVANCE_LABELS.items()])
    top_n = WholeNumberField(_l("Number of concepts that advance"), validators=[Optional()])
    basis = RadioField(_l("Rank by"), validate_choice=False, default="raw",
                       choices=[SelectChoice(k, v) for k, v in BASIS_LABELS.items()])

    entry_numbers: list[int] = []

    def __init__(self, *args: Any, zone: str, criteria: Sequence[tuple[int, str]],
                 jurors: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.criteria.choices = [SelectChoice(str(i), label) for i, label in criteria]
        self.jurors.choices = [SelectChoice(str(i), label) for i, label in jurors]
        self.deadline_utc: datetime | None = None

    # Entry fields are added per page: pick_<n> and note_<n> for the label number n.
    @classmethod
    def for_entries(cls, numbers: Sequence[int]) -> type[NextRoundForm]:
        fields: dict[str, Any] = {"entry_numbers": list(numbers)}
        for n in numbers:
            fields[f"pick_{n}"] = BooleanField(_l("Advances"))
            fields[f"note_{n}"] = StringField(_l("Why it advances"), filters=[_strip],
                                              validators=[TextLength(max=1000)])
        return type("NextRoundEntriesForm", (cls,), fields)

    def validate_method(self, field: Any) -> None:
        if field.data not in {m.value for m in RoundMethod}:
            raise ValidationError(_l("Choose how the round is judged."))

    def validate_advance(self, field: Any) -> None:
        if field.data not in ADVANCE_LABELS:
            raise ValidationError(_l("Choose how concepts advance."))

    def validate_basis(self, field: Any) -> None:
        if field.data not in BASIS_LABELS:
            raise ValidationError(_l("Choose raw or calibrated scores."))

    def validate_criteria(self, field: Any) -> None:
        if _ids(field.data) is None:
            raise ValidationError(_l("Choose criteria from the rubric."))

    def validate_jurors(self, field: Any) -> None:
        if _ids(field.data) is None:
            raise ValidationError(_l("Choose jurors from the list."))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.deadline.data is not None and not self.deadline.errors:
            try:
                self.deadline_utc = local_to_utc(self.deadline.data, self.zone)
            except ValueError as exc:
                self.deadline.errors.append(str(exc))
                ok = False
        return ok

    def values(self) -> dict[str, Any]:
        picked = {n: self[f"note_{n}"].data or "" for n in self.entry_numbers if self[f"pick_{n}"].data}
        return {"name": self.name.data or "", "method": self.method.data, "criterion_ids": _ids(self.criteria.data) or [],
                "deadline_at": self.deadline_utc, "seat_ids": _ids(self.jurors.data) or [],
                "advance": self.advance.data, "top_n": self.top_n.data, "basis": self.basis.data,
                "picked_numbers": picked}
