"""Jury search (issue 11 item 6): a juror searches the entries they may open, and nothing else.

Entry documents live in their own index and every search carries the permission filter of
judging.queries.readable_concept_ids; blind challenges never find an entry by who wrote it; the
public index never holds an entry (S17, S19, S28, S32, P09).
"""
from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import search_jury_fixtures
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.challenges.models import Challenge, ChallengeState
from app.concepts.models import Concept, ConceptState, ConceptVersion
from app.core.timeutil import utcnow
from app.db import db
from app.judging.models import (
    Assignment,
    Conflict,
    ConflictOrigin,
    ConflictStatus,
    JudgingRound,
    JurySeat,
    RoundJuror,
)
from app.search import analysis, indexing
from app.search.backends import SearchRequest
from app.search.query import parse_query

make_judging = search_jury_fixtures.make_judging  # the judging tests' fixture

LABEL_RE = re.compile(r'<span class="label">(C-\d+)</span>')


def _declared(app: Flask, *seat_ids: int) -> None:
    with app.app_context():
        for seat_id in seat_ids:
            db.session.get(JurySeat, seat_id).conflicts_declared_at = utcnow()
        db.session.commit()


def _texts(app: Flask, concept_id: int, **fields: Any) -> None:
    """Set fields of the entry's counting (frozen) version, as the team submitted it."""
    with app.app_context():
        version = db.session.scalar(select(ConceptVersion).where(ConceptVersion.concept_id == concept_id))
        for name, value in fields.items():
            setattr(version, name, value)
        db.session.commit()


def _conflict(app: Flask, j: dict[str, Any], email: str, concept_id: int) -> None:
    with app.app_context():
        db.session.add(Conflict(challenge_id=j["challenge"]["id"], seat_id=j["seat_ids"][email], concept_id=concept_id,
                                origin=ConflictOrigin.DECLARED, status=ConflictStatus.DECLARED, reason="My cousin"))
        db.session.commit()


@pytest.fixture
def jury_search(client: FlaskClient) -> Callable[..., tuple[int, str, list[str]]]:
    """jury_search(slug, q, **params) -> (status, html, labels of the results in order)."""
    def _search(slug: str, q: str = "", **params: Any) -> tuple[int, str, list[str]]:
        response = client.get(f"/challenges/{slug}/jury/search", query_string={"q": q, **params})
        html = response.get_data(as_text=True)
        return response.status_code, html, LABEL_RE.findall(html)
    return _search


DANISH = [
    ("Skolerne sorterer affaldet", "Eleverne sorterer affald i skolegården hver dag.",
     "## Idéen\n\nSkolerne får farvede spande, og eleverne lærer at sortere."),
    ("Cykelstier til alle", "Sikre cykelstier fra boligområderne til skolen.",
     "Flere børn cykler, når stien er adskilt fra bilerne."),
    ("Ensomhed blandt ældre", "Frivillige besøger ældre i kommunen.",
     "Besøgsvenner mødes med ældre borgere hver uge."),
]


