"""The only place that imports gettext functions; everything else imports from here."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext as _n

__all__ = ["_", "_l", "_n"]
