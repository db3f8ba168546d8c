"""The ranking form: a rank from 1 to n per entry of the round (checked in services/ranking.py)."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired
from wtforms.widgets import HiddenInput

from app.i18n import _l
from app.judging.services.ranking import rank_field


class _RankingBase(FlaskForm):
    lock_version = IntegerField(widget=HiddenInput(), validators=[
        InputRequired(message=_l("The form is incomplete. Reload the page and try again."))])

    labels: dict[int, str] = {}

    def raw_ranks(self) -> dict[int, str]:
        return {cid: self[rank_field(label)].data or "" for cid, label in self.labels.items()}


def ranking_form_class(entries: list[Any]) -> type[_RankingBase]:
    """`rank_<label>`: a choice of "", 1..n for each entry (n = the number of entries)."""
    n = len(entries)
    choices = [SelectChoice("", _l("No rank yet")), *(SelectChoice(str(i), str(i)) for i in range(1, n + 1))]
    attrs: dict[str, Any] = {"labels": {e.concept_id: e.label for e in entries}}
    for e in entries:
        # validate_choice=False: the service names a wrong rank at its field, in words.
        attrs[rank_field(e.label)] = SelectField(_l("Rank of %(label)s", label=e.label), choices=choices,
                                                 validate_choice=False)
    return type("RankingForm", (_RankingBase,), attrs)
