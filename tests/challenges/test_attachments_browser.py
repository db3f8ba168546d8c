"""The attachments page in a real browser: upload and delete by a person, axe-core on every state
(empty, with files, with an error, full), in English and in Danish (A01, A02, A09)."""
from __future__ import annotations

import pytest
from test_attachments import HTML, pdf_bytes

PASSWORD = "correct horse battery staple"


def _log_in(page, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    # By the field ids: the labels are in the page's language ("E-mail" in Danish).
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "da"])
def test_attachments_page_by_a_person(app, live_server, browser, axe_check, make_challenge, tmp_path, lang) -> None:
    app.config["CHALLENGE_ATTACHMENT_MAX_COUNT"] = 1
    challenge = make_challenge("draft")
    context = browser.new_context(locale={"en": "en-GB", "da": "da-DK"}[lang])
    context.set_default_timeout(5000)
    page = context.new_page()
    try:
        _log_in(page, live_server, challenge["org"]["editor"])
        url = f"{live_server}/challenges/{challenge['slug']}/attachments"
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("h1").count() == 1
        axe_check(page, f"{lang} empty")

        fake = tmp_path / "brief.pdf"
        fake.write_bytes(HTML)
        page.locator("input[type=file]").set_input_files(str(fake))
        with page.expect_navigation():
            page.locator("form[enctype] button[type=submit]").click()
        assert page.locator(".error-summary").is_visible()
        assert page.locator("#attachment[aria-invalid=true]").count() == 1
        axe_check(page, f"{lang} error")

        real = tmp_path / "Årsrapport.pdf"
        real.write_bytes(pdf_bytes())
        page.locator("input[type=file]").set_input_files(str(real))
        with page.expect_navigation():
            page.locator("form[enctype] button[type=submit]").click()
        assert page.get_by_role("link", name="Årsrapport.pdf").is_visible()
        axe_check(page, f"{lang} full")  # the limit (1) is reached: a notice instead of the form

        # Delete by keyboard: the button is reachable and named after the file.
        button = page.locator("table button[type=submit]")
        assert "Årsrapport.pdf" in button.inner_text()
        button.focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == url
        assert page.locator("table").count() == 0
        axe_check(page, f"{lang} after delete")
    finally:
        context.close()
