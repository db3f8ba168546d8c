"""Published concepts in a real browser: axe-core finds no WCAG 2.1 A/AA violation (A01) on the list
and on a concept page (whole concept, and summary only), in English and Swedish."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from app.concepts.models import Concept, ConceptMember, ConceptVersionFile
from app.core.files import document_path
from app.db import db

pytestmark = pytest.mark.browser

LOCALES = {"en": "en-GB", "sv": "sv-SE"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[[str], Any]]:
    contexts: list[Any] = []

    def _open(lang: str) -> Any:
        context = browser.new_context(locale=LOCALES[lang])
        context.set_default_timeout(5000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def seeded(app, make_challenge, make_concept) -> dict[str, Any]:
    challenge = make_challenge("results", concept_publication="all", title="Loneliness among the elderly")
    full = make_concept("submitted", challenge=challenge, members=2,
                        body_md="## How it works\n\nStudents visit **once a week**.\n\n- tea\n- talk")
    summary = make_concept("submitted", challenge=challenge, licence="reserved-summary")
    digest = hashlib.sha256(PDF).hexdigest()
    with app.app_context():
        path = document_path(app.config["UPLOAD_DIR"], digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(PDF)
        version = db.session.get(Concept, full["id"]).current_version()
        db.session.add(ConceptVersionFile(version_id=version.id, position=0, filename="Visit plan.pdf",
                                          content_hash=digest, mimetype="application/pdf", size=len(PDF)))
        for member in db.session.scalars(select(ConceptMember).where(ConceptMember.concept_id == full["id"])):
            member.show_name_publicly = True
        db.session.commit()
    return {"slug": challenge["slug"], "full": full["id"], "summary": summary["id"]}


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_published_concept_pages_have_no_axe_violations(live_server, open_page, axe_check, seeded, lang) -> None:
    # A01
    page = open_page(lang)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    slug = seeded["slug"]
    for path, label in ((f"/challenges/{slug}/concepts", "list"),
                        (f"/challenges/{slug}/concepts/{seeded['full']}", "whole concept"),
                        (f"/challenges/{slug}/concepts/{seeded['summary']}", "summary only"),
                        (f"/challenges/{slug}", "challenge page")):
        response = page.goto(live_server + path)
        assert response is not None, label
        assert response.status == 200, label
        assert page.locator("html").get_attribute("lang") == lang, label
        axe_check(page, f"{lang} {label}")
    assert errors == []


def test_the_list_leads_to_a_concept_without_javascript(live_server, browser, seeded) -> None:
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server + f"/challenges/{seeded['slug']}")
        page.get_by_role("link", name="Read the published concepts").first.click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Published concepts", level=1).is_visible()
        page.locator(f"a[href$='/concepts/{seeded['full']}']").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="The concept").is_visible()
        assert page.get_by_role("link", name="Visit plan.pdf").is_visible()
        assert page.get_by_role("link", name="CC BY 4.0").get_attribute("href") \
            == "https://creativecommons.org/licenses/by/4.0/"
    finally:
        context.close()
