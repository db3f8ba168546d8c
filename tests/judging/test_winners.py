"""The public Winners page, the home page's "Recent winners" and the `winners` publication setting
(issue 10, item 9). Rows: S16 (judging.winners is on the public allowlist; the rest of what it
shows is public by the decision), P08 (members' names only with their consent, emails never)."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from app.concepts.models import ConceptMember
from app.core.timeutil import utcnow
from app.db import db
from app.organisations.models import Organisation, OrganisationStatus


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def consent(app, concept_id: int, *, everyone: bool = True) -> list[str]:
    """Members of the concept agree to be named (all, or only the first); returns their names."""
    with app.app_context():
        members = list(db.session.scalars(select(ConceptMember).where(ConceptMember.concept_id == concept_id)
                                          .order_by(ConceptMember.id)))
        for i, member in enumerate(members):
            member.show_name_publicly = everyone or i == 0
        db.session.commit()
        return [m.user.display_name for m in members]


def title_of(app, concept_id: int) -> str:
    from app.concepts.models import Concept

    with app.app_context():
        return db.session.get(Concept, concept_id).title


def team_of(app, concept_id: int) -> str:
    from app.concepts.models import Concept

    with app.app_context():
        return db.session.get(Concept, concept_id).team_name


@pytest.fixture
def results(make_judging, decide, publish_now):
    """results(at=None, publication="winners", placements="prize,mention") -> the make_judging dict,
    published with concept 0 first (DKK 40,000), concept 1 an honourable mention, concept 2 unplaced."""
    def _make(at=None, publication: str = "winners", **fields):
        made = make_judging(concepts=3, members=2, concept_publication=publication, **fields)
        first, mention, _unplaced = (c["id"] for c in made["concepts"])
        decide(made["challenge"]["id"], [(first, "prize", 1, 4_000_000, "Clear and cheap."),
                                         (mention, "mention", 2, 0, "Charming.")])
        publish_now(made["challenge"]["id"], at)
        return made
    return _make


def test_the_winners_page_says_when_there_is_nothing(client) -> None:
    response = client.get("/winners")
    assert response.status_code == 200
    assert "No results have been published yet." in response.get_data(as_text=True)


def test_the_navigation_links_to_winners(client) -> None:
    nav = client.get("/terms").get_data(as_text=True).split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/winners">Winners</a>' in nav


@pytest.mark.both_databases
def test_the_winners_page_lists_the_latest_winners_newest_first(app, client, results) -> None:
    """Each row: challenge, organisation, place, prize, concept title (linked where published)."""
    older = results(at=utcnow() - timedelta(days=20))
    newer = results(at=utcnow() - timedelta(days=2), publication="none")
    html = client.get("/winners").get_data(as_text=True)
    body = text(html)
    newer_first, older_first = (title_of(app, m["concepts"][0]["id"]) for m in (newer, older))
    assert body.index(newer_first) < body.index(older_first)
    assert body.index(newer_first) < body.index(title_of(app, newer["concepts"][1]["id"]))  # prize, then mention
    assert "Place 1" in body
    assert "Honourable mention" in body
    assert "DKK 40,000" in body
    for made in (older, newer):
        assert f'href="/challenges/{made["slug"]}"' in html
        assert title_of(app, made["concepts"][2]["id"]) not in body  # not placed
    # "winners" publishes the placed concepts; "none" publishes nothing, so no link.
    assert f'href="/challenges/{older["slug"]}/concepts/{older["concepts"][0]["id"]}"' in html
    assert f'/concepts/{newer["concepts"][0]["id"]}"' not in html
    with app.app_context():
        org = db.session.get(Organisation, older["challenge"]["org"]["id"])
        assert org.name in body


@pytest.mark.both_databases
def test_names_only_with_consent(app, client, results) -> None:
    """P08: without consent no team name and no member names; the team name only when every
    member agreed, member names for those who did; emails never."""
    made = results()
    first, mention = made["concepts"][0], made["concepts"][1]
    everyone = consent(app, first["id"])
    partly = consent(app, mention["id"], everyone=False)
    html = client.get("/winners").get_data(as_text=True)
    assert team_of(app, first["id"]) in html
    assert all(name in html for name in everyone)
    assert team_of(app, mention["id"]) not in html
    assert partly[0] in html
    assert partly[1] not in html
    for concept in made["concepts"]:
        for address in concept["members"]:
            assert address not in html
    assert team_of(app, made["concepts"][2]["id"]) not in html
    page = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    assert team_of(app, first["id"]) in page
    assert team_of(app, mention["id"]) not in page


@pytest.mark.both_databases
def test_the_winners_page_never_lists_what_is_not_final_public_and_past(app, client, make_judging, decide,
                                                                        results) -> None:
    """Never a challenge without a final decision, never a future date, never a hidden organisation."""
    draft = make_judging(concepts=1)
    decide(draft["challenge"]["id"], [(draft["concepts"][0]["id"], "prize", 1, 100, "Draft")], final=False)
    future = results(at=utcnow() + timedelta(days=5))
    hidden = results()
    with app.app_context():
        db.session.get(Organisation, hidden["challenge"]["org"]["id"]).status = OrganisationStatus.PENDING
        db.session.commit()
    for url in ("/winners", "/"):
        html = client.get(url).get_data(as_text=True)
        for made in (draft, future, hidden):
            assert title_of(app, made["concepts"][0]["id"]) not in html, url


def test_the_winners_page_follows_the_strict_page_rules(app, client, results) -> None:
    results()
    assert client.get("/winners?page=1").status_code == 200
    assert client.get("/winners?page=abc").status_code == 400
    assert client.get("/winners?page=0").status_code == 400
    assert client.get("/winners?page=99").status_code == 404


def test_the_winners_page_paginates(app, client, results, monkeypatch) -> None:
    from app.judging.views import results as views

    monkeypatch.setattr(views, "WINNERS_PER_PAGE", 1)
    results()
    first = client.get("/winners").get_data(as_text=True)
    assert 'rel="next"' in first
    assert client.get("/winners?page=2").status_code == 200


@pytest.mark.both_databases
def test_the_home_page_shows_the_latest_winners(app, client, results) -> None:
    made = results(at=utcnow() - timedelta(days=1))
    html = client.get("/").get_data(as_text=True)
    section = html[html.index("Recent winners"):html.index("How it works")]
    assert title_of(app, made["concepts"][0]["id"]) in section
    assert "Place 1" in section
    assert "Winners will be listed here." not in section
    assert 'href="/winners"' in section
    dates = re.findall(r'<time datetime="([^"]+)"', section)
    assert dates
    assert all(d <= utcnow().strftime("%Y-%m-%dT%H:%M:%SZ") for d in dates)


# -- the `winners` publication setting --------------------------------------------------------

@pytest.mark.both_databases
def test_the_winners_setting_publishes_the_placed_concepts(app, client, results) -> None:
    """concepts asks judging through concepts.signals.winners_requested: prizes and mentions are
    public, the rest 404."""
    made = results()
    slug = made["slug"]
    first, mention, unplaced = (c["id"] for c in made["concepts"])
    listing = client.get(f"/challenges/{slug}/concepts").get_data(as_text=True)
    assert title_of(app, first) in listing
    assert title_of(app, mention) in listing
    assert title_of(app, unplaced) not in listing
    assert client.get(f"/challenges/{slug}/concepts/{first}").status_code == 200
    assert client.get(f"/challenges/{slug}/concepts/{mention}").status_code == 200
    assert client.get(f"/challenges/{slug}/concepts/{unplaced}").status_code == 404


def test_the_winners_setting_publishes_nothing_without_a_final_decision(app, client, make_judging, decide) -> None:
    made = make_judging(concepts=1, state="results", concept_publication="winners")
    decide(made["challenge"]["id"], [(made["concepts"][0]["id"], "prize", 1, 100, "Draft")], final=False)
    assert client.get(f"/challenges/{made['slug']}/concepts/{made['concepts'][0]['id']}").status_code == 404


def test_the_winners_receiver_is_connected(app) -> None:
    from app.concepts import signals
    from app.judging.services.results import awarded_concepts

    assert awarded_concepts in list(signals.winners_requested.receivers_for(object()))
