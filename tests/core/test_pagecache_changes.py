"""Every kind of public change reaches the next anonymous reader of the cached pages that show it
(issue 13: the page cache must never serve a page older than what it shows).

Each test first reads the affected pages twice as a new anonymous reader (the second is served
from the cache), then makes the change the way its real user does (the real view, logged in as
that user, with a CSRF token; the clock for what the clock changes), then reads again as a new
anonymous reader: the change is there, and the page was rendered afresh (`X-Page-Cache: miss`).
Each was checked to fail with the change's table added to pagecache.PRIVATE_TABLES (or, for the
clock, with the clock's bound switched off).
"""
from __future__ import annotations

import importlib.util
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.challenges.models import Question
from app.concepts.models import Concept
from app.core import pagecache
from app.core.timeutil import clock, utcnow
from app.db import db
from app.search import indexing

# The judging tests' own fixtures, loaded from their file (a conftest's fixtures reach only the
# tests below it), so results are built here as tests/judging builds them.
_spec = importlib.util.spec_from_file_location(
    "_judging_fixtures_for_pagecache", Path(__file__).resolve().parents[1] / "judging" / "conftest.py")
assert _spec is not None
assert _spec.loader is not None
_judging = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_judging)
make_judging = _judging.make_judging
decide = _judging.decide

# Which writes end the cache is read from the SQL each database is sent (pagecache._DML): both.
pytestmark = pytest.mark.both_databases

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def now(app: Flask) -> datetime:
    """The clock frozen at a known moment (before anyone logs in, so sessions stay fresh)."""
    clock.set(NOW)
    return NOW


# ---------------------------------------------------------------- reading as an anonymous reader
def anonymous(app: Flask, url: str, lang: str | None = None) -> Any:
    """One request from a new reader who is not logged in (a fresh client: no cookie at all)."""
    return app.test_client().get(url, headers={"Accept-Language": lang} if lang else {})


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def cached(app: Flask, *urls: str, lang: str | None = None) -> dict[str, str]:
    """Read each page twice as new anonymous readers: the second is the cache's. Returns their texts."""
    pages = {}
    for url in urls:
        first = anonymous(app, url, lang)
        assert first.status_code == 200, url
        second = anonymous(app, url, lang)
        assert second.headers.get("X-Page-Cache") == "hit", url
        assert second.get_data() == first.get_data(), url
        pages[url] = text(second.get_data(as_text=True))
    return pages


def fresh(app: Flask, url: str, lang: str | None = None, status: int = 200) -> str:
    """The next anonymous reader's page: rendered afresh, not the stored copy. Returns its text."""
    response = anonymous(app, url, lang)
    assert response.status_code == status, url
    if status == 200:
        assert response.headers.get("X-Page-Cache") == "miss", url
    return text(response.get_data(as_text=True))


def not_found_twice(app: Flask, url: str) -> None:
    """A page that is not public yet: a 404, never stored (so it cannot go stale)."""
    for _ in range(2):
        response = anonymous(app, url)
        assert response.status_code == 404, url
        assert response.headers.get("X-Page-Cache") != "hit", url


def generation(app: Flask) -> str:
    with app.app_context():
        return pagecache._state(app).generation.current()


