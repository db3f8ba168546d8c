"""The filter form of the public challenge list: a GET form, every value checked against an allowlist (S31)."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional, ValidationError
from wtforms.widgets import Select

from app.challenges.models import CHALLENGE_LANGUAGES, CHALLENGE_STATE_LABELS, CURRENCIES, SDG_LABELS
from app.challenges.queries import PUBLIC_STATUSES
from app.i18n import _, _l
from app.i18n_setup import LANGUAGE_NAMES
from app.organisations.models import COUNTRY_LABELS, ORGANISATION_KIND_LABELS

MAX_PRIZE = 1_000_000_000  # whole units; anything above is a typing mistake, not a prize


class FastSelect(Select):
    """WTForms' select with a quicker option: the list page renders some 270 options on every request
    (every approved organisation), and WTForms builds each one with Markup.format. Same HTML."""

    @classmethod
    def render_option(cls, choice: Any, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        selected = "selected " if choice.selected else ""  # html_params sorts: "selected" before "value"
        return Markup(f'<option {selected}value="{escape(value)}">{escape(choice.label or choice.value)}</option>')


class ChoiceField(SelectField):
    """A select whose value must be one of its choices, with our own translated message."""

    widget = FastSelect()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def pre_validate(self, form: Any) -> None:
        if self.data not in {str(value) for value, _label in (self.choices or [])}:
            raise ValidationError(_("“%(label)s”: choose one of the options in the list.", label=self.label.text))


class ChallengeFilterForm(FlaskForm):
    """Read from the query string; no CSRF token, because filtering changes nothing."""

    class Meta:
        csrf = False

    status = ChoiceField(_l("Status"))
    organisation = ChoiceField(_l("Organisation"))
    country = ChoiceField(_l("Country"))
    kind = ChoiceField(_l("Kind of organisation"))
    tag = ChoiceField(_l("Topic"))
    sdg = ChoiceField(_l("Sustainable Development Goal"))
    language = ChoiceField(_l("Language of the challenge"))
    currency = ChoiceField(_l("Currency"),
                           description=_l("Prize amounts are compared within this currency. Without one, "
                                          "amounts are compared as plain numbers, without exchange rates."))
    prize_min = IntegerField(_l("Prize money at least"), validators=[
        Optional(), NumberRange(min=0, max=MAX_PRIZE, message=_l("Enter a whole number from 0 to %(max)s."))],
        description=_l("In whole units, for example 50000."))
    prize_max = IntegerField(_l("Prize money at most"), validators=[
        Optional(), NumberRange(min=0, max=MAX_PRIZE, message=_l("Enter a whole number from 0 to %(max)s."))],
        description=_l("In whole units, for example 100000."))
    sort = ChoiceField(_l("Sort by"), default="closing")

    def __init__(self, *args: Any, organisations: list[Any], tags: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [("", _l("Any status"))] + [(s.value, CHALLENGE_STATE_LABELS[s]) for s in PUBLIC_STATUSES]
        self.organisation.choices = [("", _l("Any organisation"))] + [(o.slug, o.name) for o in organisations]
        self.country.choices = [("", _l("Any country"))] + [(c.value, label) for c, label in COUNTRY_LABELS.items()]
        self.kind.choices = [("", _l("Any kind"))] + [(k.value, label) for k, label in ORGANISATION_KIND_LABELS.items()]
        self.tag.choices = [("", _l("Any topic"))] + [(t.slug, t.name) for t in tags]
        self.sdg.choices = [("", _l("Any goal"))] + [(str(n), f"{n}. {label}") for n, label in SDG_LABELS.items()]
        self.language.choices = [("", _l("Any language"))] + [(code, LANGUAGE_NAMES[code]) for code in CHALLENGE_LANGUAGES]
        self.currency.choices = [("", _l("Any currency"))] + [(c, c) for c in CURRENCIES]
        self.sort.choices = [("closing", _l("Closing soonest")), ("newest", _l("Newest")),
                             ("prize", _l("Largest prize"))]

    def validate_prize_max(self, field: IntegerField) -> None:
        if field.data is not None and self.prize_min.data is not None and field.data < self.prize_min.data:
            raise ValidationError(_l("The highest amount must not be lower than the lowest."))

    def value(self, name: str) -> str | None:
        data = self[name].data
        return data if data not in (None, "") else None
