"""The public challenge list: filters, sort orders, pagination, allowlisted input (S31), drafts kept
out (S17, S18), cancelled challenges only on request (issue 12), states computed from the clock
without writing (S24), and a query count that does not grow with the number of challenges listed."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from public_helpers import client_as, tag
from sqlalchemy import event, func, select

from app.challenges.models import Challenge, StateTransition
from app.core.timeutil import clock, utcnow
from app.db import db

CARD_TITLE = re.compile(r'<h3><a href="/challenges/([^"]+)"')


def slugs_on(client: Any, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return CARD_TITLE.findall(response.get_data(as_text=True))


@pytest.fixture
def catalogue(app, make_org, make_challenge) -> dict[str, Any]:
    """A small, varied set of challenges: one per state, several countries, kinds, tags and prizes."""
    dk = make_org("Aarhus Kommune", country="DK", kind="municipality")
    no = make_org("Bergen Universitet", country="NO", kind="university")
    se = make_org("Malmö AB", country="SE", kind="company")
    pending = make_org("Pending Kommune", status="pending")
    c = {
        "open_dk": make_challenge("open", org=dk, title="Open DK", language="da", prize_minor=5_000_000,
                                  currency="DKK", deadline_at=utcnow() + timedelta(days=3)),
        "open_no": make_challenge("open", org=no, title="Open NO", language="nb", prize_minor=20_000_000,
                                  currency="NOK", deadline_at=utcnow() + timedelta(days=9)),
        "scheduled_se": make_challenge("scheduled", org=se, title="Scheduled SE", language="sv",
                                       prize_minor=1_000_000, currency="SEK"),
        "closed_dk": make_challenge("closed", org=dk, title="Closed DK", language="en", prize_minor=800_000,
                                    currency="EUR"),
        "judging_no": make_challenge("judging", org=no, title="Judging NO", language="en"),
        "results_se": make_challenge("results", org=se, title="Results SE", language="en"),
        "archived_dk": make_challenge("archived", org=dk, title="Archived DK", language="en"),
        "cancelled_se": make_challenge("cancelled", org=se, title="Cancelled SE", language="en",
                                       cancel_reason="No budget"),
        "draft_dk": make_challenge("draft", org=dk, title="Secret draft DK"),
        "pending_org": make_challenge("open", org=pending, title="Pending org challenge"),
    }
    tag(app, c["open_dk"], "waste", sdgs=(11, 12))
    tag(app, c["open_no"], "mobility", sdgs=(11,))
    tag(app, c["closed_dk"], "waste")
    tag(app, c["draft_dk"], "secret-topic")
    return {"orgs": {"dk": dk, "no": no, "se": se, "pending": pending}, **c}


def public_slugs(catalogue: dict[str, Any], *, cancelled: bool = False) -> set[str]:
    left_out = ("orgs", "draft_dk", "pending_org") + (() if cancelled else ("cancelled_se",))
    return {v["slug"] for k, v in catalogue.items() if k not in left_out}


@pytest.mark.both_databases
def test_the_list_shows_every_public_challenge_and_no_draft(app, client, catalogue, make_user) -> None:
    # S17, S18: drafts and challenges of unapproved organisations never reach the list, whoever asks.
    expected = public_slugs(catalogue)
    make_user("plain@example.org")
    make_user("admin@example.org", admin=True)
    orgs = catalogue["orgs"]
    for who in (None, "plain@example.org", orgs["no"]["owner"], orgs["dk"]["owner"], orgs["dk"]["editor"],
                orgs["pending"]["owner"], "admin@example.org"):
        viewer = client_as(app, who)
        assert set(slugs_on(viewer, "/challenges/")) == expected, who
        assert set(slugs_on(viewer, "/challenges/?status=all")) == public_slugs(catalogue, cancelled=True), who
        page = viewer.get("/challenges/").get_data(as_text=True)
        assert "Secret draft DK" not in page, who
        assert "Pending org challenge" not in page, who


@pytest.mark.both_databases
def test_a_tag_used_only_by_drafts_is_not_offered(client, catalogue) -> None:
    page = client.get("/challenges/").get_data(as_text=True)
    assert 'value="waste"' in page
    assert "secret-topic" not in page
    assert client.get("/challenges/?tag=secret-topic").status_code == 400


@pytest.mark.both_databases
@pytest.mark.parametrize(("query", "expected"), [
    ("status=open", {"open_dk", "open_no"}),
    ("status=scheduled", {"scheduled_se"}),
    ("status=closed", {"closed_dk"}),
    ("status=judging", {"judging_no"}),
    ("status=results", {"results_se"}),
    ("status=archived", {"archived_dk"}),
    ("status=cancelled", {"cancelled_se"}),
    ("country=DK", {"open_dk", "closed_dk", "archived_dk"}),
    ("country=NO", {"open_no", "judging_no"}),
    ("country=other", set()),
    ("kind=company", {"scheduled_se", "results_se"}),  # cancelled_se only when asked for:
    ("kind=company&status=all", {"scheduled_se", "results_se", "cancelled_se"}),
    ("tag=waste", {"open_dk", "closed_dk"}),
    ("sdg=11", {"open_dk", "open_no"}),
    ("sdg=12", {"open_dk"}),
    ("sdg=17", set()),
    ("language=nb", {"open_no"}),
    ("language=en", {"closed_dk", "judging_no", "results_se", "archived_dk"}),
    ("currency=NOK", {"open_no"}),
    # make_challenge's default prize is DKK 50,000 (the challenges not given one above)
    ("currency=DKK&prize_min=40000", {"open_dk", "judging_no", "results_se", "archived_dk"}),
    ("currency=DKK&prize_min=60000", set()),
    # No currency: amounts in EUR, every prize converted at the default rates (DKK 50,000 is about
    # EUR 6,700, NOK 200,000 EUR 17,000, SEK 10,000 EUR 910).
    ("prize_min=10000", {"open_no"}),
    ("prize_max=1000", {"scheduled_se"}),
    ("prize_min=7000&prize_max=10000", {"closed_dk"}),
    ("status=open&country=DK", {"open_dk"}),
    ("status=open&tag=waste&sdg=12&language=da&kind=municipality", {"open_dk"}),
    ("status=closed&country=NO", set()),
])
def test_each_filter_narrows_the_list(client, catalogue, query, expected) -> None:
    wanted = {catalogue[k]["slug"] for k in expected}
    assert set(slugs_on(client, f"/challenges/?{query}")) == wanted


@pytest.mark.both_databases
def test_organisation_filter(client, catalogue) -> None:
    se = catalogue["orgs"]["se"]["slug"]
    assert set(slugs_on(client, f"/challenges/?organisation={se}")) == {
        catalogue[k]["slug"] for k in ("scheduled_se", "results_se")}
    assert set(slugs_on(client, f"/challenges/?organisation={se}&status=all")) == {
        catalogue[k]["slug"] for k in ("scheduled_se", "results_se", "cancelled_se")}
    # An organisation that is not approved is not on the allowlist (S31): a 400, not an empty list.
    assert client.get(f"/challenges/?organisation={catalogue['orgs']['pending']['slug']}").status_code == 400


@pytest.mark.both_databases
def test_sort_orders(client, catalogue) -> None:
    s = {k: v["slug"] for k, v in catalogue.items() if k != "orgs"}
    closing = slugs_on(client, "/challenges/")
    # Closing soonest (the default): deadlines ahead first, nearest first; then the passed ones.
    assert closing[:3] == [s["open_dk"], s["open_no"], s["scheduled_se"]]
    assert closing == slugs_on(client, "/challenges/?sort=closing")
    prize = slugs_on(client, "/challenges/?sort=prize")
    # Converted to EUR: NOK 200,000 (about 17,000), EUR 8,000, then the DKK 50,000 ones; SEK 10,000 last.
    assert prize[:2] == [s["open_no"], s["closed_dk"]]
    assert prize[-1] == s["scheduled_se"]
    newest = slugs_on(client, "/challenges/?sort=newest")
    assert newest[0] == s["scheduled_se"]  # published a day before it opens, 6 days from now
    assert set(newest) == set(closing) == set(prize)
    assert slugs_on(client, "/challenges/?status=open&sort=prize") == [s["open_no"], s["open_dk"]]


@pytest.mark.both_databases
def test_pagination_is_stable_and_keeps_the_filters(app, client, make_org, make_challenge) -> None:
    org = make_org()
    made = [make_challenge("open", org=org, title=f"Numbered {i:02d}", deadline_at=utcnow() + timedelta(days=1 + i))
            for i in range(25)]
    first = slugs_on(client, "/challenges/?status=open")
    second = slugs_on(client, "/challenges/?status=open&page=2")
    assert len(first) == 20
    assert len(second) == 5
    assert first + second == [m["slug"] for m in made]  # closing soonest, no overlap, nothing lost
    assert first == slugs_on(client, "/challenges/?status=open&page=1")  # same URL, same page
    page = client.get("/challenges/?status=open").get_data(as_text=True)
    assert 'href="/challenges/?page=2&amp;status=open"' in page
    assert "Page 1 of 2" in page


@pytest.mark.parametrize("query", [
    "sort=title;DROP TABLE x", "sort=author_email", "sort=", "status=bogus", "status=draft",
    "status=open'--", "country=FI", "kind=ministry", "sdg=0", "sdg=18", "sdg=abc", "language=de",
    "currency=USD", "prize_min=abc", "prize_min=-5", "prize_max=1e9", "prize_min=10&prize_max=5",
    "organisation=no-such-org", "tag=no-such-tag", "page=abc", "page=0", "page=-1", "page=1.5",
    "page=99999", "page=9999999999",
])
def test_bad_filter_sort_and_page_values_are_a_clear_400(app, client, catalogue, query) -> None:
    # S31: values come from allowlists; anything else is a request error with a message, never a 500.
    response = client.get(f"/challenges/?{query}")
    assert response.status_code == 400, query
    text = response.get_data(as_text=True)
    assert "<h1>" in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Challenge)) == 10  # nothing dropped


def test_bad_filter_shows_the_field_and_keeps_the_rest(client, catalogue) -> None:
    response = client.get("/challenges/?status=bogus&country=DK")
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in text
    assert 'href="#status"' in text
    assert '<option selected value="DK">' in text  # the valid choice is kept
    assert "Clear filters" in text


@pytest.mark.both_databases
def test_an_empty_result_says_so(client, catalogue) -> None:
    text = client.get("/challenges/?country=other").get_data(as_text=True)
    assert "0 challenges" in text
    assert "No challenges match these filters." in text


@pytest.mark.both_databases
def test_states_follow_the_clock_on_read_without_writing(app, client, make_challenge) -> None:
    # S24: scheduled -> open -> closed is computed from the clock on read; the GET writes nothing.
    now = utcnow().replace(microsecond=0)
    clock.set(now)
    c = make_challenge("scheduled", title="Clockwork", opens_at=now + timedelta(hours=1),
                       deadline_at=now + timedelta(hours=5))
    assert slugs_on(client, "/challenges/?status=scheduled") == [c["slug"]]
    assert "Opens soon" in client.get("/challenges/?status=scheduled").get_data(as_text=True)
    clock.set(now + timedelta(hours=2))
    assert slugs_on(client, "/challenges/?status=scheduled") == []
    assert slugs_on(client, "/challenges/?status=open") == [c["slug"]]
    assert "Open for concepts" in client.get("/challenges/?status=open").get_data(as_text=True)
    clock.set(now + timedelta(hours=6))
    assert slugs_on(client, "/challenges/?status=closed") == [c["slug"]]
    assert "Closed" in client.get(f"/challenges/{c['slug']}").get_data(as_text=True)
    with app.app_context():
        row = db.session.get(Challenge, c["id"])
        assert row.state == "scheduled"  # the stored state did not move
        assert db.session.scalar(select(func.count()).select_from(StateTransition)) == 0


def count_statements(app: Any, client: Any, url: str) -> int:
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    try:
        response = client.get(url)
        assert response.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", _count)
    return len(seen)


@pytest.mark.both_databases
def test_the_number_of_queries_does_not_grow_with_the_list(app, client, make_org, make_challenge) -> None:
    orgs = [make_org() for _ in range(3)]

    def add(n: int) -> None:
        for i in range(n):
            c = make_challenge("open", org=orgs[i % 3])
            tag(app, c, f"topic-{i % 4}", sdgs=(i % 17 + 1,))

    add(5)
    few = count_statements(app, client, "/challenges/")
    few_home = count_statements(app, client, "/")
    add(25)
    many = count_statements(app, client, "/challenges/")
    many_home = count_statements(app, client, "/")
    assert few == many, (few, many)
    assert few_home == many_home
    # 9: the page cache also asks when the next challenge opens or closes, once per change (core/pagecache.py).
    assert many <= 9


@pytest.mark.both_databases
def test_a_page_past_the_end_says_how_many_there_are(client, catalogue) -> None:
    response = client.get("/challenges/?page=7")
    assert response.status_code == 400
    assert "There is no page 7: this list has only 1 page." in response.get_data(as_text=True)
    bad = client.get("/challenges/?page=abc").get_data(as_text=True)
    assert "The page number must be a whole number from 1 upwards." in bad
