"""Forms of the challenge editor: the shape of what organisers type.

Amounts are typed in major units in the reader's locale ("50.000,00" in Danish, "50,000.00" in
English) and become integer minor units; times are typed as local date and time in the
challenge's time zone and become UTC. Rules that need the database or the clock (a deadline in
the past, edits after publishing) live in services.py.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import NumberFormatError, get_currency_precision, parse_decimal
from flask_babel import get_locale
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from slugify import slugify
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import DateTimeLocalField, SelectChoice
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts.forms import timezone_choices
from app.challenges.models import (
    CHALLENGE_LANGUAGES,
    CONCEPT_PUBLICATION_LABELS,
    CURRENCIES,
    ELIGIBILITY_LABELS,
    LICENCE_LABELS,
    SDG_LABELS,
    ConceptPublication,
    Licence,
)
from app.challenges.services.editor import (
    MAX_BRIEF_CHARS,
    MAX_CONCEPT_FILE_MB,
    MAX_CONCEPT_FILES,
    MAX_CRITERIA,
    MAX_PRIZE_COUNT,
    MAX_PRIZE_MAJOR,
    MAX_TAG_CHARS,
    MAX_TAGS,
    MAX_TEAM_SIZE,
    CriterionInput,
    timeline_errors,
)
from app.core.forms import TextLength
from app.core.timeutil import is_valid_timezone
from app.i18n import _l
from app.i18n_setup import LANGUAGE_NAMES

TIME_FIELDS = ("opens_at", "deadline_at", "judging_ends_at", "results_at")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
_SPLIT_SEPARATORS = re.compile(r"[,;/\s]+")
_ANCHOR_LINE = re.compile(r"^\s*(-?\d+)\s*[:=.)-]\s*(.+?)\s*$")
MAX_ANCHOR_CHARS = 200


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _strip_text(value: Any) -> Any:
    # Markdown keeps its inner line breaks; only surrounding blank space goes.
    return value.strip("\r\n ") if isinstance(value, str) else value


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes; rendered in a fieldset with a legend by the `radios` macro (A09)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WholeNumberField(IntegerField):
    """An integer field whose unreadable input becomes None, so its range validator gives the one message."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = str(valuelist[0]).strip()
        self.data = int(raw) if re.fullmatch(r"-?[0-9]{1,9}", raw) else None


