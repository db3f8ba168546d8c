"""One behaviour, two backends: what every search backend must do, run on Whoosh and on PostgreSQL
(tests/search/conftest.py runs each test on both). Through the app: the /search page, or the
backend the app chose (indexing.backend()) where the page cannot show it (counts, ids, locks)."""
from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.challenges.models import Challenge, ChallengeSDG, Tag
from app.db import db
from app.search import indexing
from app.search.backends import SearchRequest
from app.search.documents import public_documents
from app.search.query import parse_query


def _url(ch: dict[str, Any]) -> str:
    return f"/challenges/{ch['slug']}"


def _ask(app, q: str = "", **kwargs: Any):  # type: ignore[no-untyped-def]
    with app.app_context():
        return indexing.backend().search(SearchRequest(query=parse_query(q), **kwargs))


def test_the_app_uses_the_backend_under_test(app, search_backend) -> None:
    with app.app_context():
        assert indexing.backend().name == search_backend


def test_inflected_forms_meet_across_the_nordic_languages(make_challenge, rebuild_index, search) -> None:
    """The query is analysed in all four languages: "skole" finds the Danish "skolerne" and the
    Norwegian "skolene", "kommun" the Swedish "kommunerna"."""
    da = make_challenge("open", title="Grønne skolegårde", summary="Skolerne planter træer.", language="da")
    nb = make_challenge("open", title="Trygg skolevei", summary="Skolene vil ha færre biler.", language="nb")
    sv = make_challenge("open", title="Cykla till jobbet", summary="Kommunerna bygger cykelvägar.", language="sv")
    rebuild_index()
    urls = search("skole")[2]
    assert _url(da) in urls
    assert _url(nb) in urls
    assert _url(sv) not in urls
    assert _url(sv) in search("kommun")[2]


def test_scandinavian_spellings_meet(make_challenge, rebuild_index, search) -> None:
    """æ/ä, ø/ö and aa/å spellings find each other (a Swedish spelling finds a Danish text)."""
    da = make_challenge("open", title="Bøgeskov ved søen", summary="Grønne områder for alle.", language="da")
    aa = make_challenge("open", title="Aalborg havnefront", summary="Byens kaj.", language="da")
    rebuild_index()
    assert _url(da) in search("bögeskov")[2]
    assert _url(da) in search("söen")[2]
    assert _url(aa) in search("ålborg")[2]


def test_phrase_or_and_exclusion(make_challenge, rebuild_index, search) -> None:
    together = make_challenge("open", title="Fælles køkkenhave i gården", summary="Grøntsager for alle.",
                              language="da")
    apart = make_challenge("open", title="Køkkenhave og fælles værksted", summary="Et værksted.", language="da")
    other = make_challenge("open", title="Delecykler i byen", summary="Cykler til deling.", language="da")
    rebuild_index()
    assert search('"fælles køkkenhave"')[2] == [_url(together)]
    assert set(search("fælles")[2]) == {_url(together), _url(apart)}
    assert search("fælles -værksted")[2] == [_url(together)]
    assert set(search("værksted OR delecykler")[2]) == {_url(apart), _url(other)}
    assert search('køkkenhave -"fælles køkkenhave"')[2] == [_url(apart)]


def test_title_weighs_more_than_summary_and_body(make_challenge, rebuild_index, search) -> None:
    body = make_challenge("open", title="Et projekt", summary="Om byen.", problem_md="Regnvand i kældrene.",
                          language="da")
    summary = make_challenge("open", title="Et andet projekt", summary="Regnvand på vejene.", language="da")
    title = make_challenge("open", title="Regnvand som ressource", summary="Om byen.", language="da")
    rebuild_index()
    urls = search("regnvand")[2]
    assert urls[0] == _url(title)
    assert set(urls) == {_url(title), _url(summary), _url(body)}


def test_sort_by_date_and_stable_pages(app, make_org, make_challenge, rebuild_index, search) -> None:
    org = make_org()
    made = [make_challenge("open", org=org, title=f"Affaldssortering nummer {i}", language="da") for i in range(23)]
    with app.app_context():
        for i, ch in enumerate(made):
            db.session.get(Challenge, ch["id"]).deadline_at += timedelta(days=i)
        db.session.commit()
    rebuild_index()
    newest_first = [_url(ch) for ch in reversed(made)]
    status, html, first = search("nummer", sort="date")
    assert status == 200
    assert first == newest_first[:20]
    assert search("nummer", sort="date", page="2")[2] == newest_first[20:]
    relevance = search("nummer")[2] + search("nummer", page="2")[2]
    assert sorted(relevance) == sorted(newest_first)     # every result once over the two pages
    assert search("nummer")[2] == search("nummer")[2]    # the same page twice is the same page


