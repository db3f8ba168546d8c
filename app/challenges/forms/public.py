"""The filter form of the public challenge list: a GET form, every value checked against an allowlist (S31)."""
from __future__ import annotations

from typing import Any

from flask_babel import format_decimal
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import IntegerField, SelectField
from wtforms.validators import Optional, StopValidation, ValidationError
from wtforms.widgets import Select, html_params

from app.challenges.models import CHALLENGE_LANGUAGES, CHALLENGE_STATE_LABELS, CURRENCIES, SDG_LABELS
from app.challenges.queries import PUBLIC_STATUSES, TagGroup
from app.i18n import _, _l
from app.i18n_setup import LANGUAGE_NAMES
from app.organisations.models import COUNTRY_LABELS, ORGANISATION_KIND_LABELS

MAX_PRIZE = 1_000_000_000  # whole units; anything above is a typing mistake, not a prize
# The status choice that brings cancelled challenges back next to all the others.
ALL_STATUSES = "all"


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


def _option(value: str, label: Any, selected: bool) -> str:
    # The same HTML as FastSelect.render_option.
    return f'<option {"selected " if selected else ""}value="{escape(value)}">{escape(label)}</option>'


class GroupedSelect(Select):
    """A select whose first options stand alone ("Any topic") and the rest come in <optgroup>s,
    each with its `lang`, from the field's `groups`: [(language code, group label, [(value, label)])]."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        html += [_option(value, label, field.data == value) for value, label in field.loose_choices]
        for lang, group_label, options in field.groups:
            html.append(f"<optgroup {html_params(label=group_label, lang=lang)}>")
            html += [_option(value, label, field.data == value) for value, label in options]
            html.append("</optgroup>")
        html.append("</select>")
        return Markup("".join(html))


class ChoiceField(SelectField):
    """A select whose value must be one of its choices, with our own translated message."""

    widget = FastSelect()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def pre_validate(self, form: Any) -> None:
        if self.data not in {str(value) for value, _label in (self.choices or [])}:
            raise ValidationError(_("“%(label)s”: choose one of the options in the list.", label=self.label.text))


class TopicField(ChoiceField):
    """The topic filter: tags grouped by the language of the challenges that use them (issue 12)."""

    widget = GroupedSelect()

    def set_groups(self, any_label: Any, groups: list[TagGroup]) -> None:
        self.loose_choices = [("", any_label)]
        self.groups = [(g.language, LANGUAGE_NAMES.get(g.language, g.language), [(t.slug, t.label) for t in g.tags])
                       for g in groups]
        self.choices = self.loose_choices + [option for _lang, _label, options in self.groups for option in options]


class WholeNumberField(IntegerField):
    """A whole amount from 0 to MAX_PRIZE, or nothing. Anything else gets one message, with the
    highest amount written for the reader ("1,000,000,000"), instead of WTForms' "Not a valid integer
    value." next to a range message."""

    def __init__(self, label: Any, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"min": 0, "max": MAX_PRIZE})
        super().__init__(label, validators=[Optional()], **kwargs)

    def pre_validate(self, form: Any) -> None:
        if not (self.raw_data and self.raw_data[0].strip()):
            return  # empty: Optional() clears the parse error and stops
        if self.process_errors or self.data is None or not 0 <= self.data <= MAX_PRIZE:
            self.errors = [_("Enter a whole number from 0 to %(max)s.", max=format_decimal(MAX_PRIZE))]
            raise StopValidation()


class ChallengeFilterForm(FlaskForm):
    """Read from the query string; no CSRF token, because filtering changes nothing."""

    class Meta:
        csrf = False

    status = ChoiceField(_l("Status"), description=_l("Cancelled challenges are left out unless you choose them here."))
    organisation = ChoiceField(_l("Organisation"))
    country = ChoiceField(_l("Country"))
    kind = ChoiceField(_l("Kind of organisation"))
    tag = TopicField(_l("Topic"), description=_l("Topics are grouped by the language of the challenges."))
    sdg = ChoiceField(_l("Sustainable Development Goal"))
    language = ChoiceField(_l("Language of the challenge"))
    currency = ChoiceField(_l("Currency"), description=_l("Show only prizes paid in this currency."))
    prize_min = WholeNumberField(_l("Prize money at least"))
    prize_max = WholeNumberField(_l("Prize money at most"))
    sort = ChoiceField(_l("Sort by"), default="closing")

    def __init__(self, *args: Any, organisations: list[Any], tag_groups: list[TagGroup], reference_currency: str,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = ([("", _l("Any status")), (ALL_STATUSES, _l("Any status, including cancelled"))]
                               + [(s.value, CHALLENGE_STATE_LABELS[s]) for s in PUBLIC_STATUSES])
        self.organisation.choices = [("", _l("Any organisation"))] + [(o.slug, o.name) for o in organisations]
        self.country.choices = [("", _l("Any country"))] + [(c.value, label) for c, label in COUNTRY_LABELS.items()]
        self.kind.choices = [("", _l("Any kind"))] + [(k.value, label) for k, label in ORGANISATION_KIND_LABELS.items()]
        self.tag.set_groups(_l("Any topic"), tag_groups)
        self.sdg.choices = [("", _l("Any goal"))] + [(str(n), f"{n}. {label}") for n, label in SDG_LABELS.items()]
        self.language.choices = [("", _l("Any language"))] + [(code, LANGUAGE_NAMES[code]) for code in CHALLENGE_LANGUAGES]
        self.currency.choices = [("", _l("Any currency"))] + [(c, c) for c in CURRENCIES]
        self.sort.choices = [("closing", _l("Closing soonest")), ("newest", _l("Newest")),
                             ("prize", _l("Largest prize"))]
        # Amounts are in the chosen currency, or else in the reference one (every prize converted).
        self.prize_min.description = _("In the currency chosen above, or else in %(currency)s. For example %(example)s.",
                                       currency=reference_currency, example="50000")
        self.prize_max.description = _("In the currency chosen above, or else in %(currency)s. For example %(example)s.",
                                       currency=reference_currency, example="100000")

    def validate_prize_max(self, field: IntegerField) -> None:
        if field.data is not None and self.prize_min.data is not None and field.data < self.prize_min.data:
            raise ValidationError(_l("The highest amount must not be lower than the lowest."))

    def value(self, name: str) -> str | None:
        data = self[name].data
        return data if data not in (None, "") else None
