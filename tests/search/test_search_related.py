"""Related and similar (issue 11, item 5): a challenge page shows related challenges, a published
concept similar concepts, the workspace prior art; from the public index only (S32), across
languages where stems meet, escaped (S28), and never a broken page when the index is not there (R08)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from app.challenges.models import Challenge
from app.db import db
from app.search import related

# Two challenges about schools and waste, in Danish and Swedish: they meet on "skol" (skole/skola,
# skolerne/skolorna), "elev" and "kommun"; "affald" and "avfall" are different words.
DA = {"title": "Mindre affald i skolerne",
      "summary": "Hvordan kan eleverne i kommunens skoler sortere affald og spise madpakken uden plastik?",
      "language": "da"}
SV = {"title": "Mindre avfall i skolorna",
      "summary": "Hur kan eleverna i kommunens skolor sortera avfall och äta skollunchen utan plast?",
      "language": "sv"}
OTHER = {"title": "Faster buses to the hospital",
         "summary": "Patients and staff wait too long for the bus at the hospital gates.", "language": "en"}


def _section(html: str, heading_id: str) -> str:
    m = re.search(rf'<section class="related" aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    return m.group(1) if m else ""


def _links(fragment: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', fragment)


def _prior_art(html: str) -> str:
    m = re.search(r'<details class="prior-art" id="prior-art">(.*?)</details>', html, re.S)
    return m.group(1) if m else ""


@pytest.mark.both_databases
@pytest.mark.whoosh_only("more-like-this weighs words by how rare they are; PostgreSQL keeps no document "
                         "frequencies, so a document sharing only common words may be listed")
def test_a_challenge_page_shows_a_related_challenge_in_another_language(client, make_challenge,
                                                                        rebuild_index) -> None:
    da = make_challenge("archived", **DA)
    sv = make_challenge("results", **SV)
    other = make_challenge("archived", **OTHER)
    draft = make_challenge("draft", title="Mindre affald i skolernes kantiner",
                           summary="Eleverne i kommunens skoler sorterer affald.", language="da")
    rebuild_index()
    html = client.get(f"/challenges/{da['slug']}").get_data(as_text=True)
    links = _links(_section(html, "related-title"))
    assert f"/challenges/{sv['slug']}" in links
    assert f"/challenges/{da['slug']}" not in links           # never itself
    assert f"/challenges/{draft['slug']}" not in links        # a draft is never in the index
    assert f"/challenges/{other['slug']}" not in links        # nothing in common
    assert 'lang="sv"' in _section(html, "related-title")
    # and the other way round
    html = client.get(f"/challenges/{sv['slug']}").get_data(as_text=True)
    assert f"/challenges/{da['slug']}" in _links(_section(html, "related-title"))


def test_no_section_when_nothing_is_related(client, make_challenge, rebuild_index) -> None:
    ch = make_challenge("open", **OTHER)
    make_challenge("open", **DA)
    rebuild_index()
    html = client.get(f"/challenges/{ch['slug']}").get_data(as_text=True)
    assert 'id="related-title"' not in html


def _published(make_challenge, make_concept, challenge_fields: dict[str, Any], **fields: Any) -> tuple[Any, Any]:
    ch = make_challenge("results", concept_publication="all", **challenge_fields)
    return ch, make_concept("submitted", challenge=ch, **fields)


@pytest.mark.both_databases
def test_a_published_concept_shows_similar_concepts_of_other_challenges_only_public_ones(
        app, client, make_challenge, make_concept, rebuild_index, apply_index) -> None:
    ch_da, mine = _published(make_challenge, make_concept, DA, title="Sorteringsspil for skolernes elever",
                             summary="Et spil lærer eleverne at sortere affald i skolegården.", language="da")
    ch_nb, similar = _published(make_challenge, make_concept, {"title": "Renere skoler", "language": "nb"},
                                title="Sorteringsspill for elevene på skolen",
                                summary="Et spill lærer elevene å sortere avfall i skolegården.", language="nb")
    # Same words, but not public: a draft, a withdrawn concept, a challenge that publishes nothing.
    draft = make_concept("draft", challenge=ch_nb, title="Sorteringsspill for skolen",
                         summary="Et spill lærer elevene å sortere i skolegården.", language="nb")
    withdrawn = make_concept("withdrawn", challenge=ch_nb, title="Sorteringsspill i skolegården",
                             summary="Elevene sorterer i skolegården.", language="nb")
    closed = make_challenge("results", concept_publication="none", language="nb")
    private = make_concept("submitted", challenge=closed, title="Sorteringsspill for elevene",
                           summary="Et spill lærer elevene å sortere i skolegården.", language="nb")
    # Of the same challenge: one link away on its list, so not repeated here.
    sibling = make_concept("submitted", challenge=ch_da, title="Sorteringsspil i skolegården",
                           summary="Eleverne sorterer affald i skolegården.", language="da")
    rebuild_index()
    url = f"/challenges/{ch_da['slug']}/concepts/{mine['id']}"
    html = client.get(url).get_data(as_text=True)
    links = _links(_section(html, "similar-title"))
    assert f"/challenges/{ch_nb['slug']}/concepts/{similar['id']}" in links
    assert url not in links
    for other in (draft, withdrawn, private, sibling):
        assert not any(link.endswith(f"/concepts/{other['id']}") for link in links), other
    # It becomes private: it leaves the list as it leaves the index (the cache follows the index).
    with app.app_context():
        db.session.get(Challenge, ch_nb["id"]).concept_publication = "none"
        db.session.commit()
    apply_index()
    html = client.get(url).get_data(as_text=True)
    assert f"/concepts/{similar['id']}" not in html


@pytest.mark.both_databases
def test_the_workspace_shows_prior_art_and_never_a_draft(client, login, make_challenge, make_concept,
                                                         rebuild_index) -> None:
    past = make_challenge("archived", **SV)
    _ch, published = _published(make_challenge, make_concept, {"title": "Renere skoler", "language": "nb"},
                                title="Sorteringsspill for elevene på skolen",
                                summary="Et spill lærer elevene å sortere avfall i skolegården.", language="nb")
    open_ch = make_challenge("open", **DA)
    other_team = make_concept("draft", challenge=open_ch, title="Sorteringsspil for skolernes elever",
                              summary="Et spil lærer eleverne at sortere affald i skolegården.", language="da")
    mine = make_concept("draft", challenge=open_ch, title="Sorteringsspil for eleverne",
                        summary="Eleverne i skolerne lærer at sortere affald med et spil i skolegården.",
                        language="da")
    rebuild_index()
    login(mine["owner"])
    html = client.get(f"/concepts/{mine['id']}/edit").get_data(as_text=True)
    panel = _prior_art(html)
    links = _links(panel)
    assert f"/challenges/{past['slug']}" in links
    assert any(link.endswith(f"/concepts/{published['id']}") for link in links)
    assert not any(link.endswith(f"/concepts/{other_team['id']}") for link in links)
    assert not any(link.endswith(f"/concepts/{mine['id']}") for link in links)
    assert f"/challenges/{open_ch['slug']}" not in links      # the challenge it is written for


def test_a_new_draft_with_no_text_asks_nothing(client, login, make_concept, rebuild_index) -> None:
    mine = make_concept("draft", title="", summary="", body_md="")
    rebuild_index()
    login(mine["owner"])
    response = client.get(f"/concepts/{mine['id']}/edit")
    assert response.status_code == 200
    assert 'class="prior-art"' not in response.get_data(as_text=True)


@pytest.mark.whoosh_only("deletes and breaks the Whoosh index directory; the PostgreSQL analogue, a dropped "
                        "table, is test_a_missing_index_answers_from_the_database_and_rebuilds")
def test_the_pages_work_without_an_index(app, client, login, make_challenge, make_concept,
                                         rebuild_index) -> None:
    """R08: a deleted or broken index leaves the section out; the page still answers 200."""
    app.config["PAGE_CACHE"] = False  # the index goes without a commit: every page is rendered
    ch_da, mine = _published(make_challenge, make_concept, DA, title="Sorteringsspil for skolernes elever",
                             summary="Et spil lærer eleverne at sortere affald.", language="da")
    make_challenge("archived", **SV)
    draft = make_concept("draft", challenge=make_challenge("open", **SV), title="Sorteringsspel för eleverna",
                         summary="Eleverna i skolorna sorterar avfall.", language="sv")
    rebuild_index()
    pages = [f"/challenges/{ch_da['slug']}", f"/challenges/{ch_da['slug']}/concepts/{mine['id']}"]
    assert 'id="related-title"' in client.get(pages[0]).get_data(as_text=True)
    index_dir = Path(app.config["SEARCH_INDEX_DIR"])
    shutil.rmtree(index_dir)
    related.cache_for(app).clear()
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'class="related"' not in response.get_data(as_text=True)
    login(draft["owner"])
    response = client.get(f"/concepts/{draft['id']}/edit")
    assert response.status_code == 200
    assert 'class="prior-art"' not in response.get_data(as_text=True)
    # A broken index (an empty "current" directory) is no better and no worse.
    index_dir.mkdir()
    (index_dir / "broken").mkdir()
    (index_dir / "current").symlink_to("broken")
    for url in pages:
        assert client.get(url).status_code == 200, url


def test_titles_are_escaped(client, make_challenge, rebuild_index) -> None:
    """S28: a title with markup is shown as text in the related list."""
    evil = '<script>alert("x")</script> Mindre avfall i skolorna'
    make_challenge("archived", **{**SV, "title": evil})
    ch = make_challenge("archived", **DA)
    rebuild_index()
    html = client.get(f"/challenges/{ch['slug']}").get_data(as_text=True)
    section = _section(html, "related-title")
    assert "&lt;script&gt;" in section
    assert "<script>alert" not in html


def test_prior_art_snippets_are_escaped(client, login, make_challenge, make_concept, rebuild_index) -> None:
    """S28: markup in a published summary is shown as text in the workspace's prior art."""
    make_challenge("archived", **{**SV, "summary": 'Eleverna <img src=x onerror="alert(1)"> i skolorna sorterar avfall.'})
    mine = make_concept("draft", challenge=make_challenge("open", language="da"), title="Sorteringsspil for eleverne",
                        summary="Eleverne i skolerne sorterer affald.", language="da")
    rebuild_index()
    login(mine["owner"])
    panel = _prior_art(client.get(f"/concepts/{mine['id']}/edit").get_data(as_text=True))
    assert "&lt;img" in panel
    assert "<img" not in panel


def test_a_repeated_view_is_answered_from_the_cache(app, client, make_challenge, rebuild_index) -> None:
    da = make_challenge("archived", **DA)
    make_challenge("archived", **SV)
    rebuild_index()
    app.config["PAGE_CACHE"] = False  # the related section's own cache, not the page cache
    cache = related.cache_for(app)
    client.get(f"/challenges/{da['slug']}")
    before = cache.hits
    html = client.get(f"/challenges/{da['slug']}").get_data(as_text=True)
    assert cache.hits == before + 1
    assert 'id="related-title"' in html
