"""The conflict declaration form: a checkbox and a reason per entry, built for the challenge's
entries, and the confirmation that the list is complete (P09)."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField

from app.i18n import _l


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class _DeclarationBase(FlaskForm):
    confirm_all = BooleanField(_l("I have declared all my conflicts of interest"))

    labels: dict[int, str] = {}

    def declarations(self) -> dict[int, str]:
        """{concept id: reason} for every ticked entry."""
        return {cid: self[f"reason_{label}"].data or "" for cid, label in self.labels.items()
                if self[f"conflict_{label}"].data}


def declaration_form_class(entries: list[Any]) -> type[_DeclarationBase]:
    """`conflict_<label>` (a checkbox) and `reason_<label>` for each entry not yet declared."""
    attrs: dict[str, Any] = {"labels": {e.concept_id: e.label for e in entries}}
    for e in entries:
        attrs[f"conflict_{e.label}"] = BooleanField(_l("I have a conflict of interest with %(label)s", label=e.label))
        attrs[f"reason_{e.label}"] = TextAreaField(_l("Why (%(label)s)", label=e.label), filters=[_strip],
                                                   render_kw={"rows": 2})
    return type("DeclarationForm", (_DeclarationBase,), attrs)
