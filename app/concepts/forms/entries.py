"""Forms of the organisers' concept pages: the entries filter (GET, allowlisted values, S31),
ineligibility, and a per-team extension (local time in the challenge's zone, like the editor)."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Optional, ValidationError

from app.challenges.forms.editor import LocalDateTimeField, local_to_utc
from app.challenges.forms.public import ChoiceField
from app.concepts.services.entries import REASON_MAX, EntryFilters, parse_reference
from app.core.forms import TextLength
from app.i18n import _l
from app.i18n_setup import LANGUAGE_NAMES


class EntryFilterForm(FlaskForm):
    """Read from the query string; no CSRF token, because filtering changes nothing."""

    class Meta:
        csrf = False

    q = StringField(_l("Search in titles and summaries"), validators=[Optional(), TextLength(max=100, quiet=True)])
    eligibility = ChoiceField(_l("Eligibility"), default="all")
    language = ChoiceField(_l("Language"))
    tag = ChoiceField(_l("Tag"))
    team = ChoiceField(_l("Team or individual"))
    sort = ChoiceField(_l("Sort by"), default="submitted")

    def __init__(self, *args: Any, languages: list[str], tags: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.eligibility.choices = [("all", _l("All entries")), ("eligible", _l("Eligible")),
                                    ("ineligible", _l("Ineligible"))]
        self.language.choices = [("", _l("Any language"))] + [(c, LANGUAGE_NAMES.get(c, c)) for c in languages]
        self.tag.choices = [("", _l("Any tag"))] + [(t, t) for t in tags]
        self.team.choices = [("", _l("Teams and individuals")), ("team", _l("Teams only")),
                             ("individual", _l("Individuals only"))]
        self.sort.choices = [("submitted", _l("Submitted first")), ("title", _l("Title"))]

    def filters(self) -> EntryFilters:
        def value(name: str) -> str | None:
            data = self[name].data
            return data.strip() if isinstance(data, str) and data.strip() else None

        return EntryFilters(eligibility=value("eligibility") or "all", language=value("language"),
                            tag=value("tag"), team=value("team"), q=value("q"), sort=value("sort") or "submitted")


class IneligibleForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[
        DataRequired(_l("Give the reason: the team will read it.")),
        TextLength(max=REASON_MAX)],
        description=_l("The team sees this reason on its concept page and in an email."))


class EligibleForm(FlaskForm):
    pass


class ExtensionForm(FlaskForm):
    concept = StringField(_l("Concept reference"), validators=[DataRequired(_l("Enter the concept's reference."))],
                          description=_l("As the team sees it on its concept page, for example C-123."))
    until = LocalDateTimeField(_l("New deadline for this team"),
                               validators=[DataRequired(_l("Enter the new deadline."))])
    reason = TextAreaField(_l("Reason"), validators=[
        DataRequired(_l("Give the reason for the extension: it is kept in the record.")),
        TextLength(max=REASON_MAX)],
        description=_l("For example: illness in the team, documented by email. The team sees it."))

    def __init__(self, *args: Any, timezone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timezone = timezone
        self.until.description = _l("Local time in %(zone)s, the challenge's time zone.", zone=timezone)
        self.concept_id: int | None = None
        self.until_utc: Any = None

    def validate_concept(self, field: Any) -> None:
        self.concept_id = parse_reference(field.data)
        if self.concept_id is None:
            raise ValidationError(_l("Enter a reference like C-123."))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if not self.until.errors and self.until.data is not None:
            try:
                self.until_utc = local_to_utc(self.until.data, self.timezone)
            except ValueError as exc:
                self.until.errors.append(str(exc))
                ok = False
        return ok
