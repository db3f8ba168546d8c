"""What every feature's forms share: the length limit of a text field.

A text over its limit is never cut. WTForms' `Length` puts `maxlength` on the input, and a browser
then silently drops whatever is pasted past the limit; `TextLength` sets no such attribute. The
field macro shows the limit as a hint (and app/static/js/counter.js counts down from it), and the
server's message names the field and says how much was written, so nobody has to guess what to cut.
"""
from __future__ import annotations

from typing import Any

from wtforms import Field
from wtforms.validators import Length, ValidationError

from app.i18n import _, _n


def text_length(value: Any) -> int:
    """Characters as a person counts them (and as counter.js does): a line break is one, \\r\\n or not."""
    return len(normalise_newlines(value)) if isinstance(value, str) else 0


def normalise_newlines(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n")


class TextLength(Length):
    """A length limit whose message names the field: "Title: at most 200 characters (you wrote 243)."

    `quiet` fields (an email address, a search) show no hint; their counter appears only near the
    limit. `stated`: the field's description already names the limit, so no second hint (the
    counter still shows). Line breaks are stored as "\\n" so that what was counted is what is stored.
    """

    def __init__(self, max: int = -1, min: int = -1, *, quiet: bool = False, stated: bool = False) -> None:  # noqa: A002
        super().__init__(min=min, max=max)
        self.quiet = quiet
        self.stated = stated
        self.field_flags = {}  # no maxlength/minlength attribute: see the module docstring

    def __call__(self, form: Any, field: Field) -> None:
        if isinstance(field.data, str) and "\r" in field.data:
            field.data = normalise_newlines(field.data)
        length = text_length(field.data)
        label = field_name(field)
        if self.max != -1 and length > self.max:
            raise ValidationError(_n("%(field)s: at most %(num)d character (you wrote %(length)d).",
                                     "%(field)s: at most %(num)d characters (you wrote %(length)d).",
                                     self.max, field=label, length=length))
        if self.min != -1 and length < self.min:
            raise ValidationError(_n("%(field)s: at least %(num)d character (you wrote %(length)d).",
                                     "%(field)s: at least %(num)d characters (you wrote %(length)d).",
                                     self.min, field=label, length=length))


def field_name(field: Field) -> str:
    """The field's label as the reader sees it (its name if it has none)."""
    text = str(field.label.text) if field.label and field.label.text else field.name
    return text.strip().rstrip(":")


def length_limit(field: Any) -> TextLength | None:
    """The field's TextLength validator with a maximum, if it has one (read by the field macro)."""
    for validator in getattr(field, "validators", ()):
        if isinstance(validator, TextLength) and validator.max != -1:
            return validator
    return None


def counter_attrs() -> dict[str, str]:
    """The counter's texts, in the reader's language, as data attributes for counter.js (which
    fills in `{n}`). Literal calls, so that the extractor finds them."""
    return {
        "data-left-one": _n("%(count)s character left", "%(count)s characters left", 1, count="{n}"),
        "data-left-other": _n("%(count)s character left", "%(count)s characters left", 2, count="{n}"),
        "data-over-one": _n("%(count)s character too many", "%(count)s characters too many", 1, count="{n}"),
        "data-over-other": _n("%(count)s character too many", "%(count)s characters too many", 2, count="{n}"),
    }


def limit_hint(limit: TextLength) -> str:
    return _("At most %(max)d characters.", max=limit.max)
