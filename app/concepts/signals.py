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

#: Sent by a published concept's page, with `limit`; sender is the Concept. A receiver returns a
#: list of other published concepts like it (from other challenges), most similar first, each with
#: `title`, `url`, `language`, `organisation_name`, `challenge_title` and `year`.
similar_requested = _signals.signal("concepts.similar-requested")

#: Sent by the workspace while a team writes, with `text` (the draft's title, summary and the start
#: of its body), `language` and `limit`; sender is the Concept. A receiver returns a list of public
#: documents like the text (published concepts and challenges, never the draft itself), each with
#: `type` ("challenge" or "concept") and the fields above. The draft's text is only a query: it is
#: never stored or indexed.
prior_art_requested = _signals.signal("concepts.prior-art-requested")
