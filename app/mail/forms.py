"""Forms for the outbox admin page: the retry button and the list's filters."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import ValidationError

from app.core.forms import TextLength
from app.i18n import _, _l


class RetryForm(FlaskForm):
    """No fields: the button and its CSRF token (a state change is always a POST)."""


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ChoiceField(SelectField):
    """A select whose value must be one of its choices, with our own translated message."""

    def pre_validate(self, form: Any) -> None:
        if self.data not in {value for value, _label in self.choices or []}:
            raise ValidationError(_("“%(label)s”: choose one of the options in the list.", label=self.label.text))


class OutboxFilterForm(FlaskForm):
    """Read from the query string (no CSRF: filtering changes nothing); the state from a list (S31)."""

    class Meta:
        csrf = False

    state = ChoiceField(_l("State"), default="")
    recipient = StringField(_l("Recipient contains"), filters=[_strip],
                            validators=[TextLength(max=254, quiet=True)])

    def __init__(self, *args: Any, states: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state.choices = [("", _l("Any state")), *states]
