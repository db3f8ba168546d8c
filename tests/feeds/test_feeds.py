"""Atom feeds and iCalendar files, parsed as real readers do (feedparser, icalendar): the right
entries, stable identifiers, UTC times, and never a draft, whoever asks (S17, S18)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import pytest
from icalendar import Calendar
from public_helpers import client_as, tag

from app.core.timeutil import clock

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(app, make_org, make_challenge) -> dict[str, Any]:
    clock.set(NOW)
    org = make_org("Fjordvik Kommune")
    other = make_org("Malmö AB", country="SE", kind="company")
    pending = make_org("Pending Kommune", status="pending")
    c = {
        "org": org, "other": other, "pending": pending,
        "open": make_challenge("open", org=org, title="Open bins", opens_at=NOW - timedelta(days=5),
                               deadline_at=NOW + timedelta(days=10), published_at=NOW - timedelta(days=6)),
        "scheduled": make_challenge("scheduled", org=org, title="Soon buses", published_at=NOW - timedelta(days=1)),
        "closed": make_challenge("closed", org=other, title="Closed loneliness", published_at=NOW - timedelta(days=50)),
        "cancelled": make_challenge("cancelled", org=other, title="Cancelled parks", cancel_reason="No budget",
                                    deadline_at=NOW + timedelta(days=3), published_at=NOW - timedelta(days=20)),
        "old": make_challenge("archived", org=other, title="Ancient archive", deadline_at=NOW - timedelta(days=200),
                              published_at=NOW - timedelta(days=260)),
        "draft": make_challenge("draft", org=org, title="Top secret draft"),
        "hidden": make_challenge("open", org=pending, title="Pending organisation's challenge"),
    }
    tag(app, c["open"], "waste")
    tag(app, c["draft"], "waste")
    tag(app, c["closed"], "health")
    return c


VIEWERS = ("anonymous", "plain", "other_staff", "own_staff", "admin")


def viewer(app: Any, make_user: Any, world: dict[str, Any], who: str) -> Any:
    emails = {"anonymous": None, "plain": "plain@example.org", "other_staff": world["other"]["owner"],
              "own_staff": world["org"]["editor"], "admin": "admin@example.org"}
    if who == "plain":
        make_user("plain@example.org")
    if who == "admin":
        make_user("admin@example.org", admin=True)
    return client_as(app, emails[who])


def parse_atom(response: Any) -> Any:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


@pytest.mark.parametrize("who", VIEWERS)
def test_the_atom_feed_lists_published_challenges_and_never_a_draft(app, make_user, world, who) -> None:
    client = viewer(app, make_user, world, who)
    response = client.get("/feeds/challenges.atom")
    feed = parse_atom(response)
    titles = [e.title for e in feed.entries]
    # Newest publication first; cancelled ones stay (their page says why); drafts and challenges of
    # unapproved organisations never appear.
    assert titles == ["Soon buses", "Open bins", "Cancelled parks", "Closed loneliness", "Ancient archive"]
    raw = response.get_data(as_text=True)
    assert "Top secret draft" not in raw
    assert "Pending organisation" not in raw


@pytest.mark.both_databases
def test_atom_entries_have_stable_ids_links_dates_and_summaries(app, client, world) -> None:
    first = parse_atom(client.get("/feeds/challenges.atom"))
    entry = next(e for e in first.entries if e.title == "Open bins")
    assert entry.id.startswith("tag:localhost,")
    assert entry.id.endswith(f":challenge/{world['open']['id']}")
    assert entry.link == f"http://localhost/challenges/{world['open']['slug']}"
    assert entry.summary == "Help residents sort cardboard correctly."
    assert entry.published_parsed[:3] == (2027, 2, 23)
    assert entry.updated_parsed is not None
    assert entry.author == "Fjordvik Kommune"
    assert [t.term for t in entry.tags] == ["waste"]
    assert first.feed.id == "http://localhost/feeds/challenges.atom"
    assert any(link.rel == "self" for link in first.feed.links)
    clock.set(NOW + timedelta(days=1))
    again = parse_atom(client.get("/feeds/challenges.atom"))
    assert [e.id for e in again.entries] == [e.id for e in first.entries]  # ids do not move


@pytest.mark.both_databases
def test_organisation_and_topic_feeds(client, world) -> None:
    org = parse_atom(client.get(f"/feeds/organisations/{world['org']['slug']}.atom"))
    assert [e.title for e in org.entries] == ["Soon buses", "Open bins"]
    assert "Fjordvik Kommune" in org.feed.title
    topic = parse_atom(client.get("/feeds/tags/waste.atom"))
    assert [e.title for e in topic.entries] == ["Open bins"]  # the draft with the same topic stays out
    assert "Top secret draft" not in client.get("/feeds/tags/waste.atom").get_data(as_text=True)
    assert client.get("/feeds/tags/no-such-topic.atom").status_code == 404
    assert client.get("/feeds/organisations/no-such-org.atom").status_code == 404
    # S18: an organisation that is not approved has no feed, even with challenges marked published.
    assert client.get(f"/feeds/organisations/{world['pending']['slug']}.atom").status_code == 404


def test_an_empty_feed_is_still_valid(client, make_org) -> None:
    org = make_org()
    feed = parse_atom(client.get(f"/feeds/organisations/{org['slug']}.atom"))
    assert feed.entries == []
    assert feed.feed.updated


def parse_ics(response: Any) -> Calendar:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.get_data()
    cal = Calendar.from_ical(raw)
    assert cal["VERSION"] == "2.0"
    assert cal["PRODID"]
    assert b"VTIMEZONE" not in raw  # every time is in UTC
    return cal


def events(cal: Calendar) -> list[Any]:
    return list(cal.walk("VEVENT"))


@pytest.mark.parametrize("who", VIEWERS)
def test_the_deadline_calendar_has_public_deadlines_only(app, make_user, world, who) -> None:
    client = viewer(app, make_user, world, who)
    response = client.get("/calendar/deadlines.ics")
    cal = parse_ics(response)
    found = {str(e["SUMMARY"]): e for e in events(cal)}
    # Deadlines ahead, and those passed within 30 days; not the ancient one; never a draft.
    assert set(found) == {"Deadline: Open bins", "Deadline: Soon buses", "Deadline: Closed loneliness",
                          "Deadline: Cancelled parks"}
    raw = response.get_data(as_text=True)
    assert "Top secret draft" not in raw
    assert "Pending organisation" not in raw
    bins = found["Deadline: Open bins"]
    assert str(bins["UID"]) == f"challenge-{world['open']['id']}-deadline@localhost"
    assert bins["DTSTART"].dt == NOW + timedelta(days=10)
    assert bins["DTSTART"].dt.utcoffset() == timedelta(0)
    assert "DTSTART:20270311T090000Z" in raw
    assert bins["DTSTAMP"].dt.tzinfo is not None
    assert str(bins["URL"]) == f"http://localhost/challenges/{world['open']['slug']}"
    assert str(bins["STATUS"]) == "CONFIRMED"
    assert str(found["Deadline: Cancelled parks"]["STATUS"]) == "CANCELLED"


@pytest.mark.both_databases
def test_a_challenge_calendar_has_its_dates_with_the_same_uids(client, world) -> None:
    slug = world["open"]["slug"]
    cal = parse_ics(client.get(f"/challenges/{slug}/calendar.ics"))
    kinds = {str(e["UID"]).split("-")[2].split("@")[0]: e for e in events(cal)}
    assert set(kinds) == {"opens", "deadline", "results"}
    assert kinds["opens"]["DTSTART"].dt == NOW - timedelta(days=5)
    everywhere = {str(e["UID"]) for e in events(parse_ics(client.get("/calendar/deadlines.ics")))}
    assert str(kinds["deadline"]["UID"]) in everywhere  # one event, whichever calendar it came from
    again = parse_ics(client.get(f"/challenges/{slug}/calendar.ics"))
    assert [str(e["UID"]) for e in events(again)] == [str(e["UID"]) for e in events(cal)]


@pytest.mark.parametrize("who", VIEWERS)
def test_a_draft_has_no_calendar_for_anyone(app, make_user, world, who) -> None:
    client = viewer(app, make_user, world, who)
    assert client.get(f"/challenges/{world['draft']['slug']}/calendar.ics").status_code == 404
    assert client.get(f"/challenges/{world['hidden']['slug']}/calendar.ics").status_code == 404
    assert client.get("/challenges/no-such/calendar.ics").status_code == 404


def test_feeds_are_announced_in_page_heads(client, world) -> None:
    head = client.get("/challenges/").get_data(as_text=True).split("</head>")[0]
    assert 'type="application/atom+xml"' in head
    assert 'href="/feeds/challenges.atom"' in head
    assert 'type="text/calendar"' in head
    assert 'href="/calendar/deadlines.ics"' in head
    filtered = client.get("/challenges/?tag=waste").get_data(as_text=True).split("</head>")[0]
    assert 'href="/feeds/tags/waste.atom"' in filtered


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


def test_a_browser_gets_a_page_on_how_to_subscribe_and_readers_get_the_feed(client, make_challenge) -> None:
    """Issue 12, item 6: an Atom or iCalendar link opened in a browser explains how to subscribe,
    with the address to copy; feed readers and calendar apps still get the file."""
    ch = make_challenge("open")
    for path, mime in (("/feeds/challenges.atom", "application/atom+xml"), ("/calendar/deadlines.ics", "text/calendar"),
                       (f"/challenges/{ch['slug']}/calendar.ics", "text/calendar")):
        page = client.get(path, headers={"Accept": BROWSER_ACCEPT})
        assert page.status_code == 200
        assert page.mimetype == "text/html"
        html = page.get_data(as_text=True)
        assert f'value="http://localhost{path}"' in html
        assert "Accept" in page.headers["Vary"]
        for accept in (None, "*/*", mime, f"{mime}, application/xml;q=0.9, */*;q=0.8"):
            headers = {"Accept": accept} if accept else {}
            assert client.get(path, headers=headers).mimetype == mime, (path, accept)
        assert client.get(path + "?format=raw", headers={"Accept": BROWSER_ACCEPT}).mimetype == mime
