"""The workspace in a real browser: start from the challenge page, type, hear "Saved at", upload
with progress, meet a version conflict; axe-core on each page in English and Swedish (A01, A02,
A06, A07)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.concepts.models import Concept
from app.db import db

PASSWORD = "correct horse battery staple"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _log_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def _start_concept(page: Any, base: str, slug: str) -> None:
    """Press "Start a concept" on the challenge page and wait for the new draft's editor."""
    page.goto(f"{base}/challenges/{slug}")
    with page.expect_navigation():
        page.locator(".concept-start form button[type=submit]").click()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "sv"])
def test_workspace_by_a_person(app: Any, live_server: str, browser: Any, axe_check: Any, make_challenge: Any,
                               make_user: Any, tmp_path: Path, lang: str) -> None:
    challenge = make_challenge("open")
    email = f"writer-{lang}@example.org"
    make_user(email, locale=lang, participant_kind="student")
    context = browser.new_context(locale={"en": "en-GB", "sv": "sv-SE"}[lang])
    context.set_default_timeout(8000)
    page = context.new_page()
    try:
        _log_in(page, live_server, email)
        _start_concept(page, live_server, challenge["slug"])
        assert re.search(r"/concepts/\d+/edit$", page.url)
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("h1").count() == 1
        axe_check(page, f"{lang} new draft")

        # Type, leave the field: the text is saved and the outcome announced (A06).
        page.locator("#title").fill("Bins that talk")
        page.locator("#body_md").fill("## The idea\n\nPictures beat words at the bin.")
        page.keyboard.press("Tab")
        status = page.locator("#autosave-status")
        assert status.get_attribute("role") == "status"
        assert status.get_attribute("aria-live") == "polite"
        page.wait_for_selector("#autosave-status.autosave-ok")
        assert re.search(r"\d{1,2}[:.]\d{2}", status.inner_text())
        version = int(page.locator("input[name=lock_version]").input_value())
        assert version >= 2
        with app.app_context():
            concept = db.session.scalars(select(Concept).where(Concept.challenge_id == challenge["id"])).one()
            assert concept.title == "Bins that talk"
            assert concept.lock_version == version
            cid = concept.id

        # A file chosen in the form goes up at once, with its progress announced.
        pdf = tmp_path / "Plan.pdf"
        pdf.write_bytes(PDF)
        page.locator("input[name=attachment]").set_input_files(str(pdf))
        page.wait_for_selector("#files-list a:has-text('Plan.pdf')")
        assert "Plan.pdf" in page.locator("#upload-status").inner_text()
        assert int(page.locator("input[name=lock_version]").input_value()) == version + 1
        axe_check(page, f"{lang} with a file")

        # Another tab saves meanwhile: this one's next save shows both versions (A07: nothing lost).
        page.locator("input[name=lock_version]").evaluate("el => { el.value = '1'; }")
        page.locator("#summary").fill("Typed in the older tab")
        with page.expect_navigation():
            page.locator("button[name=action][value=save]").click()
        assert page.locator("#summary").input_value() == "Typed in the older tab"
        assert page.locator("#saved-title-text").input_value() == "Bins that talk"
        axe_check(page, f"{lang} conflict")
        with page.expect_navigation():
            page.locator("form button[name=action][value=save]").click()
        assert page.url.endswith(f"/concepts/{cid}/edit")
        assert page.locator("#summary").input_value() == "Typed in the older tab"
    finally:
        context.close()


@pytest.mark.browser
def test_save_waits_for_its_own_autosave(app: Any, live_server: str, browser: Any, make_challenge: Any,
                                         make_user: Any, tmp_path: Path) -> None:
    """Clicking Save while this page's own autosave and upload are still on their way is no conflict
    with oneself: the form waits for them and sends the version they produced (A07, R07)."""
    challenge = make_challenge("open")
    email = "quick-saver@example.org"
    make_user(email, participant_kind="student")
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(8000)
    page = context.new_page()
    try:
        _log_in(page, live_server, email)
        _start_concept(page, live_server, challenge["slug"])
        # The network is slow: each autosave and upload reaches the server, but its answer takes a
        # while to come back, so the page has not yet heard which version its own save produced.
        def slow(route: Any) -> None:
            response = route.fetch()
            page.wait_for_timeout(700)
            route.fulfill(response=response)
        page.route(re.compile(r".*/concepts/\d+/(autosave|attachments)$"), slow)
        page.locator("#title").fill("Half a title")
        page.locator("#summary").fill("The first thought")  # leaving the title starts an autosave
        page.locator("#body_md").fill("The whole idea, typed quickly")
        pdf = tmp_path / "sketch.pdf"
        pdf.write_bytes(PDF)
        page.locator("input[name=attachment]").set_input_files(str(pdf))
        with page.expect_navigation():
            page.locator("button[name=action][value=save]").click()
        main = page.locator("main").inner_text()
        assert "compare the two versions" not in main.lower(), main
        assert "sketch.pdf" in main
        with app.app_context():
            concept = db.session.scalars(select(Concept).where(Concept.challenge_id == challenge["id"])).one()
            assert (concept.title, concept.summary, concept.body_md) == (
                "Half a title", "The first thought", "The whole idea, typed quickly")
            assert [a.filename for a in concept.attachments] == ["sketch.pdf"]
    finally:
        context.close()
