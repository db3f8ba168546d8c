"""Admin forms: reviewing applications, the buttons that act on accounts, the audit log's filters."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional, StopValidation, ValidationError

from app.admin.queries import find_actor
from app.challenges.forms.public import ChoiceField
from app.core.forms import TextLength
from app.i18n import _, _l


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason for rejecting"), filters=[_strip],
                           validators=[DataRequired(), TextLength(max=500, stated=True)],
                           description=_l("The applicant receives this text by email. At most 500 characters."))


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token travels."""


class WholeNumberField(IntegerField):
    """An integer field whose "not a number" message is ours, so it is translated."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_("Enter a whole number from 1 upwards.")) from exc

    def pre_validate(self, form: Any) -> None:
        # One message at the field: the range check has nothing to check (left empty, Optional() decides).
        if self.process_errors and self.raw_data and str(self.raw_data[0]).strip():
            raise StopValidation()


class DayField(DateField):
    """A date field (a date picker in the browser) whose "not a date" message is ours."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_("Enter a date as year-month-day, for example 2026-03-31.")) from exc

    def pre_validate(self, form: Any) -> None:
        if self.process_errors and self.raw_data and str(self.raw_data[0]).strip():
            raise StopValidation()


class AuditFilterForm(FlaskForm):
    """The audit log's filters, read from the query string; every value checked here (S31).
    No CSRF token: filtering changes nothing, and the URL of a filtered page must be shareable."""

    class Meta:
        csrf = False

    actor = StringField(_l("Who"), filters=[_strip],
                        validators=[Optional(), TextLength(max=254, quiet=True)],
                        description=_l("An email address or a user number."))
    action = ChoiceField(_l("Action"))
    object_type = ChoiceField(_l("Type of object"))
    object_id = WholeNumberField(_l("Object number"), validators=[
        Optional(), NumberRange(min=1, max=2**31 - 1, message=_l("Enter a whole number from 1 upwards."))])
    date_from = DayField(_l("From"), validators=[Optional()], description=_l("The first day, included."))
    date_to = DayField(_l("To"), validators=[Optional()], description=_l("The last day, included."))

    def __init__(self, *args: Any, actions: list[tuple[str, str]], object_types: list[tuple[str, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action.choices = [("", _l("All actions")), *actions]
        self.object_type.choices = [("", _l("All types")), *object_types]
        self.actor_user: Any = None

    def validate_actor(self, field: StringField) -> None:
        if field.data and not field.errors:
            self.actor_user = find_actor(field.data)
            if self.actor_user is None:
                raise ValidationError(_l("No account has this email address or number."))

    def validate_object_id(self, field: IntegerField) -> None:
        if field.data is not None and not self.object_type.data:
            raise ValidationError(_l("Choose the type of object too."))

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The last day must not be before the first day."))
