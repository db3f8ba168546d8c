"""The score sheet form: built per round, one score and one comment field per criterion (A09).

Scores arrive as text and are checked by services/scoring.py (a save may be partial, a submit
may not), so that a wrong value is named at its field and nothing else typed is lost."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired
from wtforms.widgets import HiddenInput

from app.i18n import _l
from app.judging.services.scoring import SheetInput, comment_field, score_field

# Scales with at most this many steps are a radio group with every anchor; longer ones a number field.
MAX_RADIO_STEPS = 11


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class _SheetBase(FlaskForm):
    lock_version = IntegerField(widget=HiddenInput(), validators=[
        InputRequired(message=_l("The form is incomplete. Reload the page and try again."))])
    overall_comment = TextAreaField(
        _l("Comment to the team"), filters=[_strip], render_kw={"rows": 5},
        description=_l("Released to the team with the results, without your name."))
    private_note = TextAreaField(
        _l("Private note to the jury"), filters=[_strip], render_kw={"rows": 3},
        description=_l("Read by the jury only; never shown to the team."))

    criteria: list[Any] = []

    def sheet_input(self) -> SheetInput:
        return SheetInput(
            scores={c.id: self[score_field(c.id)].data or "" for c in self.criteria},
            comments={c.id: self[comment_field(c.id)].data or "" for c in self.criteria},
            overall_comment=self.overall_comment.data or "", private_note=self.private_note.data or "")


def sheet_form_class(criteria: list[Any]) -> type[_SheetBase]:
    """A form class for these criteria: `score_<id>` and `comment_<id>` for each."""
    attrs: dict[str, Any] = {"criteria": list(criteria)}
    for c in criteria:
        attrs[score_field(c.id)] = StringField(c.name, filters=[_strip])
        attrs[comment_field(c.id)] = TextAreaField(_l("Your comment on “%(name)s”", name=c.name), filters=[_strip],
                                                   render_kw={"rows": 3})
    return type("SheetForm", (_SheetBase,), attrs)


def is_radio_scale(criterion: Any) -> bool:
    return criterion.scale_max - criterion.scale_min + 1 <= MAX_RADIO_STEPS
