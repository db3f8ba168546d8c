"""The challenges feature's named signals: how features above it take part without being imported.

Challenges sits below concepts and judging, so it never imports them; they connect receivers to
these signals in their own `init_app`, and a test checks that every receiver is connected after
create_app().
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent before an organiser's step on the manage page, with `target` (ChallengeState) and `now`;
#: sender is the Challenge. A receiver returns a refusal (a lazily translated message) or None.
step_requested = _signals.signal("challenges.step-requested")

#: Sent by the organisation dashboard and the manage page with `challenge_ids` (a list, or a
#: subquery of ids); sender is the app. A receiver returns {challenge id: (drafts, submitted)}.
concept_counts_requested = _signals.signal("challenges.concept-counts-requested")

#: Sent by lifecycle after a step is recorded (in the same transaction), with `from_state`,
#: `to_state` (ChallengeState), `actor` (None for the clock) and `now`; sender is the Challenge.
#: Judging draws the entries' labels when judging starts and tells participants their outcome
#: when results are published.
state_changed = _signals.signal("challenges.state-changed")

#: Sent by the periodic task (`flask challenges tick`) inside its transaction, with `now`; sender
#: is the app. A receiver does its own due work (judging: deadline reminders, results due at
#: `results_at`) and returns how many things it did.
tick_requested = _signals.signal("challenges.tick-requested")

#: Sent by the public challenge page, with `limit`; sender is the Challenge. A receiver returns a
#: list of other public challenges like this one, most similar first, each with `title`, `url`,
#: `language`, `organisation_name` and `year` (search: more-like-this over the public index). No
#: receiver, or an index that cannot answer, leaves the section out.
related_requested = _signals.signal("challenges.related-requested")
