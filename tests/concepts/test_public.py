"""Published concepts after results: what the public may read (issue 5, item 5).

The counting version only, within the concept's licence and the challenge's publication
setting; names only with consent and never an email (P08); anything not public is a 404 (S17);
user text is escaped (S28); files keep the download headers (S37); the list has no N+1.
"""
from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from app.accounts.models import User
from app.concepts.models import Concept, ConceptMember, ConceptVersion, ConceptVersionFile
from app.core.files import document_path
from app.core.timeutil import utcnow
from app.db import db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def html(response: Any) -> str:
    return response.get_data(as_text=True)


def fetch(client: FlaskClient, url: str) -> Any:
    """A request whose (possibly streamed file) body is read and the file closed at once."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


@pytest.fixture
def results_challenge(make_challenge: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def _make(publication: str = "all", state: str = "results", **fields: Any) -> dict[str, Any]:
        return make_challenge(state, concept_publication=publication, **fields)
    return _make


@pytest.fixture
def add_file(app: Flask) -> Callable[..., dict[str, Any]]:
    """add_file(concept_id, name, data) -> {"id", "url_name"}: a stored file on the counting version."""
    def _add(concept_id: int, name: str = "plan.pdf", data: bytes = PDF) -> dict[str, Any]:
        digest = hashlib.sha256(data).hexdigest()
        with app.app_context():
            path = document_path(app.config["UPLOAD_DIR"], digest)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            concept = db.session.get(Concept, concept_id)
            version = concept.current_version()
            stored = ConceptVersionFile(version_id=version.id, position=len(version.files), filename=name,
                                        content_hash=digest, mimetype="application/pdf", size=len(data))
            db.session.add(stored)
            db.session.commit()
            return {"id": stored.id, "name": name}
    return _add


def set_fields(app: Flask, concept_id: int, **fields: Any) -> None:
    with app.app_context():
        concept = db.session.get(Concept, concept_id)
        for name, value in fields.items():
            setattr(concept, name, value)
        db.session.commit()


def set_version(app: Flask, concept_id: int, **fields: Any) -> None:
    with app.app_context():
        version = db.session.scalar(select(ConceptVersion).where(ConceptVersion.concept_id == concept_id))
        for name, value in fields.items():
            setattr(version, name, value)
        db.session.commit()


def consent(app: Flask, concept_id: int, user_ids: list[int]) -> None:
    with app.app_context():
        for member in db.session.scalars(select(ConceptMember).where(ConceptMember.concept_id == concept_id)):
            member.show_name_publicly = member.user_id in user_ids
        db.session.commit()


def rename(app: Flask, user_id: int, name: str) -> None:
    with app.app_context():
        db.session.get(User, user_id).display_name = name
        db.session.commit()


def urls(concept: dict[str, Any]) -> tuple[str, str]:
    slug = concept["challenge"]["slug"]
    return f"/challenges/{slug}/concepts", f"/challenges/{slug}/concepts/{concept['id']}"


# ---------------------------------------------------------------- what is shown
@pytest.mark.both_databases
def test_an_open_licence_publishes_the_whole_counting_version(app: Flask, client: FlaskClient, results_challenge,
                                                             make_concept, add_file) -> None:
    challenge = results_challenge()
    concept = make_concept("submitted", challenge=challenge, members=2,
                           body_md="## The idea\n\nPictures beat **words** at the bin.")
    stored = add_file(concept["id"], "Sorting plan.pdf")
    list_url, page_url = urls(concept)

    listing = html(client.get(list_url))
    assert client.get(list_url).status_code == 200
    assert "Sorting made simple" in listing
    assert f'href="{page_url}"' in listing
    assert "CC BY 4.0" in listing

    response = client.get(page_url)
    assert response.status_code == 200
    page = html(response)
    assert "<strong>words</strong>" in page                      # rendered Markdown
    assert "Stickers on every bin" in page
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in page
    file_url = f"{page_url}/files/{stored['id']}/Sorting%20plan.pdf"
    assert file_url in page

    download = fetch(client, file_url)
    assert download.status_code == 200
    assert download.get_data() == PDF
    # S37: the same download headers as public challenge attachments.
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''Sorting%20plan.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert "public" in download.headers["Cache-Control"]
    assert fetch(client, f"{page_url}/files/{stored['id']}/other.pdf").status_code == 302


@pytest.mark.both_databases
def test_the_counting_version_is_shown_not_the_draft(app: Flask, client: FlaskClient, results_challenge,
                                                     make_concept) -> None:
    concept = make_concept("submitted", challenge=results_challenge())
    # The team reopened and edited after submitting: the draft is theirs alone.
    set_fields(app, concept["id"], state="draft", title="Unsent draft title", body_md="Secret draft words")
    list_url, page_url = urls(concept)
    for url in (list_url, page_url):
        page = html(client.get(url))
        assert "Sorting made simple" in page
        assert "Unsent draft title" not in page
        assert "Secret draft words" not in page


@pytest.mark.both_databases
def test_all_rights_reserved_shows_the_summary_only(app: Flask, client: FlaskClient, results_challenge,
                                                    make_concept, add_file) -> None:
    concept = make_concept("submitted", challenge=results_challenge(), licence="reserved-summary",
                           body_md="The secret recipe stays private.")
    stored = add_file(concept["id"])
    _list_url, page_url = urls(concept)
    response = client.get(page_url)
    assert response.status_code == 200
    page = html(response)
    assert "Stickers on every bin" in page
    assert "secret recipe" not in page
    assert "/files/" not in page
    assert "only its title and summary are published" in page
    assert "creativecommons.org" not in page
    assert fetch(client, f"{page_url}/files/{stored['id']}/plan.pdf").status_code == 404
    assert client.get(f"{page_url}/cover").status_code == 404


@pytest.mark.both_databases
def test_p08_no_email_ever_and_names_only_with_consent(app: Flask, client: FlaskClient, results_challenge,
                                                       make_concept) -> None:
    # P08: a marker sweep of every anonymous page that shows the concept.
    challenge = results_challenge()
    tag = uuid.uuid4().hex[:8]
    emails = [f"owner-{tag}@example.org", f"named-{tag}@example.org", f"hidden-{tag}@example.org"]
    concept = make_concept("submitted", challenge=challenge, members=emails)
    names = {uid: f"Marker{i}{tag}" for i, uid in enumerate(concept["member_ids"])}
    for uid, name in names.items():
        rename(app, uid, name)
    named_id = concept["member_ids"][1]
    consent(app, concept["id"], [named_id])
    list_url, page_url = urls(concept)
    pages = [html(client.get(url)) for url in (list_url, page_url, f"/challenges/{challenge['slug']}")]
    for page in pages:
        for email in emails:
            assert email not in page
            assert email.split("@")[0] not in page
    for page in pages[:2]:
        assert names[named_id] in page
        for uid, name in names.items():
            if uid != named_id:
                assert name not in page


@pytest.mark.both_databases
def test_a_member_who_withdraws_consent_is_no_longer_named(app: Flask, client: FlaskClient, results_challenge,
                                                           make_concept) -> None:
    concept = make_concept("submitted", challenge=results_challenge(), members=2)
    mate = concept["member_ids"][1]
    rename(app, mate, "Consenting Mate Xq")
    consent(app, concept["id"], [mate])
    _list_url, page_url = urls(concept)
    assert "Consenting Mate Xq" in html(client.get(page_url))
    consent(app, concept["id"], [])
    assert "Consenting Mate Xq" not in html(client.get(page_url))


# ---------------------------------------------------------------- what is not (S17: 404, never a hint)
@pytest.mark.both_databases
@pytest.mark.parametrize("state", ["open", "closed", "judging"])
def test_before_results_nothing_is_public(app: Flask, client: FlaskClient, results_challenge, make_concept,
                                          add_file, state: str) -> None:
    challenge = results_challenge(state=state)
    concept = make_concept("submitted", challenge=challenge)
    stored = add_file(concept["id"])
    list_url, page_url = urls(concept)
    for url in (list_url, page_url, f"{page_url}/files/{stored['id']}/plan.pdf"):
        assert fetch(client, url).status_code == 404, url


@pytest.mark.both_databases
@pytest.mark.parametrize("case", ["ineligible", "withdrawn", "never-submitted", "other-challenge"])
def test_concepts_that_are_not_public_are_404(app: Flask, client: FlaskClient, results_challenge, make_concept,
                                              case: str) -> None:
    challenge = results_challenge()
    visible = make_concept("submitted", challenge=challenge)
    if case == "ineligible":
        concept = make_concept("submitted", challenge=challenge, title="Hidden ineligible idea")
        set_fields(app, concept["id"], ineligible_at=utcnow(), ineligible_reason="Too late")
    elif case == "withdrawn":
        concept = make_concept("withdrawn", challenge=challenge, title="Hidden withdrawn idea")
    elif case == "never-submitted":
        concept = make_concept("draft", challenge=challenge, title="Hidden draft idea")
    else:
        concept = make_concept("submitted", challenge=results_challenge(), title="Hidden elsewhere idea")
    slug = challenge["slug"]
    assert client.get(f"/challenges/{slug}/concepts/{concept['id']}").status_code == 404
    listing = html(client.get(f"/challenges/{slug}/concepts"))
    assert "Hidden" not in listing
    assert f"/concepts/{visible['id']}" in listing


def test_unknown_and_draft_challenges_are_404(client: FlaskClient, make_challenge, make_concept) -> None:
    assert client.get("/challenges/no-such-challenge/concepts").status_code == 404
    draft = make_challenge("draft", concept_publication="all")
    assert client.get(f"/challenges/{draft['slug']}/concepts").status_code == 404


@pytest.mark.both_databases
def test_an_unapproved_organisation_publishes_nothing(app: Flask, client: FlaskClient, make_org, make_challenge,
                                                      make_concept) -> None:
    org = make_org()
    challenge = make_challenge("results", org=org, concept_publication="all")
    concept = make_concept("submitted", challenge=challenge)
    with app.app_context():
        from app.organisations.models import Organisation, OrganisationStatus

        db.session.get(Organisation, org["id"]).status = OrganisationStatus.PENDING
        db.session.commit()
    list_url, page_url = urls(concept)
    assert client.get(list_url).status_code == 404
    assert client.get(page_url).status_code == 404


@pytest.mark.both_databases
def test_winners_setting_waits_for_judging(app: Flask, client: FlaskClient, results_challenge, make_concept) -> None:
    concept = make_concept("submitted", challenge=results_challenge("winners"))
    list_url, page_url = urls(concept)
    response = client.get(list_url)
    assert response.status_code == 200
    # Judging names the placed concepts (tests/judging/test_winners.py); without a final decision, none.
    assert "the prize winners and the honourable mentions" in html(response)
    assert "No concepts are published for this challenge." in html(response)
    assert "Sorting made simple" not in html(response)
    assert client.get(page_url).status_code == 404


@pytest.mark.both_databases
def test_none_setting_publishes_nothing(app: Flask, client: FlaskClient, results_challenge, make_concept) -> None:
    concept = make_concept("submitted", challenge=results_challenge("none"))
    list_url, page_url = urls(concept)
    response = client.get(list_url)
    assert "are not published" in html(response)
    assert "Sorting made simple" not in html(response)
    assert client.get(page_url).status_code == 404


@pytest.mark.both_databases
def test_the_challenge_page_links_to_published_concepts(client: FlaskClient, results_challenge,
                                                        make_challenge) -> None:
    done = results_challenge()
    assert f'href="/challenges/{done["slug"]}/concepts"' in html(client.get(f"/challenges/{done['slug']}"))
    running = make_challenge("open", concept_publication="all")
    assert "/concepts\"" not in html(client.get(f"/challenges/{running['slug']}"))


# ---------------------------------------------------------------- S28
class _Inert(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "img") and any("alert" in (v or "") for _n, v in attrs):
            self.problems.append(tag)
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"{tag} {name}")

    def handle_data(self, data: str) -> None:
        if "alert(" in data and self.lasttag == "script":
            self.problems.append("script body")


PAYLOADS = ['<script>alert("t")</script>', '"><img src=x onerror=alert(1)>', "javascript:alert(1)"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_s28_user_text_is_escaped(app: Flask, client: FlaskClient, results_challenge, make_concept,
                                  payload: str) -> None:
    concept = make_concept("submitted", challenge=results_challenge(), members=2)
    set_version(app, concept["id"], title=f"Idea {payload}", team_name=f"Team {payload}",
                summary=f"Summary {payload}", body_md=f"[click]({payload}) and {payload}")
    rename(app, concept["member_ids"][1], f"Name {payload}")
    consent(app, concept["id"], concept["member_ids"])
    for url in urls(concept):
        page = html(client.get(url))
        parser = _Inert()
        parser.feed(page)
        assert parser.problems == [], url
        assert payload not in page or payload == "javascript:alert(1)" and 'href="javascript' not in page


# ---------------------------------------------------------------- efficient queries
@pytest.fixture
def count_queries(app: Flask) -> Iterator[Callable[[], int]]:
    counter = {"n": 0}

    def _count(*_args: Any) -> None:
        counter["n"] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", _count)

    def _read() -> int:
        value, counter["n"] = counter["n"], 0
        return value
    yield _read
    event.remove(engine, "before_cursor_execute", _count)


@pytest.mark.both_databases
def test_the_list_has_no_n_plus_one(app: Flask, client: FlaskClient, results_challenge, make_concept,
                                    count_queries) -> None:
    small, large = results_challenge(), results_challenge()
    make_concept("submitted", challenge=small, members=2)
    for _ in range(8):
        concept = make_concept("submitted", challenge=large, members=3)
        consent(app, concept["id"], concept["member_ids"][:1])
    app.config["PAGE_CACHE"] = False  # counts what rendering costs, not the page cache's hits
    client.get(f"/challenges/{small['slug']}/concepts")  # warm up (session, locale)
    count_queries()
    assert client.get(f"/challenges/{small['slug']}/concepts").status_code == 200
    few = count_queries()
    page = html(client.get(f"/challenges/{large['slug']}/concepts"))
    many = count_queries()
    assert len(re.findall(r'class="card concept-card"', page)) == 8
    assert many == few, (few, many)


@pytest.mark.both_databases
def test_archived_challenges_keep_their_published_concepts(client: FlaskClient, results_challenge,
                                                           make_concept) -> None:
    concept = make_concept("submitted", challenge=results_challenge(state="archived"))
    _list_url, page_url = urls(concept)
    assert client.get(page_url).status_code == 200



def test_the_cover_is_public_with_the_whole_concept_only(app: Flask, client: FlaskClient, results_challenge,
                                                         make_concept) -> None:
    import io

    from PIL import Image
    from werkzeug.datastructures import FileStorage

    from app.core.uploads import store_image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 200)).save(out, format="PNG")
    with app.app_context():
        digest = store_image(FileStorage(io.BytesIO(out.getvalue()), filename="cover.png"), max_bytes=10**6,
                             upload_dir=app.config["UPLOAD_DIR"])
    challenge = results_challenge()
    full = make_concept("submitted", challenge=challenge)
    reserved = make_concept("submitted", challenge=challenge, licence="reserved-summary")
    for concept in (full, reserved):
        set_version(app, concept["id"], cover_image_hash=digest, cover_image_alt="Bins with picture stickers")
    _list_url, page_url = urls(full)
    page = html(client.get(page_url))
    assert f'src="{page_url}/cover?v={digest[:16]}"' in page
    assert 'alt="Bins with picture stickers"' in page
    cover = client.get(f"{page_url}/cover")
    assert cover.status_code == 200
    assert cover.mimetype == "image/png"
    assert "public" in cover.headers["Cache-Control"]
    _list_url, reserved_url = urls(reserved)
    assert "/cover" not in html(client.get(reserved_url))
    assert client.get(f"{reserved_url}/cover").status_code == 404


@pytest.mark.both_databases
def test_the_list_is_paginated_with_strict_page_numbers(app: Flask, client: FlaskClient, results_challenge,
                                                        make_concept, monkeypatch) -> None:
    """A challenge with many concepts shows them a page at a time, in title order; a bad page
    number is a 400 and a page past the end a 404 (S31)."""
    from app.concepts.views import public as public_views
    monkeypatch.setattr(public_views, "PUBLISHED_PER_PAGE", 3)
    challenge = results_challenge()
    for n in range(7):
        make_concept("submitted", challenge=challenge, title=f"Idea {n}")
    url = f"/challenges/{challenge['slug']}/concepts"
    first = html(client.get(url))
    assert re.findall(r">Idea (\d)</a>", first) == ["0", "1", "2"]
    assert "7 concepts" in first
    assert "Page 1 of 3" in first
    assert f'href="{url}?page=2"' in first
    third = html(client.get(url + "?page=3"))
    assert re.findall(r">Idea (\d)</a>", third) == ["6"]
    assert 'rel="prev"' in third
    assert 'rel="next"' not in third
    assert client.get(url + "?page=4").status_code == 404
    for bad in ("0", "-1", "x", "1e3", "99999999"):
        assert client.get(url + f"?page={bad}").status_code == 400, bad