def test_facet_counts_follow_the_matched_set(app, make_org, make_challenge, rebuild_index) -> None:
    """Counts per value over what the query and filters matched (GROUP BY / doc sets)."""
    dk, se = make_org(country="DK"), make_org(country="SE")
    a = make_challenge("open", org=dk, title="Mindre madspild i kantinen", language="da")
    b = make_challenge("open", org=dk, title="Madspild i børnehaver", language="da")
    make_challenge("open", org=se, title="Mindre matsvinn i skolan", language="sv")
    with app.app_context():
        water = Tag(slug="vand", name="Vand")
        food = Tag(slug="mad", name="Mad")
        db.session.add_all([water, food])
        ca, cb = db.session.get(Challenge, a["id"]), db.session.get(Challenge, b["id"])
        ca.tags = [food, water]
        cb.tags = [food]
        ca.sdgs = [ChallengeSDG(goal=2), ChallengeSDG(goal=12)]
        cb.sdgs = [ChallengeSDG(goal=12)]
        db.session.commit()
    rebuild_index()
    results = _ask(app, "madspild")
    assert results.total == 2
    assert results.facets["country"] == [("DK", 2)]
    assert results.facets["tag"] == [("mad", 2), ("vand", 1)]
    assert results.facets["sdg"] == [("12", 2), ("2", 1)]
    assert results.facets["language"] == [("da", 2)]
    assert results.facets["type"] == [("challenge", 2)]
    everything = _ask(app, "")
    assert everything.total == 3
    assert dict(everything.facets["country"]) == {"DK": 2, "SE": 1}
    filtered = _ask(app, "", filters={"tag": ("vand",)})
    assert [h.object_id for h in filtered.hits] == [a["id"]]
    assert filtered.facets["tag"] == [("mad", 1), ("vand", 1)]
    assert _ask(app, "", filters={"sdg": ("12",), "country": ("DK",)}).total == 2
    assert _ask(app, "", filters={"sdg": ("2", "12")}).total == 2
    assert _ask(app, "", filters={"organisation": (se["slug"],)}).total == 1
    assert _ask(app, "", filters={"winner": ("true",)}).total == 0


def test_only_ids_is_a_permission_filter(app, make_challenge, rebuild_index) -> None:
    """Jury search: only the ids the juror may see come back, whatever the query matches."""
    a = make_challenge("open", title="Grønne tage på rådhuset", language="da")
    make_challenge("open", title="Grønne tage på skolen", language="da")
    rebuild_index()
    allowed = frozenset({f"challenge:{a['id']}"})
    results = _ask(app, "grønne", only_ids=allowed)
    assert [h.doc_id for h in results.hits] == [f"challenge:{a['id']}"]
    assert results.total == 1
    assert results.facets["type"] == [("challenge", 1)]
    assert _ask(app, "grønne", only_ids=frozenset()).total == 0


def test_snippets_highlight_the_match_and_escape_the_rest(app, make_challenge, rebuild_index, search) -> None:
    """S28: our <mark> around the match; the text's own markup shown as text."""
    make_challenge("open", title="Cykelstier", summary='Flere cykelstier & "sikre" kryds <b>nu</b>.',
                   language="da")
    rebuild_index()
    hit = _ask(app, "cykelstier").hits[0]
    assert re.search(r'<mark class="hl[^"]*">cykelstier</mark>', hit.snippet)
    assert "<b>" not in hit.snippet
    assert "&amp;" in hit.snippet
    _status, html, _urls = search("cykelstier")
    assert re.search(r'<mark class="hl[^"]*">cykelstier</mark>', html)


def test_sql_and_query_syntax_in_the_box_are_only_words(app, make_challenge, rebuild_index, search) -> None:
    """S31: the box's text never reaches the query language of the engine or the database."""
    ch = make_challenge("open", title="Byens træer", language="da")
    rebuild_index()
    for q in ("'); DROP TABLE search_documents; --", "træer & !byens", "træer | x:*", "træer <-> byens",
              "\\' OR 1=1 --", "træer:*A"):
        status, _html, _urls = search(q)
        assert status in (200, 400), q
    assert _url(ch) in search("træer")[2]