def _danish_judging(app: Flask, make_judging: Callable[..., dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    j = make_judging(concepts=3, language="da", **kwargs)
    for made, (title, summary, body) in zip(j["concepts"], DANISH, strict=True):
        _texts(app, made["id"], title=title, summary=summary, body_md=body, language="da")
    return j


# ---------------------------------------------------------------- finding entries
@pytest.mark.both_databases
def test_a_juror_finds_entries_by_other_word_forms_and_opens_the_sheet(app, client, login, make_judging,
                                                                       rebuild_index, jury_search) -> None:
    j = _danish_judging(app, make_judging)
    rebuild_index()
    juror = j["jurors"][0]
    _declared(app, j["seat_ids"][juror])
    login(juror)
    first, second, _third = (j["labels"][c["id"]] for c in j["concepts"])
    status, html, labels = jury_search(j["slug"], "skole")   # "skolerne", "skolegården", "skolen"
    assert status == 200
    assert first in labels
    assert "Skolerne sorterer affaldet" in html
    assert "<mark" in html                                   # a highlighted snippet
    status, html, labels = jury_search(j["slug"], "cykelstier")
    assert labels == [second]
    assert "1 entry matches" in html
    # The result links to the juror's sheet of that entry, which opens.
    link = re.search(r'<h3 class="result-title"><a href="([^"]+)"', html).group(1)
    assert link == f"/challenges/{j['slug']}/jury/rounds/1/{second}"
    assert client.get(link).status_code == 200
    # An empty query lists every entry the juror may open, in label order.
    status, html, labels = jury_search(j["slug"])
    assert labels == sorted(j["labels"].values())
    assert "You may open 3 entries in this challenge." in html


def test_the_jurors_home_and_round_link_to_the_search(app, client, login, make_judging) -> None:
    j = make_judging()
    juror = j["jurors"][0]
    _declared(app, j["seat_ids"][juror])
    login(juror)
    url = f"/challenges/{j['slug']}/jury/search"
    assert f'href="{url}"' in client.get("/jury").get_data(as_text=True)
    assert f'href="{url}"' in client.get(f"/challenges/{j['slug']}/jury/rounds/1").get_data(as_text=True)


# ---------------------------------------------------------------- who may search
def test_everyone_off_the_jury_is_refused(app, client, login, logout, make_user, make_judging) -> None:
    """S17: anonymous visitors go to the login page; a stranger, a juror of another challenge, the
    organisation's staff who are not on the jury, a participant and a removed juror get 404, as on
    every juror page; a juror who has not declared their conflicts is sent to the declaration."""
    j = make_judging()
    other = make_judging()
    url = f"/challenges/{j['slug']}/jury/search?q=sorting"
    response = client.get(url)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    removed = j["jurors"][1]
    with app.app_context():
        db.session.get(JurySeat, j["seat_ids"][removed]).removed_at = utcnow()
        db.session.commit()
    _declared(app, other["seat_ids"][other["jurors"][0]], j["seat_ids"][removed])
    stranger = "stranger-jurysearch@example.org"
    make_user(stranger)
    for email in (stranger, other["jurors"][0], j["staff"], j["editor"], j["concepts"][0]["owner"],
                  j["concepts"][0]["members"][1], removed):
        login(email)
        assert client.get(url).status_code == 404, email
        logout()
    login(j["jurors"][0])
    response = client.get(url)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/challenges/{j['slug']}/jury/conflicts")
    assert client.get(f"/challenges/{j['slug']}/jury/search").headers["Cache-Control"] == "no-store"


@pytest.mark.both_databases
def test_a_conflicted_juror_never_finds_the_conflicted_entry(app, client, login, logout, make_judging,
                                                              rebuild_index, jury_search) -> None:
    """P09: not in the results, not in the counts, not in a snippet; another juror finds it."""
    j = make_judging(concepts=3)
    conflicted = j["concepts"][1]["id"]
    _texts(app, conflicted, title="Kvxconflict title", summary="A kvxmarker summary of the conflicted entry.",
           body_md="The kvxmarker body, kvxsecret too.")
    _texts(app, j["concepts"][0]["id"], summary="Another kvxmarker in a readable entry.")
    juror, colleague = j["jurors"]
    _conflict(app, j, juror, conflicted)
    _declared(app, *j["seat_ids"].values())
    rebuild_index()
    login(juror)
    status, html, labels = jury_search(j["slug"], "kvxmarker")
    assert status == 200
    assert labels == [j["labels"][j["concepts"][0]["id"]]]
    assert "1 entry matches" in html
    for secret in ("Kvxconflict", "conflicted entry", j["labels"][conflicted]):
        assert secret not in html
    status, html, labels = jury_search(j["slug"], "kvxsecret")
    assert labels == []
    assert "0 entries match" in html
    assert "Kvxconflict" not in html
    status, html, labels = jury_search(j["slug"])
    assert j["labels"][conflicted] not in labels
    assert "You may open 2 entries" in html
    logout()
    login(colleague)
    assert jury_search(j["slug"], "kvxsecret")[2] == [j["labels"][conflicted]]


def test_a_round_that_assigns_entries_limits_the_search_to_the_jurors_own(app, login, make_judging,
                                                                         rebuild_index, jury_search) -> None:
    """S17: with k jurors per concept a juror searches only the entries assigned to them."""
    j = make_judging(concepts=3)
    for made in j["concepts"]:
        _texts(app, made["id"], summary="Every entry speaks of kvxshared bins.")
    juror = j["jurors"][0]
    mine = j["concepts"][2]["id"]
    with app.app_context():
        rnd = db.session.get(JudgingRound, j["round_id"])
        rnd.jurors_per_concept = 1
        db.session.add(Assignment(round_id=rnd.id, seat_id=j["seat_ids"][juror], concept_id=mine))
        db.session.commit()
    _declared(app, j["seat_ids"][juror])
    rebuild_index()
    login(juror)
    assert jury_search(j["slug"], "kvxshared")[2] == [j["labels"][mine]]


def test_an_empty_permission_set_finds_nothing(app, login, make_judging, rebuild_index, jury_search) -> None:
    """Whoosh reads an empty filter as no filter: the backend must answer an empty set with nothing."""
    j = make_judging(concepts=2)
    for made in j["concepts"]:
        _texts(app, made["id"], summary="kvxeverywhere")
    rebuild_index()
    with app.app_context():
        backend = indexing.entries_backend()
        query = parse_query("kvxeverywhere")
        assert backend.search(SearchRequest(query=query, facets=False)).total == 2   # the words are there
        assert backend.search(SearchRequest(query=query, facets=False, only_ids=frozenset())).total == 0
        assert backend.search(SearchRequest(query=query, facets=False,
                                            only_ids=frozenset({"entry:999999"}))).total == 0
        # A juror in no round may open nothing.
        seat_id = j["seat_ids"][j["jurors"][0]]
        db.session.execute(RoundJuror.__table__.delete().where(RoundJuror.seat_id == seat_id))
        db.session.commit()
    _declared(app, seat_id)
    login(j["jurors"][0])
    status, html, labels = jury_search(j["slug"], "kvxeverywhere")
    assert status == 200
    assert labels == []
    assert "0 entries match" in html
    assert jury_search(j["slug"])[2] == []


# ---------------------------------------------------------------- blind challenges (S19)
def _identity_texts(app: Flask, j: dict[str, Any]) -> dict[str, str]:
    """Plant the team's name, a member's name and email in the entry's own text."""
    from app.accounts.models import User

    made = j["concepts"][0]
    with app.app_context():
        member = db.session.get(User, made["member_ids"][1])
        name, email = member.display_name, member.email
    # (make_concept's title carries the same random tag as the members' emails: a neutral one here)
    _texts(app, made["id"], team_name="Team Zebrafinch", title="Colour-coded bins on every street",
           summary=f"Our kvxblind idea, by {name} of Team Zebrafinch.",
           body_md=f"Write to {email} or to Team Zebrafinch. Kvxblind sorting.")
    return {"team": "Zebrafinch", "name": name, "email": email}


@pytest.mark.both_databases
def test_a_blind_entry_is_never_found_by_who_made_it(app, client, login, make_judging, rebuild_index,
                                                     jury_search) -> None:
    """S19: in a blind challenge the team's name, a member's name and their email find nothing,
    even where the team wrote them into the text; the entry is still found by what it says, shown
    by label and title as the blind entry pages show it, with no name in the snippet."""
    j = make_judging(concepts=2, blind=True)
    who = _identity_texts(app, j)
    juror = j["jurors"][0]
    _declared(app, j["seat_ids"][juror])
    rebuild_index()
    login(juror)
    label = j["labels"][j["concepts"][0]["id"]]
    for q in (who["team"], f"Team {who['team']}", who["name"], f'"{who["name"]}"', who["email"],
              who["email"].split("@")[0]):
        status, html, labels = jury_search(j["slug"], q)
        assert status == 200, q
        assert labels == [], q
    status, html, labels = jury_search(j["slug"], "kvxblind")
    assert labels == [label]
    result = html.split('<ol class="results"', 1)[1]
    for secret in (who["team"], who["name"], who["email"]):
        assert secret not in result


def test_the_same_names_are_found_where_the_challenge_is_not_blind(app, login, make_judging, rebuild_index,
                                                                   jury_search) -> None:
    """The control of the test above: the planted words are searchable text when not blind (the
    team name field itself is never indexed, only the text the team wrote)."""
    j = make_judging(concepts=2, blind=False)
    who = _identity_texts(app, j)
    juror = j["jurors"][0]
    _declared(app, j["seat_ids"][juror])
    rebuild_index()
    login(juror)
    label = j["labels"][j["concepts"][0]["id"]]
    assert jury_search(j["slug"], who["team"])[2] == [label]
    assert jury_search(j["slug"], f'"{who["name"]}"')[2] == [label]
    # ...but a team name that appears nowhere in the text is not in the document.
    _texts(app, j["concepts"][1]["id"], team_name="Team Kvxonlyname")
    rebuild_index()
    assert jury_search(j["slug"], "Kvxonlyname")[2] == []


# ---------------------------------------------------------------- keeping it true
@pytest.mark.both_databases
def test_a_withdrawn_or_ineligible_entry_leaves_the_search(app, login, make_judging, rebuild_index, apply_index,
                                                           jury_search) -> None:
    j = make_judging(concepts=3)
    for made in j["concepts"]:
        _texts(app, made["id"], summary="kvxleaving entry")
    juror = j["jurors"][0]
    _declared(app, j["seat_ids"][juror])
    rebuild_index()
    login(juror)
    assert len(jury_search(j["slug"], "kvxleaving")[2]) == 3
    inel, gone = j["concepts"][0]["id"], j["concepts"][1]["id"]
    with app.app_context():
        c = db.session.get(Concept, inel)
        c.ineligible_at, c.ineligible_reason = utcnow(), "Out of scope"
        w = db.session.get(Concept, gone)
        w.state, w.withdrawn_at = ConceptState.WITHDRAWN, utcnow()
        db.session.commit()
    assert apply_index() > 0
    assert jury_search(j["slug"], "kvxleaving")[2] == [j["labels"][j["concepts"][2]["id"]]]
    with app.app_context():
        assert indexing.entries_backend().doc_ids() == {f"entry:{j['concepts'][2]['id']}"}
        assert indexing.check_entries().ok


def test_entries_are_indexed_once_judging_starts_and_leave_when_archived(app, client, login, make_judging,
                                                                       rebuild_index, apply_index,
                                                                       jury_search) -> None:
    """Entry documents exist while the challenge is in judging or results, queued like every change."""
    rebuild_index()
    j = make_judging(concepts=2)   # labels drawn after the rebuild: the queue brings them in
    for made in j["concepts"]:
        _texts(app, made["id"], summary="kvxlifecycle entry")
    apply_index()
    juror = j["jurors"][0]
    _declared(app, j["seat_ids"][juror])
    login(juror)
    assert len(jury_search(j["slug"], "kvxlifecycle")[2]) == 2
    with app.app_context():
        db.session.get(Challenge, j["challenge"]["id"]).state = ChallengeState.RESULTS
        db.session.commit()
    apply_index()
    assert len(jury_search(j["slug"], "kvxlifecycle")[2]) == 2
    with app.app_context():
        db.session.get(Challenge, j["challenge"]["id"]).state = ChallengeState.ARCHIVED
        db.session.commit()
    apply_index()
    with app.app_context():
        assert indexing.entries_backend().doc_ids() == set()
    status, html, labels = jury_search(j["slug"], "kvxlifecycle")
    assert status == 200
    assert labels == []
    assert "can be searched while the challenge is in judging" in html


@pytest.mark.both_databases
def test_the_public_index_never_holds_an_entry(app, make_judging, make_concept, rebuild_index, apply_index,
                                               search) -> None:
    """S32: entry documents go only to the entries index; the public /search never finds an entry
    of a challenge in judging, by rebuild or by the queue."""
    j = make_judging(concepts=2)
    for made in j["concepts"]:
        _texts(app, made["id"], title="Kvxpublic entry", summary="kvxpublic")
    rebuild_index()
    make_concept("submitted", challenge=j["challenge"], title="kvxpublic late")
    _texts(app, j["concepts"][0]["id"], body_md="kvxpublic changed")
    apply_index()
    with app.app_context():
        public = indexing.backend().doc_ids()
        entries = indexing.entries_backend().doc_ids()
    assert not any(i.startswith("entry:") for i in public)
    assert entries == {f"entry:{c['id']}" for c in j["concepts"]}
    status, html, urls = search("kvxpublic")
    assert urls == []
    assert "Kvxpublic entry" not in html


def test_entry_text_is_escaped(app, login, make_judging, rebuild_index, jury_search) -> None:
    """S28: what a team wrote is text in the results, never markup."""
    j = make_judging(concepts=1)
    _texts(app, j["concepts"][0]["id"], title='<script>alert("t")</script> kvxxss',
           summary='<img src=x onerror="alert(1)"> kvxxss <b>bold</b>', body_md="<iframe src=//x></iframe> kvxxss")
    juror = j["jurors"][0]
    _declared(app, j["seat_ids"][juror])
    rebuild_index()
    login(juror)
    for q in ("kvxxss", "kvxxss img", ""):
        status, html, labels = jury_search(j["slug"], q)
        assert status == 200, q
        assert labels, q
        assert '<script>alert("t")' not in html
        assert "<img src=x" not in html
        assert "<iframe" not in html
        assert "<b>bold</b>" not in html
    assert "&lt;script&gt;" in html


def test_bad_queries_are_answered_with_a_message(app, login, make_judging, rebuild_index, jury_search) -> None:
    """S28/S31: the public page's syntax and messages; never a 500."""
    j = make_judging(concepts=1)
    juror = j["jurors"][0]
    _declared(app, j["seat_ids"][juror])
    rebuild_index()
    login(juror)
    status, html, _ = jury_search(j["slug"], '"unclosed')
    assert status == 400
    assert "quotation mark is not closed" in html
    assert jury_search(j["slug"], "x" * 10_000)[0] == 400
    assert jury_search(j["slug"], "sorting", page="0")[0] == 400
    assert jury_search(j["slug"], "sorting", page="1000000000")[0] == 400
    for q in ("*", "OR", "-", "- OR -", "ひらがな", "sort*", "title:x"):
        assert jury_search(j["slug"], q)[0] in (200, 400), q
    # Facets and sorting by date are not offered here (the order of submission is not the jury's).
    status, html, labels = jury_search(j["slug"], "", sort="date", type="concept")
    assert status == 200
    assert len(labels) == 1


@pytest.mark.whoosh_only("deletes the Whoosh entries directory; the PostgreSQL analogue, a dropped table, is "
                        "test_a_missing_index_answers_from_the_database_and_rebuilds")
def test_a_missing_entries_index_answers_from_the_database(app, login, make_judging, rebuild_index,
                                                           jury_search) -> None:
    """R08: no 500 while the entries index is gone; the same permission filter and blind rules."""
    j = make_judging(concepts=3, blind=True)
    who = _identity_texts(app, j)
    for made in j["concepts"][1:]:
        _texts(app, made["id"], summary="kvxblind too")
    juror = j["jurors"][0]
    _conflict(app, j, juror, j["concepts"][2]["id"])
    _declared(app, j["seat_ids"][juror])
    rebuild_index()
    root = Path(app.config["SEARCH_INDEX_DIR"])
    public_before = (root / "current").resolve()
    shutil.rmtree(root / "entries")
    login(juror)
    assert jury_search(j["slug"], who["team"])[2] == []
    assert jury_search(j["slug"], who["email"])[2] == []
    app.config["SEARCH_AUTO_REBUILD"] = True
    status, html, labels = jury_search(j["slug"], "kvxblind")
    assert status == 200
    assert "being rebuilt" in html
    assert labels == sorted([j["labels"][j["concepts"][0]["id"]], j["labels"][j["concepts"][1]["id"]]])
    # The search started a rebuild of the entries index only (the archive's index is left alone).
    thread = indexing.last_rebuild_thread
    assert thread is not None
    thread.join(timeout=30)
    assert (root / "current").resolve() == public_before
    with app.app_context():
        assert len(indexing.entries_backend().doc_ids()) == 3
    status, html, labels = jury_search(j["slug"], "kvxblind")
    assert "being rebuilt" not in html
    assert len(labels) == 2


def test_rebuilding_the_entries_leaves_the_archives_dictionary_alone(app, make_judging, rebuild_index) -> None:
    """The compound dictionary is process-global and the public archive's: the entries index uses it."""
    make_judging(concepts=1)
    rebuild_index()
    with app.app_context():
        mine = analysis.CompoundDictionary.from_texts([("da", "kvxword")])
        analysis.set_dictionary(mine)
        try:
            assert indexing.rebuild_entries() == 1
            indexing.entries_backend().search(SearchRequest(query=parse_query("sorting"), facets=False))
            assert analysis._dictionary is mine
        finally:
            analysis.set_dictionary(None)


def test_the_cli_rebuilds_and_checks_the_entries_index(app, make_judging) -> None:
    make_judging(concepts=2)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "2 jury entries" in result.output
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
    assert "Jury entries in the database: 2; in the entries index: 2." in result.output
    result = runner.invoke(args=["search", "rebuild", "--entries"])
    assert result.exit_code == 0
    assert "Indexed 2 jury entries" in result.output


@pytest.mark.whoosh_only("compound splitting: PostgreSQL's parser and Snowball stemmers cannot split compounds")
def test_entries_split_compounds_with_the_archives_dictionary(app, login, make_challenge, make_judging,
                                                            rebuild_index, apply_index, jury_search) -> None:
    """A compound in an entry is found by its parts, with the dictionary of the public archive,
    also in a process that has not opened the public index yet (a fresh worker)."""
    make_challenge("open", language="da", title="Affald og sortering",
                   summary="Affald skal sorteres. Sortering af affald i gården.")
    j = make_judging(concepts=2, language="da")
    _texts(app, j["concepts"][0]["id"], title="Bedre affaldssortering", summary="Farvede spande i gården.",
           language="da")
    juror = j["jurors"][0]
    _declared(app, j["seat_ids"][juror])
    rebuild_index()
    login(juror)
    label = j["labels"][j["concepts"][0]["id"]]
    assert jury_search(j["slug"], "affald")[2] == [label]
    analysis.set_dictionary(None)          # as in a worker that never searched the archive
    try:
        _texts(app, j["concepts"][1]["id"], title="Affaldssortering for alle", language="da")
        apply_index()
        assert sorted(jury_search(j["slug"], "sortering")[2]) == sorted(j["labels"].values())
    finally:
        analysis.set_dictionary(None)
