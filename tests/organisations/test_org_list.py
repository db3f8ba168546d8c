"""The public list and page: filters from allowlists, strict pagination, escaping, accessibility basics."""
from __future__ import annotations

import pytest

from app.db import db


@pytest.fixture
def many(app, make_org, make_user):
    owner = make_user("many@example.org")
    for i in range(23):
        make_org(f"Kommune {i:02d}", owners=[owner], kind="municipality", country="DK")
    make_org("Bergen kommune", owners=[owner], kind="municipality", country="NO")
    make_org("KTH", owners=[owner], kind="university", country="SE")
    make_org("Hidden pending", owners=[owner], status="pending")
    make_org("Hidden rejected", owners=[owner], status="rejected")


@pytest.mark.both_databases
def test_list_shows_approved_only_with_pagination(client, many) -> None:
    first = client.get("/organisations/")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "25 organisations" in html
    assert "Hidden" not in html
    assert 'rel="next"' in html
    assert html.count('class="card"') == 20
    second = client.get("/organisations/?page=2").get_data(as_text=True)
    assert second.count('class="card"') == 5
    assert 'rel="prev"' in second


@pytest.mark.both_databases
def test_filters(client, many) -> None:
    html = client.get("/organisations/?country=NO").get_data(as_text=True)
    assert "Bergen kommune" in html
    assert "KTH" not in html
    html = client.get("/organisations/?kind=university&country=SE").get_data(as_text=True)
    assert "KTH" in html
    assert "1 organisation" in html
    html = client.get("/organisations/?kind=company").get_data(as_text=True)
    assert "No organisations match" in html
    assert client.get("/organisations/?kind=&country=").status_code == 200


@pytest.mark.parametrize("query", [
    # S31: values outside the allowlists and malformed pages are client errors, never 500.
    "kind=embassy", "country=FI", "country=dk", "kind=municipality';DROP TABLE organisations;--",
    "page=abc", "page=0", "page=-1", "page=1.5", "page=9999999999", "page=%00",
])
def test_bad_parameters_are_400(client, many, query) -> None:
    response = client.get(f"/organisations/?{query}")
    assert response.status_code == 400
    assert "Bad request" in response.get_data(as_text=True)


@pytest.mark.both_databases
def test_page_past_the_end_is_404(client, many) -> None:
    assert client.get("/organisations/?page=2").status_code == 200
    assert client.get("/organisations/?page=3").status_code == 404
    assert client.get("/organisations/?country=NO&page=2").status_code == 404


def test_empty_list_is_fine(client) -> None:
    response = client.get("/organisations/")
    assert response.status_code == 200
    assert "0 organisations" in response.get_data(as_text=True)


def test_user_text_is_escaped_on_the_public_page(app, client, make_org) -> None:
    # S28: a hostile name or description is shown as text.
    payload = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    org = make_org(f"Evil {payload}", description=f"Line one\n{payload}", website="https://example.org/?a=1&b=2")
    html = client.get(f"/organisations/{org['slug']}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "onerror=alert" not in html.replace("onerror=alert(2)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="https://example.org/?a=1&amp;b=2" rel="nofollow noopener"' in html
    assert html.count("<h1") == 1
    assert 'id="challenges-title">Challenges</h2>' in html
    assert "has no challenges yet" in html


def test_pending_page_shows_notice_to_members_only(app, client, make_org, make_user, login) -> None:
    owner = make_user("pend@example.org")
    org = make_org("Waiting kommune", owners=[owner], status="pending")
    assert client.get(f"/organisations/{org['slug']}").status_code == 404
    login("pend@example.org")
    html = client.get(f"/organisations/{org['slug']}").get_data(as_text=True)
    assert "awaiting approval" in html
    assert "Members and invitations" in html


def test_rejected_page_shows_the_reason_to_members(app, client, make_org, make_user, login) -> None:
    from app.organisations.models import Organisation

    owner = make_user("rej@example.org")
    org = make_org("Nope AB", owners=[owner], status="rejected", kind="company")
    with app.app_context():
        db.session.get(Organisation, org["id"]).review_note = "Not a real company."
        db.session.commit()
    assert client.get(f"/organisations/{org['slug']}").status_code == 404
    login("rej@example.org")
    html = client.get(f"/organisations/{org['slug']}").get_data(as_text=True)
    assert "Not approved" in html
    assert "Not a real company." in html


def test_edit_profile_keeps_slug_and_audits(app, client, make_org, make_user, login) -> None:
    from app.core.audit import AuditEvent
    from app.organisations.models import Organisation

    owner = make_user("edit-owner@example.org")
    org = make_org("Old name", owners=[owner])
    login("edit-owner@example.org")
    url = f"/organisations/{org['slug']}/edit"
    form = client.get(url)
    assert form.status_code == 200
    assert 'value="Old name"' in form.get_data(as_text=True)
    from org_helpers import csrf_of

    response = client.post(url, data={"csrf_token": csrf_of(client, url), "name": "New name", "kind": "region",
                                      "country": "SE", "website": "", "description": "Updated.",
                                      "contact_email": "dpo@example.se", "timezone": "",
                                      "status": "pending", "slug": "other"})
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(Organisation, org["id"])
        assert (saved.name, saved.slug, saved.kind, saved.timezone, saved.status) == \
            ("New name", org["slug"], "region", "Europe/Stockholm", "approved")
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "organisation.updated"))
        assert set(event.details["fields"]) >= {"name", "kind", "country", "description", "timezone"}