def test_similar_documents(app, make_org, make_challenge, rebuild_index) -> None:
    org = make_org()
    a = make_challenge("open", title="Regnvand og skybrud i byen", summary="Regnvand skal ledes væk fra kældre.",
                       language="da")
    b = make_challenge("open", title="Skybrud: regnvand på vejene", summary="Veje som kanaler for regnvand.",
                       language="da")
    for topic in ("Ensomhed blandt ældre", "Cykelstier til skolen", "Madspild i kantinen", "Solceller på taget",
                  "Bynatur og biodiversitet", "Affald på stranden", "Trafiksikkerhed ved skolen", "Delebiler i byen",
                  "Fællesskab i boligområdet"):
        make_challenge("open", org=org, title=topic, summary=f"{topic}: hvad kan vi gøre?", language="da")
    rebuild_index()
    with app.app_context():
        backend = indexing.backend()
        similar = backend.similar(f"challenge:{a['id']}")
        assert [h.object_id for h in similar][:1] == [b["id"]]
        assert a["id"] not in [h.object_id for h in similar]
        assert backend.similar("challenge:999999") == []
        drafted = backend.similar_to_text("Vi vil samle regnvand efter skybrud", "da", types=("challenge",))
        assert {h.object_id for h in drafted[:2]} == {a["id"], b["id"]}
        assert backend.similar_to_text("", "da") == []


def test_a_held_lock_times_out(app, rebuild_index) -> None:
    """One writer at a time across processes: a second writer waits, then gives up (R09)."""
    rebuild_index()
    with app.app_context():
        backend = indexing.backend()
        with backend.writing():
            errors: list[BaseException] = []

            def other() -> None:
                try:
                    with backend.writing(timeout=0.2):
                        pass
                except TimeoutError as exc:
                    errors.append(exc)
            t = threading.Thread(target=other)
            t.start()
            t.join(10)
            assert len(errors) == 1
        with backend.writing(timeout=0.5):
            pass


def test_a_rebuild_keeps_answering_and_replays_under_the_lock(app, make_challenge, rebuild_index,
                                                              search_backend) -> None:
    """R08: while a rebuild runs, searches answer from the old index; what changed meanwhile is
    replayed holding the lock, and the new index then answers."""
    old = make_challenge("open", title="Gammel udfordring om vandløb", language="da")
    rebuild_index()
    seen: dict[str, Any] = {}
    with app.app_context():
        backend = indexing.backend()
        with app.app_context():
            db.session.get(Challenge, old["id"]).title = "Ny titel om havvind"
            db.session.commit()

        def search_once() -> None:
            seen.setdefault("during", _ask(app, "vandløb").total)
            if search_backend == "whoosh":
                backend.close()     # this thread's searcher (Whoosh keeps one per thread)

        def documents():  # type: ignore[no-untyped-def]
            for d in public_documents():
                # mid-build, from another thread: the old index still answers
                t = threading.Thread(target=search_once)
                t.start()
                t.join(30)
                yield d

        def replay() -> None:
            def try_lock() -> None:
                try:
                    with backend.writing(timeout=0.1):
                        seen["lock"] = "free"
                except TimeoutError:
                    seen["lock"] = "held"
            t = threading.Thread(target=try_lock)
            t.start()
            t.join(10)

        assert backend.rebuild(documents, replay=replay) == 1
    assert seen == {"during": 1, "lock": "held"}
    assert _ask(app, "vandløb").total == 0
    assert _ask(app, "havvind").total == 1


def test_check_and_counts_agree_with_the_database(app, make_challenge, rebuild_index) -> None:
    make_challenge("open", title="Én", language="da")
    make_challenge("draft", title="To", language="da")
    rebuild_index()
    with app.app_context():
        backend = indexing.backend()
        assert backend.count() == 1
        assert backend.status()["ok"] is True
        assert backend.doc_ids() == {d.doc_id for d in public_documents()}
        assert indexing.check().ok


def test_an_update_and_a_delete_reach_the_index(app, make_challenge, rebuild_index, apply_index) -> None:
    ch = make_challenge("open", title="Vindmøller på havet", language="da")
    rebuild_index()
    with app.app_context():
        db.session.get(Challenge, ch["id"]).title = "Solceller på tagene"
        db.session.commit()
    apply_index()
    assert _ask(app, "vindmøller").total == 0
    assert _ask(app, "solceller").total == 1
    with app.app_context():
        c = db.session.scalar(select(Challenge).where(Challenge.id == ch["id"]))
        db.session.delete(c)
        db.session.commit()
    apply_index()
    assert _ask(app, "solceller").total == 0
    assert _ask(app, "").total == 0