# ---------------------------------------------------------------- acting as the real user
class _FormReader(HTMLParser):
    """The fields a browser would send back from the form posting to `action`."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside = action, False
        self.data: dict[str, list[str]] = {}
        self._text: str | None = None
        self._select: str | None = None
        self._chosen: list[str] | None = None

    def _add(self, name: str | None, value: str) -> None:
        if name:
            self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action
        if not self.inside:
            return
        kind = a.get("type", "text")
        if tag == "input" and kind not in ("submit", "button", "file", "image", "reset"):
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._add(a.get("name"), a.get("value", "y" if kind == "checkbox" else ""))
        elif tag == "textarea":
            self._text, self._select = a.get("name"), None
            self._add(self._text, "")
        elif tag == "select":
            self._select, self._chosen = a.get("name"), []
        elif tag == "option" and self._select is not None and "selected" in a and self._chosen is not None:
            self._chosen.append(a.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self.inside and self._text:
            self.data[self._text][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._text:
            self.data[self._text][-1] = self.data[self._text][-1].removeprefix("\n")
            self._text = None
        elif tag == "select" and self._select is not None:
            for value in self._chosen or []:
                self._add(self._select, value)
            self._select = None


def form_of(client: FlaskClient, page: str, action: str, **changes: Any) -> dict[str, Any]:
    """The form on `page` that posts to `action`, as shown (token included), with `changes`."""
    reader = _FormReader(action)
    reader.feed(client.get(page).get_data(as_text=True))
    assert "csrf_token" in reader.data, f"no form posting to {action} on {page}"
    data: dict[str, Any] = {k: v if len(v) > 1 else v[0] for k, v in reader.data.items()}
    data.update(changes)
    return data


def post_ok(client: FlaskClient, url: str, data: dict[str, Any]) -> None:
    response = client.post(url, data=data)
    assert response.status_code == 302, text(response.get_data(as_text=True))[:2000]


# ---------------------------------------------------------------- (1) an edit by the organisation
def test_a_challenge_edit_shows_on_its_page_and_in_the_list(app, client, now, make_challenge, login) -> None:
    challenge = make_challenge("open", deadline_at=NOW + timedelta(days=14))
    page, listing = f"/challenges/{challenge['slug']}", "/challenges/"
    calendar = f"{page}/calendar.ics"
    login(challenge["org"]["editor"])
    before = cached(app, page, listing, calendar)
    assert "Feb 3, 2027" not in before[page]
    assert "20270203" not in before[calendar]
    edit = f"/challenges/{challenge['slug']}/edit"
    post_ok(client, edit, form_of(client, edit, edit, title="Fewer pizza boxes in the paper bin",
                                  summary="Pizza boxes, sorted at the door.", deadline_at="2027-02-03T12:00",
                                  reason="More time for student teams."))
    shown = fresh(app, page)
    assert "Fewer pizza boxes in the paper bin" in shown
    assert "Pizza boxes, sorted at the door." in shown
    assert "Feb 3, 2027" in shown
    listed = fresh(app, listing)
    assert "Fewer pizza boxes in the paper bin" in listed
    assert "Pizza boxes, sorted at the door." in listed
    assert "20270203T110000Z" in fresh(app, calendar)  # 12:00 in Copenhagen


# ---------------------------------------------------------------- (2) publishing a challenge
def test_a_published_challenge_appears_everywhere_at_once(app, client, now, make_org, make_challenge,
                                                          login) -> None:
    org = make_org()
    draft = make_challenge("draft", org=org, title="Quiet streets at night", opens_at=NOW - timedelta(hours=1),
                           deadline_at=NOW + timedelta(days=20))
    pages = ("/challenges/", "/", f"/organisations/{org['slug']}", "/feeds/challenges.atom")
    login(org["owner"])
    for seen in cached(app, *pages).values():
        assert "Quiet streets at night" not in seen
    own = f"/challenges/{draft['slug']}"
    not_found_twice(app, own)
    post_ok(client, f"{own}/publish", form_of(client, f"{own}/edit", f"{own}/publish"))
    for url in pages:
        assert "Quiet streets at night" in fresh(app, url), url
    assert "Quiet streets at night" in fresh(app, own)


# ---------------------------------------------------------------- (3) a Q&A answer
def test_a_published_answer_shows_on_the_challenge_page(app, client, make_challenge, make_user,
                                                                         login) -> None:
    challenge = make_challenge("open")
    with app.app_context():
        question = Question(challenge_id=challenge["id"], asked_by_id=make_user(),
                            body="May a team include people from two universities?")
        db.session.add(question)
        db.session.commit()
        qid = question.id
    base = f"/challenges/{challenge['slug']}"
    # The questions pages are the organisers' (log in first): the public reads Q&A on the challenge page.
    login(challenge["org"]["editor"])
    assert "two universities" not in cached(app, base)[base]  # pending: never public
    url = f"{base}/questions/{qid}"
    post_ok(client, f"{url}/answer", form_of(client, url, f"{url}/answer",
                                             answer="Yes: mixed teams are welcome, said the organisers."))
    shown = fresh(app, base)
    assert "two universities" in shown
    assert "mixed teams are welcome, said the organisers" in shown


# ---------------------------------------------------------------- (4) a concept becoming public
def test_a_concept_that_becomes_public_is_listed_and_readable(app, client, make_challenge, make_concept,
                                                             login) -> None:
    # Under the "all" setting every eligible entry is published with the results; an entry the
    # organisers had marked ineligible becomes public the moment they take the mark back.
    challenge = make_challenge("results", concept_publication="all")
    make_concept("submitted", challenge=challenge, title="Already public idea")
    late = make_concept("submitted", challenge=challenge, title="Bins with pictures on them",
                        ineligible_at=utcnow(), ineligible_reason="Sent by post")
    listing = f"/challenges/{challenge['slug']}/concepts"
    own = f"{listing}/{late['id']}"
    login(challenge["org"]["owner"])
    seen = cached(app, listing)[listing]
    assert "Already public idea" in seen
    assert "Bins with pictures on them" not in seen
    not_found_twice(app, own)
    entry = f"/challenges/{challenge['slug']}/entries/{late['id']}"
    post_ok(client, f"{entry}/eligible", form_of(client, entry, f"{entry}/eligible"))
    assert "Bins with pictures on them" in fresh(app, listing)
    assert "Bins with pictures on them" in fresh(app, own)


# ---------------------------------------------------------------- (5) an organisation approved
def test_an_approved_organisation_appears_in_the_list_and_on_the_home_page(app, client, make_org, make_user,
                                                                           login) -> None:
    org = make_org("Fjordby Kommune", status="pending")
    # Made before the pages are read: a new account is a public write (users), which would end them.
    make_user("root@example.org", admin=True)
    login("root@example.org")
    for seen in cached(app, "/organisations/", "/").values():
        assert "Fjordby Kommune" not in seen
    not_found_twice(app, f"/organisations/{org['slug']}")
    review = f"/admin/organisations/{org['id']}"
    post_ok(client, f"{review}/approve", form_of(client, review, f"{review}/approve"))
    for url in ("/organisations/", "/", f"/organisations/{org['slug']}"):
        assert "Fjordby Kommune" in fresh(app, url), url


# ---------------------------------------------------------------- (6) results published
def test_published_results_show_on_the_winners_page_and_the_challenge_page(app, client, make_judging, decide,
                                                                           login) -> None:
    made = make_judging(concepts=2, title="Greener school yards")
    winner = made["concepts"][0]["id"]
    with app.app_context():
        winning_title = db.session.get(Concept, winner).title
    decide(made["challenge"]["id"], [(winner, "prize", 1, 4_000_000, "Clear, cheap and kind to bees.")])
    page = f"/challenges/{made['slug']}"
    login(made["chair"])
    before = cached(app, "/winners", page, "/")
    assert "No results have been published yet." in before["/winners"]
    assert "kind to bees" not in before[page]
    post_ok(client, f"{page}/jury/publish", form_of(client, page, f"{page}/jury/publish"))
    winners = fresh(app, "/winners")
    assert "Greener school yards" in winners
    assert winning_title in winners
    assert "Clear, cheap and kind to bees." in fresh(app, page)
    assert winning_title in fresh(app, "/")  # the home page's recent winners


# ---------------------------------------------------------------- (7) the clock opens and closes
def test_the_clock_opens_and_closes_a_challenge_without_a_commit(app, make_challenge) -> None:
    app.config["PAGE_CACHE_SECONDS"] = 86_400  # so that only the clock's own bound ends the pages
    start = utcnow().replace(microsecond=0)
    clock.set(start)
    challenge = make_challenge("scheduled", title="Clockwork challenge", opens_at=start + timedelta(hours=2),
                               deadline_at=start + timedelta(hours=5), judging_ends_at=start + timedelta(days=3),
                               results_at=start + timedelta(days=4))
    page = f"/challenges/{challenge['slug']}"
    lists = {state: f"/challenges/?status={state}" for state in ("scheduled", "open", "closed")}
    committed = generation(app)

    def listed() -> dict[str, bool]:
        return {state: "Clockwork challenge" in fresh(app, url) for state, url in lists.items()}

    seen = cached(app, page, *lists.values())
    assert "Opens soon" in seen[page] or "Opens in" in seen[page]
    assert ["Clockwork challenge" in seen[url] for url in lists.values()] == [True, False, False]

    clock.set(start + timedelta(hours=2, seconds=1))
    assert "Open for concepts" in fresh(app, page)
    assert listed() == {"scheduled": False, "open": True, "closed": False}
    cached(app, page, *lists.values())

    clock.set(start + timedelta(hours=5, seconds=1))
    assert "Closed" in fresh(app, page)
    assert listed() == {"scheduled": False, "open": False, "closed": True}
    assert generation(app) == committed  # the clock alone: nothing was written


# ---------------------------------------------------------------- (8) a concept leaving the archive
@pytest.mark.parametrize("how", ["ineligible", "consent withdrawn"])
def test_a_concept_leaving_the_archive_leaves_its_pages_and_search(app, client, make_challenge, make_concept,
                                                                   login, how: str) -> None:
    challenge = make_challenge("results", concept_publication="all")
    concept = make_concept("submitted", challenge=challenge, members=2, title="Zebra crossings for hedgehogs",
                           summary="Hedgehogs cross roads where the grass is cut short.")
    mate = concept["member_ids"][1]
    with app.app_context():
        db.session.get(Concept, concept["id"]).members[1].show_name_publicly = True
        from app.accounts.models import User
        db.session.get(User, mate).display_name = "Helga Hedgehogsdottir"
        db.session.commit()
        indexing.rebuild()
    listing = f"/challenges/{challenge['slug']}/concepts"
    own = f"{listing}/{concept['id']}"
    search = "/search?q=hedgehogs"
    login(challenge["org"]["owner"] if how == "ineligible" else concept["members"][1])
    seen = cached(app, listing, own, search)
    assert "Zebra crossings for hedgehogs" in seen[search]
    assert "Helga Hedgehogsdottir" in seen[own]

    if how == "ineligible":
        entry = f"/challenges/{challenge['slug']}/entries/{concept['id']}"
        post_ok(client, f"{entry}/ineligible", form_of(client, entry, f"{entry}/ineligible",
                                                       reason="The team broke the rules."))
        assert "Zebra crossings for hedgehogs" not in fresh(app, listing)
        fresh(app, own, status=404)
    else:
        team = f"/concepts/{concept['id']}/team"
        data = form_of(client, team, f"{team}/consent")
        data.pop("show_name_publicly", None)  # the box unticked
        post_ok(client, f"{team}/consent", data)
        assert "Helga Hedgehogsdottir" not in fresh(app, own)
        assert "Helga Hedgehogsdottir" not in fresh(app, listing)

    fresh(app, search)  # the index has not caught up yet: this copy is stored with the old results...
    with app.app_context():
        assert indexing.apply_pending() > 0
    found = fresh(app, search)  # ...and the commit that marks the queue applied ends it
    if how == "ineligible":
        assert "Zebra crossings for hedgehogs" not in found
    else:
        assert "Zebra crossings for hedgehogs" in found
        assert "Helga Hedgehogsdottir" not in found


# ---------------------------------------------------------------- (9) an announcement
def test_an_announcement_shows_on_the_challenge_page(app, client, make_challenge, login) -> None:
    challenge = make_challenge("open")
    base = f"/challenges/{challenge['slug']}"
    login(challenge["org"]["editor"])
    cached(app, base)
    post_ok(client, f"{base}/announcements", form_of(client, f"{base}/questions", f"{base}/announcements",
                                                     title="Webinar moved to Friday",
                                                     body="Join us at 10:00 for a walk through the brief."))
    assert "Webinar moved to Friday" in fresh(app, base)


# ---------------------------------------------------------------- (10) every language's copy
def test_a_change_reaches_the_copy_of_every_language(app, client, now, make_challenge, login) -> None:
    challenge = make_challenge("open")
    pages = (f"/challenges/{challenge['slug']}", "/challenges/")
    languages = ("da", "sv", None)
    login(challenge["org"]["editor"])
    for lang in languages:
        cached(app, *pages, lang=lang)
    edit = f"/challenges/{challenge['slug']}/edit"
    post_ok(client, edit, form_of(client, edit, edit, title="Mindre pap i papircontaineren"))
    for lang in languages:
        for url in pages:
            response = anonymous(app, url, lang)
            assert response.headers.get("X-Page-Cache") == "miss", (lang, url)
            html = response.get_data(as_text=True)
            assert f'lang="{lang or "en"}"' in html
            assert "Mindre pap i papircontaineren" in html, (lang, url)


# ---------------------------------------------------------------- (11) the jury as it chose to be listed
def test_a_jurors_public_listing_after_the_results_shows_on_the_challenge_page(app, client, make_judging, decide,
                                                                               login) -> None:
    made = make_judging(concepts=2)
    decide(made["challenge"]["id"], [(made["concepts"][0]["id"], "prize", 1, 4_000_000, "Best.")])
    _judging_publish(app, made["challenge"]["id"])
    page = f"/challenges/{made['slug']}"
    juror = made["jurors"][0]
    login(juror)
    assert "Professor of Waste" not in cached(app, page)[page]
    mine = f"{page}/jury/me"
    post_ok(client, mine, form_of(client, mine, mine, public_title="Professor of Waste", show_publicly="y"))
    assert "Professor of Waste" in fresh(app, page)


def test_a_conflict_declared_after_the_results_shows_in_the_public_recusal_count(app, client, make_judging, decide,
                                                                                login) -> None:
    # The jury area stays open to jurors after the results (read-only but for their own conflicts):
    # the challenge page publishes how often jurors stood aside, as a count.
    made = make_judging(concepts=2)
    first, second = (c["id"] for c in made["concepts"])
    decide(made["challenge"]["id"], [(first, "prize", 1, 4_000_000, "Best.")])
    _judging_publish(app, made["challenge"]["id"])
    page = f"/challenges/{made['slug']}"
    login(made["jurors"][0])
    assert "stood aside from a concept 1 time" not in cached(app, page)[page]
    url = f"{page}/jury/conflicts"
    label = made["labels"][second]
    response = client.post(url, data=form_of(client, url, url, **{f"conflict_{label}": "y",
                                                                  f"reason_{label}": "My neighbour's team.", "confirm_all": "y"}))
    assert response.status_code == 303, text(response.get_data(as_text=True))[:2000]
    assert "stood aside from a concept 1 time" in fresh(app, page)


def _judging_publish(app: Flask, challenge_id: int) -> None:
    from app.challenges.models import Challenge
    from app.judging.services.results import publish_results

    with app.app_context():
        publish_results(challenge=db.session.get(Challenge, challenge_id), by=None, now=utcnow())
        db.session.commit()

