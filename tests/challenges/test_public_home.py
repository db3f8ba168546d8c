"""The home page (open challenges closing soonest, recent winners, feeds in <head>), the main
navigation and the organisation page's challenges: drafts never shown (S17)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from public_helpers import client_as

from app.core.timeutil import utcnow

CARD = re.compile(r'<h3><a href="/challenges/([^"]+)"')


@pytest.mark.both_databases
def test_home_lists_open_challenges_closing_soonest(client, make_org, make_challenge) -> None:
    org = make_org()
    made = [make_challenge("open", org=org, title=f"Open {i}", deadline_at=utcnow() + timedelta(days=10 - i))
            for i in range(8)]
    make_challenge("draft", org=org, title="Hidden draft")
    make_challenge("scheduled", org=org, title="Not yet open")
    make_challenge("closed", org=org, title="Already closed")
    html = client.get("/").get_data(as_text=True)
    shown = CARD.findall(html)
    assert shown == [m["slug"] for m in reversed(made)][:6]  # nearest deadline first, six at most
    for hidden in ("Hidden draft", "Not yet open", "Already closed"):
        assert hidden not in html
    assert 'href="/challenges/">All challenges</a>' in html
    assert '<link rel="alternate" type="application/atom+xml"' in html.split("</head>")[0]
    assert 'href="/feeds/challenges.atom"' in html.split("</head>")[0]


def test_home_says_when_there_is_nothing(client) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "No challenge is open right now." in html
    assert "Winners will be listed here." in html


@pytest.mark.both_databases
def test_home_never_lists_results_without_a_final_decision(client, make_org, make_challenge) -> None:
    """Issue 10, item 9: a challenge in results or archived without a final jury decision (the old
    "Publish results" during judging) is not a winner; the listing itself is in tests/judging/test_winners.py."""
    org = make_org()
    make_challenge("results", org=org, title="Older results", results_at=utcnow() - timedelta(days=30))
    make_challenge("archived", org=org, title="Newer results", results_at=utcnow() + timedelta(days=2))
    make_challenge("judging", org=org, title="Still judging")
    html = client.get("/").get_data(as_text=True)
    section = html[html.index("Recent winners"):html.index("How it works")]
    for title in ("Older results", "Newer results", "Still judging"):
        assert title not in section
    assert "Winners will be listed here." in section


def test_main_navigation_links_to_challenges(client) -> None:
    nav = client.get("/terms").get_data(as_text=True).split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/challenges/">Challenges</a>' in nav


@pytest.mark.both_databases
def test_organisation_page_lists_its_public_challenges(app, make_org, make_challenge) -> None:
    org = make_org()
    open_ = make_challenge("open", org=org, title="Our open one")
    closed = make_challenge("closed", org=org, title="Our closed one")
    make_challenge("draft", org=org, title="Our draft")
    make_challenge("open", title="Someone else's")
    for who in (None, org["owner"]):
        html = client_as(app, who).get(f"/organisations/{org['slug']}").get_data(as_text=True)
        assert set(CARD.findall(html)) == {open_["slug"], closed["slug"]}, who
        assert "Our draft" not in html
        assert "Open for concepts" in html
        assert "Closed" in html
        assert f'href="/feeds/organisations/{org["slug"]}.atom"' in html.split("</head>")[0]
    anonymous = client_as(app, None).get(f"/organisations/{org['slug']}").get_data(as_text=True)
    assert "Log in to follow" in anonymous
    assert f'href="/challenges/?organisation={org["slug"]}"' in anonymous


def test_organisation_without_challenges_says_so(client, make_org) -> None:
    org = make_org("Quiet Kommune")
    assert "Quiet Kommune has no challenges yet." in client.get(f"/organisations/{org['slug']}").get_data(as_text=True)
