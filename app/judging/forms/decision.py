"""The shape of the chair's decision form: placement rows, no winner, notes; and the unlock form."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired

from app.core.forms import TextLength
from app.i18n import _l
from app.judging.models import PlacementKind

KIND_LABELS = {PlacementKind.PRIZE: _l("Prize"), PlacementKind.MENTION: _l("Honourable mention")}


class PlacementForm(Form):
    # Choices (the final round's labels) are set by the view; the service checks the label.
    entry = SelectField(_l("Entry"), choices=[], validate_choice=False)
    kind = SelectField(_l("Award"), choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
                       validate_choice=False, default=PlacementKind.PRIZE.value)
    position = StringField(_l("Place"), description=_l("1 for the first prize. Mentions follow the prizes."))
    amount = StringField(_l("Prize amount"))
    citation = TextAreaField(_l("Citation"), validators=[TextLength(max=2000)],
                             description=_l("Published with the results: why the jury chose this concept."))


class DecisionForm(FlaskForm):
    lock_version = HiddenField()
    placements = FieldList(FormField(PlacementForm), min_entries=1, max_entries=60)
    no_winner = BooleanField(_l("The jury names no winner"))
    no_winner_reason = TextAreaField(_l("Public reason for naming no winner"), validators=[TextLength(max=1000)],
                                     description=_l("Required with “no winner”; published with the results."))
    remainder_note = TextAreaField(
        _l("Prize money not awarded"), validators=[TextLength(max=1000)],
        description=_l("Required when the prizes add up to less than the prize money: what happens to the rest "
                       "(published)."))
    report_md = TextAreaField(_l("Jury report"), validators=[TextLength(max=20000)],
                              description=_l("A short public report from the jury, shown with the results "
                                             "(Markdown)."))


class UnlockForm(FlaskForm):
    reason = TextAreaField(_l("Why is the decision unlocked?"), validators=[DataRequired(), TextLength(max=1000)],
                           description=_l("Kept in the audit log."))