class LocalDateTimeField(DateTimeLocalField):
    """A local date and time (`<input type="datetime-local">`), converted to UTC by the form."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, format=DATETIME_FORMATS,
                         invalid_value_message=_l("Enter a date and time, for example 2027-03-01 12:00."),
                         **kwargs)


# ---------------------------------------------------------------- parsing helpers
def parse_money(text: str, currency: str, locale: str) -> int:
    """An amount typed in major units in `locale` -> integer minor units. Raises ValueError (translated)."""
    value = (text or "").strip()
    if not value:
        return 0
    if value.startswith(("-", "−", "(")):
        raise ValueError(_l("The prize money cannot be negative."))
    if not re.fullmatch(r"[0-9.,'\s\u00a0\u202f]+", value):
        raise ValueError(_l("Enter the prize money as a number, for example %(example)s.",
                            example=money_example(locale)))
    # Swedish and Norwegian group digits with a (non-breaking) space; people type a plain one.
    value = re.sub(r"[\s\u202f]", "\u00a0", value)
    try:
        amount = parse_decimal(value, locale=locale, strict=True)
    except NumberFormatError:
        raise ValueError(_l("Enter the prize money as a number, for example %(example)s.",
                            example=money_example(locale))) from None
    if not amount.is_finite():
        raise ValueError(_l("Enter the prize money as a number, for example %(example)s.",
                            example=money_example(locale)))
    digits = get_currency_precision(currency if currency in CURRENCIES else "EUR")
    minor = amount.scaleb(digits)
    if minor != minor.to_integral_value():
        raise ValueError(_l("Use at most %(digits)d decimals.", digits=digits))
    if amount > MAX_PRIZE_MAJOR:
        raise ValueError(_l("The prize money can be at most %(max)s.", max=f"{MAX_PRIZE_MAJOR:,}"))
    return int(minor)


def money_example(locale: str) -> str:
    from babel.numbers import format_decimal

    return format_decimal(Decimal("50000.00"), format="#,##0.00", locale=locale)


def money_input_value(minor: int, currency: str, locale: str) -> str:
    """Minor units -> what the amount field shows, without grouping (unambiguous in every locale)."""
    from babel.numbers import format_decimal

    digits = get_currency_precision(currency if currency in CURRENCIES else "EUR")
    amount = Decimal(minor).scaleb(-digits)
    fmt = "0" if amount == amount.to_integral_value() else "0." + "0" * digits
    return format_decimal(amount, format=fmt, locale=locale)


def parse_split(text: str) -> list[int]:
    """ "60, 30, 10" (or with % signs, semicolons or slashes) -> [60, 30, 10]. Raises ValueError."""
    cleaned = (text or "").replace("%", " ").strip()
    if not cleaned:
        return []
    parts = [p for p in _SPLIT_SEPARATORS.split(cleaned) if p]
    if not all(p.isdigit() for p in parts):
        raise ValueError(_l("Enter whole percentages separated by commas, for example 60, 30, 10."))
    return [int(p) for p in parts]


def parse_tags(text: str) -> list[tuple[str, str]]:
    """Comma-separated tags -> [(slug, name)], de-duplicated. Raises ValueError."""
    tags: dict[str, str] = {}
    for raw in (text or "").split(","):
        name = " ".join(raw.split())
        if not name:
            continue
        if len(name) > MAX_TAG_CHARS:
            raise ValueError(_l("“%(tag)s” is too long: a tag has at most %(max)d characters.",
                                tag=name[:60], max=MAX_TAG_CHARS))
        slug = slugify(name, max_length=60)
        if not slug:
            raise ValueError(_l("“%(tag)s” needs at least one letter or digit.", tag=name[:60]))
        tags.setdefault(slug, name)
    if len(tags) > MAX_TAGS:
        raise ValueError(_l("Use at most %(max)d tags.", max=MAX_TAGS))
    return list(tags.items())


def parse_anchors(text: str, scale_min: int | None, scale_max: int | None) -> dict[str, str]:
    """One "level: text" per line -> {"level": "text"}, each level on the scale. Raises ValueError."""
    anchors: dict[str, str] = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        match = _ANCHOR_LINE.match(line)
        if not match:
            raise ValueError(_l("Write one level per line as “level: text”, for example “1: No evidence”."))
        level, label = int(match.group(1)), match.group(2)
        if scale_min is not None and scale_max is not None and not scale_min <= level <= scale_max:
            raise ValueError(_l("Level %(level)d is not on the scale %(min)d to %(max)d.",
                                level=level, min=scale_min, max=scale_max))
        if str(level) in anchors:
            raise ValueError(_l("Level %(level)d has more than one text.", level=level))
        if len(label) > MAX_ANCHOR_CHARS:
            raise ValueError(_l("The text for level %(level)d is too long: at most %(max)d characters.",
                                level=level, max=MAX_ANCHOR_CHARS))
        anchors[str(level)] = label
    return anchors


def anchors_text(anchors: dict[str, str] | None) -> str:
    return "\n".join(f"{level}: {text}" for level, text in sorted((anchors or {}).items(), key=lambda i: int(i[0])))


def local_to_utc(value: datetime, zone_name: str) -> datetime:
    """A naive local time in `zone_name` -> aware UTC. Raises ValueError for a time that does not exist there.

    In the spring gap (clocks jump from 02:00 to 03:00) 02:30 never happens; in the autumn
    overlap the first of the two moments (summer time) is meant.
    """
    zone = ZoneInfo(zone_name)
    aware = value.replace(tzinfo=zone, fold=0)
    back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if back != value.replace(tzinfo=None):
        raise ValueError(_l("This time does not exist in %(zone)s: the clocks are put forward that night. "
                            "Choose a time an hour later.", zone=zone_name))
    return aware.astimezone(UTC)


def utc_to_local(value: datetime | None, zone_name: str) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(ZoneInfo(zone_name)).replace(tzinfo=None)


# ---------------------------------------------------------------- the challenge form
def language_choices() -> list[SelectChoice]:
    return [SelectChoice(code, LANGUAGE_NAMES[code], {"lang": code}) for code in CHALLENGE_LANGUAGES]


class LanguageTagsMixin:
    """The `language` and `tags` checks of a form that has both (a challenge, a concept draft); the
    tags parse into `tag_list`, which the form's __init__ sets to []."""

    tag_list: list[tuple[str, str]]

    def validate_language(self, field: Any) -> None:
        if field.data not in CHALLENGE_LANGUAGES:
            raise ValidationError(_l("Choose one of the listed languages."))

    def validate_tags(self, field: Any) -> None:
        try:
            self.tag_list = parse_tags(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class ChallengeTextForm(LanguageTagsMixin, FlaskForm):
    """What may still change once the deadline has passed: the words, tags, goals and the cover."""

    title = StringField(_l("Title"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter a title.")),
        TextLength(max=200)])
    summary = TextAreaField(_l("Summary"), filters=[_strip], validators=[
        TextLength(max=500, stated=True)],
        description=_l("One or two sentences, at most 500 characters. Shown in lists of challenges."))
    problem_md = TextAreaField(_l("Problem statement"), filters=[_strip_text], validators=[
        TextLength(max=MAX_BRIEF_CHARS, stated=True)],
        description=_l("What is the problem, and for whom? Markdown: # headings, *emphasis*, - lists, "
                       "[links](https://…). At most 20,000 characters."))
    background_md = TextAreaField(_l("Background"), filters=[_strip_text], validators=[
        TextLength(max=MAX_BRIEF_CHARS, stated=True)],
        description=_l("What has been tried, facts and figures, constraints. Markdown, at most 20,000 "
                       "characters."))
    language = SelectField(_l("Language of the challenge"), choices=language_choices(), default="en",
                           validate_choice=False,
                           description=_l("The language the brief is written in."))
    tags = StringField(_l("Tags"), filters=[_strip], validators=[TextLength(max=600, quiet=True)],
                       description=_l("Separate tags with commas, for example: recycling, waste, housing. "
                                      "At most 10 tags of 40 characters each."))
    sdgs = MultiCheckboxField(_l("UN Sustainable Development Goals this challenge serves"), coerce=int,
                              choices=[SelectChoice(n, _l("Goal %(n)d: %(label)s", n=n, label=label))
                                       for n, label in SDG_LABELS.items()],
                              validate_choice=False, description=_l("Optional. Choose any that apply."))
    cover = FileField(_l("Cover image (optional)"),
                      description=_l("PNG, JPEG or WebP, at most 5 MB. Shown at most 512 pixels wide."))
    cover_alt = StringField(_l("Text alternative for the cover image"), filters=[_strip],
                            validators=[TextLength(max=250)],
                            description=_l("Required with an image: describe what it shows for people who "
                                           "cannot see it, in one sentence."))
    remove_cover = BooleanField(_l("Remove the current cover image"))

    def __init__(self, *args: Any, current_timezone: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tag_list: list[tuple[str, str]] = []


    def validate_sdgs(self, field: Any) -> None:
        if any(n not in SDG_LABELS for n in field.data or []):
            raise ValidationError(_l("Choose goals from the list."))

    def validate_cover_alt(self, field: Any) -> None:
        upload = self.cover.data
        if upload is not None and getattr(upload, "filename", "") and not field.data:
            raise ValidationError(_l("Describe the cover image in a sentence for people who cannot see it."))

    def values(self, cover_hash: str | None) -> dict[str, Any]:
        """The validated values of the fields this form has, and nothing else (S20)."""
        return {"title": self.title.data, "summary": self.summary.data or "", "problem_md": self.problem_md.data or "",
                "background_md": self.background_md.data or "", "language": self.language.data,
                "tags": self.tag_list, "sdgs": sorted(set(self.sdgs.data or [])), "cover_hash": cover_hash,
                "cover_alt": self.cover_alt.data or None, "remove_cover": bool(self.remove_cover.data)}


class ChallengeForm(ChallengeTextForm):
    """The whole editor: the words plus prize, who may enter, and the timeline."""

    prize_amount = StringField(_l("Prize money in total"), filters=[_strip], validators=[TextLength(max=40, quiet=True)])
    currency = SelectField(_l("Currency"), choices=[SelectChoice(c, c) for c in CURRENCIES], default="DKK",
                           validate_choice=False)
    prize_count = WholeNumberField(_l("Number of prizes"), default=1, validators=[
        InputRequired(message=_l("Enter how many prizes there are, for example 3.")),
        NumberRange(min=1, max=MAX_PRIZE_COUNT,
                    message=_l("Enter a number of prizes from %(min)s to %(max)s."))])
    prize_split = StringField(_l("Split of the prize money, in percent"), filters=[_strip], default="100",
                              validators=[TextLength(max=100, quiet=True)],
                              description=_l("One percentage per prize, first prize first, adding up to 100; "
                                             "for example 60, 30, 10."))
    eligibility = MultiCheckboxField(_l("Who may enter"),
                                     choices=[SelectChoice(e.value, label) for e, label in ELIGIBILITY_LABELS.items()],
                                     default=["anyone"], validate_choice=False)
    allow_individuals = BooleanField(_l("Individuals may enter on their own"), default=True)
    allow_teams = BooleanField(_l("Teams may enter"), default=True)
    max_team_size = WholeNumberField(_l("Largest team (number of people)"), default=5, validators=[
        InputRequired(message=_l("Enter the largest team size, for example 5.")),
        NumberRange(min=1, max=MAX_TEAM_SIZE, message=_l("Enter a team size from %(min)s to %(max)s."))])
    # Concept settings (issue 5): what teams may choose and what becomes public after results.
    accepted_licences = MultiCheckboxField(
        _l("Licences teams may choose for their concept"),
        choices=[SelectChoice(lic.value, label) for lic, label in LICENCE_LABELS.items()],
        default=[Licence.CC_BY.value, Licence.RESERVED_SUMMARY.value], validate_choice=False,
        description=_l("Choose at least one. Each team picks one of these when it submits. If you later "
                       "remove a licence, concepts already submitted under it keep it."))
    concept_publication = RadioField(
        _l("What is published after the results"),
        choices=[SelectChoice(p.value, label) for p, label in CONCEPT_PUBLICATION_LABELS.items()],
        default=ConceptPublication.WINNERS.value, validate_choice=False,
        description=_l("Publication always respects the licence each team chose: under “all rights reserved” "
                       "only the title and summary are shown. Team members' names are shown only if they "
                       "agreed to it."))
    max_concept_files = WholeNumberField(_l("Most files per concept"), default=5, validators=[
        InputRequired(message=_l("Enter how many files a concept may have, from 0 to %(max)d.",
                                 max=MAX_CONCEPT_FILES)),
        NumberRange(min=0, max=MAX_CONCEPT_FILES,
                    message=_l("Enter a number of files from %(min)s to %(max)s."))],
        description=_l("From 0 (text only) to 20."))
    max_concept_file_mb = WholeNumberField(_l("Largest file, in megabytes"), default=10, validators=[
        InputRequired(message=_l("Enter the largest file size in megabytes, from 1 to %(max)d.",
                                 max=MAX_CONCEPT_FILE_MB)),
        NumberRange(min=1, max=MAX_CONCEPT_FILE_MB,
                    message=_l("Enter a file size from %(min)s to %(max)s megabytes."))],
        description=_l("From 1 to 50 MB per file."))
    allow_multiple_concepts = BooleanField(
        _l("A person may be on several concepts in this challenge"), default=False,
        description=_l("If this is not ticked, each person takes part in at most one concept."))
    is_blind = BooleanField(
        _l("Blind judging"), default=False,
        description=_l("Jurors see each concept by a label such as C-017 and its title, never the team's or "
                       "members' names, emails or institutions. Fixed once the first concept is submitted."))
    timezone = SelectField(_l("Time zone of the timeline"), validate_choice=False)
    opens_at = LocalDateTimeField(_l("Opens for concepts"), validators=[Optional()])
    deadline_at = LocalDateTimeField(_l("Submission deadline"), validators=[Optional()])
    judging_ends_at = LocalDateTimeField(_l("Judging ends"), validators=[Optional()])
    results_at = LocalDateTimeField(_l("Results announced"), validators=[Optional()])
    reason = TextAreaField(_l("Reason for the change"), filters=[_strip],
                           validators=[TextLength(max=1000)],
                           description=_l("Needed when you change the timeline, prize, who may enter, team "
                                          "rules or concept settings: it is shown in the public change log "
                                          "and emailed to followers."))

    def __init__(self, *args: Any, current_timezone: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices(current_timezone)
        self.utc: dict[str, datetime | None] = {}
        self.prize_minor = 0
        self.split: list[int] = []

    # Field validators run after every field has its data, so the zone and currency are known.
    def validate_timezone(self, field: Any) -> None:
        if not field.data or not is_valid_timezone(field.data):
            raise ValidationError(_l("Choose one of the listed time zones."))

    def validate_currency(self, field: Any) -> None:
        if field.data not in CURRENCIES:
            raise ValidationError(_l("Choose one of the listed currencies: %(list)s.", list=", ".join(CURRENCIES)))

    def validate_prize_amount(self, field: Any) -> None:
        try:
            self.prize_minor = parse_money(field.data or "", self.currency.data or "", str(get_locale() or "en"))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def validate_prize_split(self, field: Any) -> None:
        try:
            split = parse_split(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        count = self.prize_count.data if isinstance(self.prize_count.data, int) else None
        if not split and count == 1:
            split = [100]
        if count is not None and len(split) != count:
            raise ValidationError(_l("Enter one percentage for each of the %(count)d prizes (you entered "
                                     "%(given)d).", count=count, given=len(split)))
        if any(p < 1 for p in split):
            raise ValidationError(_l("Each prize needs a share of at least 1 percent."))
        if sum(split) != 100:
            raise ValidationError(_l("The percentages must add up to 100; they add up to %(sum)d.", sum=sum(split)))
        self.split = split

    def validate_eligibility(self, field: Any) -> None:
        allowed = {e.value for e in ELIGIBILITY_LABELS}
        if not field.data:
            raise ValidationError(_l("Choose at least one group of people who may enter."))
        if any(v not in allowed for v in field.data):
            raise ValidationError(_l("Choose from the listed groups."))

    def validate_allow_individuals(self, field: Any) -> None:
        if not field.data and not self.allow_teams.data:
            raise ValidationError(_l("Allow individuals, teams or both."))

    def validate_accepted_licences(self, field: Any) -> None:
        allowed = {lic.value for lic in Licence}
        if not field.data:
            raise ValidationError(_l("Choose at least one licence that teams may use."))
        if any(v not in allowed for v in field.data):
            raise ValidationError(_l("Choose from the listed licences."))

    def validate_concept_publication(self, field: Any) -> None:
        if field.data not in {p.value for p in ConceptPublication}:
            raise ValidationError(_l("Choose what is published after the results."))

    def validate_max_team_size(self, field: Any) -> None:
        if self.allow_teams.data and isinstance(field.data, int) and field.data < 2:
            raise ValidationError(_l("A team has at least 2 people. Enter 2 or more, or do not allow teams."))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        zone_ok = not self.timezone.errors
        for name in TIME_FIELDS:
            fld = self[name]
            self.utc[name] = None
            if fld.errors or fld.data is None or not zone_ok:
                continue
            try:
                self.utc[name] = local_to_utc(fld.data, self.timezone.data)
            except ValueError as exc:
                fld.errors.append(str(exc))
                ok = False
        for name, message in timeline_errors(**self.utc).items():
            if not self[name].errors:
                self[name].errors.append(str(message))
                ok = False
        return ok

    def values(self, cover_hash: str | None) -> dict[str, Any]:
        allowed = [e.value for e in ELIGIBILITY_LABELS]
        return {**super().values(cover_hash),
                "prize_minor": self.prize_minor, "currency": self.currency.data, "prize_count": self.prize_count.data,
                "prize_split": self.split,
                "eligibility": [e for e in allowed if e in (self.eligibility.data or [])],
                "allow_individuals": bool(self.allow_individuals.data), "allow_teams": bool(self.allow_teams.data),
                "max_team_size": self.max_team_size.data,
                "accepted_licences": [lic.value for lic in Licence if lic.value in (self.accepted_licences.data or [])],
                "concept_publication": self.concept_publication.data,
                "max_concept_files": self.max_concept_files.data,
                "max_concept_file_mb": self.max_concept_file_mb.data,
                "allow_multiple_concepts": bool(self.allow_multiple_concepts.data),
                "is_blind": bool(self.is_blind.data),
                "timezone": self.timezone.data,
                **{name: self.utc.get(name) for name in TIME_FIELDS}}


# ---------------------------------------------------------------- the rubric
class CriterionForm(Form):
    """One row of the rubric, prefixed "criteria-<n>-"; a row without a name is dropped."""

    criterion_id = HiddenField()
    name = StringField(_l("Name"), filters=[_strip],
                       validators=[TextLength(max=120)])
    description = TextAreaField(_l("Description"), filters=[_strip],
                                validators=[TextLength(max=1000)],
                                description=_l("What the jury looks for."))
    weight = WholeNumberField(_l("Weight in percent"), validators=[
        InputRequired(message=_l("Enter a weight from 1 to 100.")),
        NumberRange(min=1, max=100, message=_l("Enter a weight from %(min)s to %(max)s."))])
    scale_min = WholeNumberField(_l("Lowest score"), default=1, validators=[
        InputRequired(message=_l("Enter the lowest score, for example 1.")),
        NumberRange(min=0, max=100, message=_l("Enter a whole number from %(min)s to %(max)s."))])
    scale_max = WholeNumberField(_l("Highest score"), default=5, validators=[
        InputRequired(message=_l("Enter the highest score, for example 5.")),
        NumberRange(min=1, max=100, message=_l("Enter a whole number from %(min)s to %(max)s."))])
    anchors = TextAreaField(_l("Texts for the levels (optional)"), validators=[TextLength(max=3000)],
                            description=_l("One level per line, for example “1: No evidence” and "
                                           "“5: Convincing evidence”."))

    def is_blank(self) -> bool:
        return not (self.name.data or "").strip()

    def validate_scale_max(self, field: Any) -> None:
        low = self.scale_min.data
        if isinstance(low, int) and isinstance(field.data, int) and field.data <= low:
            raise ValidationError(_l("The highest score must be greater than the lowest (%(min)d).", min=low))

    def validate_anchors(self, field: Any) -> None:
        low, high = self.scale_min.data, self.scale_max.data
        if not (isinstance(low, int) and isinstance(high, int) and low < high):
            return
        try:
            self.parsed_anchors = parse_anchors(field.data or "", low, high)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def to_input(self) -> CriterionInput:
        raw_id = (self.criterion_id.data or "").strip()
        return CriterionInput(id=int(raw_id) if raw_id.isdigit() else None, name=self.name.data,
                              description=self.description.data or "", weight=self.weight.data,
                              scale_min=self.scale_min.data, scale_max=self.scale_max.data,
                              anchors=getattr(self, "parsed_anchors", {}))


class RubricForm(FlaskForm):
    """The rubric page: the CSRF token, the row count and the reason; rows are CriterionForms."""

    rows = WholeNumberField(validators=[Optional()])
    reason = TextAreaField(_l("Reason for the change"), filters=[_strip],
                           validators=[TextLength(max=1000)],
                           description=_l("Shown in the public change log and emailed to followers."))


def row_count(form: RubricForm, existing: int) -> int:
    """How many rows the posted page had (bounded), or the existing rows plus two empty ones."""
    value = form.rows.data if isinstance(form.rows.data, int) else existing + 2
    return max(1, min(value, MAX_CRITERIA + 2))


def criterion_rows(formdata: Any, count: int) -> list[CriterionForm]:
    return [CriterionForm(formdata, prefix=f"criteria-{i}-") for i in range(count)]


# The row buttons of the rubric page (submit buttons, so that they work without JavaScript).
ROW_ACTIONS = ("remove_row", "move_up", "move_down")


def row_action(formdata: Any, count: int) -> tuple[str, int] | None:
    """The row button that sent the form, as (action, row index), if one did; a row that is not
    on the page raises ValueError."""
    for action in ROW_ACTIONS:
        if action in formdata:
            raw = (formdata.get(action) or "").strip()
            if not raw.isdigit() or int(raw) >= count:
                raise ValueError(action)
            return action, int(raw)
    return None


def rows_in_order(formdata: Any, order: list[int]) -> MultiDict[str, Any]:
    """The posted form with the rows `order` lists, renumbered 0, 1, ...: everything typed is kept,
    including what does not validate yet (it is shown again, not saved)."""
    out: MultiDict[str, Any] = MultiDict()
    for key in formdata:
        if not key.startswith("criteria-"):
            out.setlist(key, formdata.getlist(key))
    for new, old in enumerate(order):
        prefix = f"criteria-{old}-"
        for key in formdata:
            if key.startswith(prefix):
                out.setlist(f"criteria-{new}-{key[len(prefix):]}", formdata.getlist(key))
    out["rows"] = str(len(order))
    return out
