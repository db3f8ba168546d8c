"""The concepts feature's named blinker signals: how features above it take part without being
imported (STYLE §1). Judging connects its receiver in its own `init_app`."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent when the `winners` publication setting needs to know which concepts won; sender is the
#: Challenge. A receiver returns a set of concept ids (judging: the final decision's prizes and
#: honourable mentions). No receiver, or no final decision, publishes nothing.
winners_requested = _signals.signal("concepts.winners-requested")

#: Sent before an organiser's entries page, file or export is served, with `user`; sender is the
#: Challenge. A receiver returns a refusal (a lazily translated message) or None. Judging refuses
#: the organisation's staff who sit on the challenge's blind jury: the entries pages show the
#: teams, which a blind juror must never see (S19).
entries_requested = _signals.signal("concepts.entries-requested")
