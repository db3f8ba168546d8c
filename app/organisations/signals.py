"""The organisations feature's named signals: how features above it add to its pages without being
imported (challenges adds the organisation's challenges to its public page)."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent by the public organisation page; sender is the Organisation, with `viewer` (the current
#: user, maybe anonymous). A receiver returns a dict of template context for organisations/detail.html.
page_requested = _signals.signal("organisations.page-requested")
