"""The only place that imports gettext functions; everything else imports from here."""
from flask_babel import gettext as _
from flask_babel import ngettext as _n
from flask_babel.speaklater import LazyString
from markupsafe import escape


class SafeLazyString(LazyString):
    """A lazy message that a template escapes like any text. Flask-Babel's LazyString declares
    `__html__` (returning itself unescaped), so `{{ error }}` printed a message such as
    "%(name)s is the jury's only chair" with the user's name as raw HTML (S28)."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def _l(string: str, **variables: object) -> SafeLazyString:
    """lazy_gettext: translated when used, escaped when printed in a template."""
    return SafeLazyString(_, string, **variables)


__all__ = ["SafeLazyString", "_", "_l", "_n"]
