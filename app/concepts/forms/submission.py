"""Forms of the submit step and of the overview's actions (reopen, withdraw, restore)."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField
from wtforms.validators import DataRequired, InputRequired, ValidationError
from wtforms.widgets import HiddenInput

from app.challenges.models import LICENCE_LABELS, Licence
from app.i18n import _l


class SubmitForm(FlaskForm):
    # Choices come from the challenge (set_licences); an unknown value is a 400 with this message.
    licence = RadioField(_l("Licence for publication"), validate_choice=False,
                         validators=[InputRequired(_l("Choose a licence for publication."))],
                         description=_l("Under which terms the organiser may publish your concept after "
                                        "the results. The organisation chose which licences it accepts."))
    confirm_eligible = BooleanField(
        _l("Every member of our team is eligible to enter this challenge, and the details in our profiles "
           "are true"),
        validators=[DataRequired(_l("Confirm that every member of your team is eligible."))])
    confirm_terms = BooleanField(
        _l("We accept the terms of this challenge"),
        validators=[DataRequired(_l("Confirm that your team accepts the terms of the challenge."))])
    # The saved state of the draft this page showed: the version check and the idempotency key (R04).
    lock_version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    def set_licences(self, accepted: list[str]) -> None:
        known = [Licence(value) for value in accepted if value in Licence.__members__.values()]
        self.licence.choices = [(lic.value, LICENCE_LABELS[lic]) for lic in known]

    def validate_licence(self, field: Any) -> None:
        if field.data and field.data not in {value for value, _label in field.choices or []}:
            raise ValidationError(_l("Choose one of the licences this challenge accepts."))


class ActionForm(FlaskForm):
    """Reopen and restore: a button and the CSRF token."""


class WithdrawForm(FlaskForm):
    confirm_withdraw = BooleanField(
        _l("Yes, withdraw our concept from the competition"),
        validators=[DataRequired(_l("Tick the box to confirm that you want to withdraw the concept."))],
        description=_l("Nobody outside your team will see it. You can restore it until the deadline."))
