"""The challenge helpers templates call: the state at the clock's now, the countdown, labels, the
cover and attachment links, the question form. Registered app-wide by `init_app`, because the home
page, the organisation page and the editor's preview render challenge partials too."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, url_for

from app.challenges import queries
from app.challenges.forms.qa import QuestionForm
from app.challenges.lifecycle import effective_state
from app.challenges.models import (
    CHALLENGE_STATE_LABELS,
    CHANGE_FIELD_LABELS,
    CONCEPT_PUBLICATION_LABELS,
    ELIGIBILITY_LABELS,
    LICENCE_SHORT,
    QUESTION_STATUS_LABELS,
    SDG_LABELS,
    Challenge,
    ChallengeState,
)
from app.challenges.services import qa
from app.challenges.views.attachments import attachment_panel, attachment_url
from app.core import pagecache
from app.core.formatting import Countdown, duration_text
from app.core.timeutil import as_utc, clock
from app.i18n import _
from app.organisations.models import Organisation


def challenge_state(challenge: Challenge) -> ChallengeState:
    """The effective state at the clock's now, computed on read (no write: S24)."""
    return effective_state(challenge, clock.now())


def challenge_state_label(state: Any) -> str:
    return str(CHALLENGE_STATE_LABELS.get(ChallengeState(state), state))


def sorted_anchors(anchors: dict[str, str] | None) -> list[tuple[str, str]]:
    """Anchor texts by level, in numeric order ("2" before "10")."""
    def key(item: tuple[str, str]) -> tuple[int, str]:
        level = item[0]
        return (int(level), level) if level.lstrip("-").isdigit() else (10**9, level)
    return sorted((anchors or {}).items(), key=key)


def next_clock_change(_app: Any, *, now: datetime) -> datetime | None:
    """Receiver of pagecache.time_bound_requested: cached pages end when a challenge opens or closes."""
    return queries.next_clock_change(now=now)


def _text_changes(target: datetime, now: datetime) -> None:
    """A countdown's text changes every hour while it shows days, every minute after that
    (core.formatting.duration_text): the page cache keeps the page no longer."""
    left = (target - now).total_seconds()
    step = 3600 if left >= 86400 else 60
    pagecache.changes_at(now + timedelta(seconds=(left % step) or step))


def countdown(challenge: Challenge) -> Countdown | None:
    """The time left until the challenge opens or closes, rendered on the server."""
    now = clock.now()
    state = effective_state(challenge, now)
    if state is ChallengeState.SCHEDULED and challenge.opens_at is not None:
        target = as_utc(challenge.opens_at)
        _text_changes(target, now)
        return Countdown(_("Opens in %(time)s", time=duration_text(target - now)),
                         _("Opens in %(time)s", time="{time}"), target)
    if state is ChallengeState.OPEN and challenge.deadline_at is not None:
        target = as_utc(challenge.deadline_at)
        _text_changes(target, now)
        return Countdown(_("Closes in %(time)s", time=duration_text(target - now)),
                         _("Closes in %(time)s", time="{time}"), target)
    return None


def challenge_public_record(challenge: Challenge) -> queries.PublicRecord:
    """Change log, answered questions and announcements (for _detail_body.html when not given)."""
    if challenge.id is None:
        return queries.PublicRecord([], [], [])
    return queries.public_record(challenge)


def cover_url(challenge: Challenge) -> str | None:
    if not challenge.cover_image_hash:
        return None
    return url_for("challenges.cover", slug=challenge.slug, v=challenge.cover_image_hash[:16])


def questions_open(challenge: Challenge) -> bool:
    """For the challenge page: may questions be asked now?"""
    return qa.accepts_questions(challenge, clock.now())


def question_form() -> QuestionForm:
    """An empty question form, for `challenges/_qa_ask.html` on the challenge page."""
    return QuestionForm(formdata=None)


def organisation_page_context(organisation: Organisation, *, viewer: Any) -> dict[str, Any]:
    """Receiver of organisations.signals.page_requested: the organisation's challenges on its page."""
    return {"challenges": queries.organisation_challenges(organisation, now=clock.now()),
            "following": queries.is_following(viewer, organisation=organisation)}


@dataclass(frozen=True)
class _Labels:
    state: Any
    eligibility: Any
    sdg: Any
    question_status: Any
    change_fields: Any
    licence: Any = None
    publication: Any = None


LABELS = _Labels(state=CHALLENGE_STATE_LABELS, eligibility=ELIGIBILITY_LABELS, sdg=SDG_LABELS,
                 question_status=QUESTION_STATUS_LABELS, change_fields=CHANGE_FIELD_LABELS,
                 licence=LICENCE_SHORT, publication=CONCEPT_PUBLICATION_LABELS)

GLOBALS = (challenge_state, challenge_state_label, sorted_anchors, countdown, challenge_public_record,
           cover_url, questions_open, question_form, attachment_panel, attachment_url)


def init_app(app: Flask) -> None:
    for helper in GLOBALS:
        app.add_template_global(helper)
    app.add_template_global(LABELS, "challenge_labels")
