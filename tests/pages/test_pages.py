"""The public pages: home, accessibility statement (A11), privacy notice (P07), terms of use (P04)."""
from __future__ import annotations

import re

import pytest

from app.demo import load_demo


def _text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.both_databases
def test_home_lists_approved_organisations_only(app, client) -> None:
    with app.app_context():
        load_demo()
        from app.db import db

        db.session.commit()
    html = _text(client.get("/"))
    assert "<h1>Solve real problems with Nordic municipalities</h1>" in html
    assert "Fjordvik kommune" in html
    assert "Sjöstad kommun" in html
    assert "Nordhavn Kommune" not in html  # still awaiting approval
    assert 'href="/organisations/fjordvik-kommune"' in html
    assert re.search(r'<meta name="description" content="Municipalities, companies and universities in '
                     r'Denmark, Norway and Sweden', html)


def test_accessibility_statement_has_the_model_sections(app, client) -> None:
    # A11: Implementing Decision (EU) 2018/1523 model: status, non-accessible content, preparation,
    # feedback and contact, enforcement procedure with the national bodies.
    response = client.get("/accessibility")
    assert response.status_code == 200
    html = _text(response)
    for section in ("Compliance status", "Content that is not yet accessible",
                    "How this statement was prepared", "Feedback and contact", "Enforcement procedure"):
        assert f">{section}</h2>" in html
    assert "<strong>partially compliant</strong>" in html
    assert "WCAG" in html
    assert "EN 301 549" in html
    assert "axe-core" in html
    assert "keyboard" in html
    assert "November 23, 2026" in html  # the date it was prepared, in the reader's locale
    email = app.config["PLATFORM_CONTACT_EMAIL"]
    assert f'href="mailto:{email}"' in html
    for url in ("https://www.was.digst.dk/", "https://www.uutilsynet.no/", "https://www.digg.se/tdosanmalan"):
        assert f'href="{url}"' in html


def test_accessibility_statement_dates_follow_the_locale(client) -> None:
    html = _text(client.get("/accessibility", headers={"Accept-Language": "da"}))
    assert "23. november 2026" in html


def test_privacy_notice_covers_gdpr_articles_13(app, client) -> None:
    # P07
    app.config["PLATFORM_OPERATOR"] = "Testkommune & Co"
    response = client.get("/privacy")
    assert response.status_code == 200
    html = _text(response)
    assert "Testkommune &amp; Co runs this website and is the data controller" in html  # escaped, named
    assert "Its contact address is shown on its organisation page" in html
    for basis in ("6(1)(a)", "6(1)(b)", "6(1)(e)", "6(1)(f)"):
        assert basis in html
    for heading in ("What we keep", "Why, and on which legal basis", "How long we keep it",
                    "Who sees your data", "Cookies and other sites", "Your rights"):
        assert f">{heading}</h2>" in html
    assert "one cookie: the session cookie" in html
    assert "nothing from other websites" in html
    for url in ("https://www.datatilsynet.dk/", "https://www.datatilsynet.no/", "https://www.imy.se/"):
        assert f'href="{url}"' in html
    assert app.config["PRIVACY_VERSION"] in html
    assert f'href="mailto:{app.config["PLATFORM_CONTACT_EMAIL"]}"' in html


def test_terms_show_their_version(app, client) -> None:
    app.config["TERMS_VERSION"] = "2031-04"
    response = client.get("/terms")
    assert response.status_code == 200
    html = _text(response)
    assert "Version 2031-04" in html
    assert 'href="/privacy"' in html
    assert ">Your ideas stay yours</h2>" in html


def test_statement_pages_need_no_login_and_are_cacheable(client) -> None:
    for url in ("/", "/accessibility", "/privacy", "/terms"):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", "")
