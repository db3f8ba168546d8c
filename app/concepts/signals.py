"""The concepts feature's named blinker signals: how features above it take part without being
imported (STYLE §1). Judging connects its receiver in its own `init_app`."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent when the `winners` publication setting needs to know which concepts won; sender is the
#: Challenge. A receiver returns a set of concept ids (judging: the final decision's prizes and
#: honourable mentions). No receiver, or no final decision, publishes nothing.
winners_requested = _signals.signal("concepts.winners-requested")
