"""Atom feeds (feedgen) and iCalendar files (icalendar) of public challenges.

Only what challenges.queries returns reaches a feed, and it returns only public challenges: a draft
never appears. Identifiers are stable so readers and calendar apps update an entry instead of
duplicating it: entries use tag: URIs made from the challenge id and its creation date (the slug
may change), events use "challenge-<id>-<kind>@<host>" UIDs, the same in every calendar.
All times are UTC ("Z"), so no VTIMEZONE is needed.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from flask import current_app, url_for
from icalendar import Calendar, Event

from app.challenges.models import Challenge, ChallengeState
from app.core.markdown import plain_text
from app.core.timeutil import as_utc
from app.i18n import _

PRODID = "-//Concept Arena//Challenges//EN"


def _base() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def _host() -> str:
    return urlsplit(_base()).hostname or "localhost"


def absolute(endpoint: str, **values: object) -> str:
    """An absolute URL on BASE_URL (never the request's Host header: S08)."""
    return _base() + url_for(endpoint, **values)


def entry_id(challenge: Challenge) -> str:
    """A tag: URI (RFC 4151) that survives a change of slug or of domain name."""
    return f"tag:{_host()},{as_utc(challenge.created_at):%Y-%m-%d}:challenge/{challenge.id}"


def _summary(challenge: Challenge) -> str:
    return challenge.summary or plain_text(challenge.problem_md)[:500]


def _updated(challenge: Challenge) -> datetime:
    moments = [as_utc(m) for m in (challenge.updated_at, challenge.published_at, challenge.state_changed_at) if m]
    return max(moments)


def atom_feed(challenges: Iterable[Challenge], *, title: str, self_url: str, page_url: str,
              language: str, now: datetime) -> bytes:
    """An Atom document listing `challenges` (already filtered to public ones, newest first)."""
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(title)
    fg.subtitle(_("Innovation challenges from Nordic municipalities, companies and universities."))
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.link(href=page_url, rel="alternate", type="text/html")
    fg.language(language)
    fg.author(name="Concept Arena", uri=_base() + "/")
    latest: datetime | None = None
    for challenge in challenges:
        updated = _updated(challenge)
        latest = updated if latest is None or updated > latest else latest
        entry = fg.add_entry(order="append")
        entry.id(entry_id(challenge))
        entry.title(challenge.title)
        entry.link(href=absolute("challenges.detail", slug=challenge.slug), rel="alternate", type="text/html")
        entry.updated(updated)
        if challenge.published_at is not None:
            entry.published(as_utc(challenge.published_at))
        entry.author(name=challenge.organisation.name,
                     uri=absolute("organisations.detail", slug=challenge.organisation.slug))
        entry.summary(_summary(challenge))
        for tag in challenge.tags:
            entry.category(term=tag.slug, label=tag.name)
    fg.updated(latest or now)
    return fg.atom_str(pretty=True)


def _event(challenge: Challenge, kind: str, start: datetime, summary: str) -> Event:
    event = Event()
    event.add("uid", f"challenge-{challenge.id}-{kind}@{_host()}")
    # DTSTAMP/LAST-MODIFIED: when the information last changed, so an unchanged event stays unchanged.
    event.add("dtstamp", _updated(challenge))
    event.add("last-modified", _updated(challenge))
    event.add("dtstart", as_utc(start))  # no DTEND: a moment, as a deadline is (RFC 5545 3.6.1)
    event.add("summary", summary)
    url = absolute("challenges.detail", slug=challenge.slug)
    event.add("url", url)
    event.add("description", f"{challenge.organisation.name}\n{_summary(challenge)}\n\n{url}")
    cancelled = ChallengeState(challenge.state) is ChallengeState.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    return event


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    return cal


def deadlines_calendar(challenges: Iterable[Challenge]) -> bytes:
    """One event per deadline of the given public challenges."""
    cal = _calendar(_("Challenge deadlines on Concept Arena"))
    for challenge in challenges:
        if challenge.deadline_at is not None:
            cal.add_component(_event(challenge, "deadline", challenge.deadline_at,
                                     _("Deadline: %(title)s", title=challenge.title)))
    return cal.to_ical()


def challenge_calendar(challenge: Challenge) -> bytes:
    """The dates of one public challenge: opening, deadline and results."""
    cal = _calendar(challenge.title)
    for kind, moment, summary in (
            ("opens", challenge.opens_at, _("Opens: %(title)s", title=challenge.title)),
            ("deadline", challenge.deadline_at, _("Deadline: %(title)s", title=challenge.title)),
            ("results", challenge.results_at, _("Results: %(title)s", title=challenge.title))):
        if moment is not None:
            cal.add_component(_event(challenge, kind, moment, summary))
    return cal.to_ical()
