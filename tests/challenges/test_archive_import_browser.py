"""The archive upload page and an imported challenge in a real browser: check a file, see what
would be created and what is refused, import without choosing the file again, then read the
imported challenge; axe-core on every state, in English and Danish, at 1280 and 320 px wide, and
no sideways scrolling of the page at 320 px (A01, A02, A05, A09)."""
from __future__ import annotations

import json

import pytest

PASSWORD = "correct horse battery staple"


def _log_in(page, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def _line(org: str, **changes) -> str:
    obj = {"organisation": org, "title": "Færre fejlsorteringer i affaldsrummet",
           "summary": "Hvordan sorterer beboerne i etageboliger rigtigt, når affaldsrummet er trangt?",
           "body_md": "## Baggrund\n\nFor meget plast i madaffaldet.\n\n- skiltning\n- indretning",
           "language": "da", "tags": ["affald", "affaldssortering", "genbrug", "boligforeninger"],
           "sdgs": [11, 12], "opened": "2022-02-01", "closed": "2022-04-04", "prize": "75000", "currency": "DKK",
           "url": "https://aarhusby.example.org/udfordringer/affald", "winners": ["Sorteringsvennen"]}
    obj.update(changes)
    return json.dumps(obj, ensure_ascii=False)


def _no_sideways_scroll(page, width: int) -> None:
    if width <= 320:
        assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.browser
# Each language once, at one of the two widths (the suite's time budget).
@pytest.mark.parametrize(("lang", "width"), [("en", 1280), ("da", 320)])
def test_check_import_and_read_an_archive(app, live_server, browser, axe_check, make_org, tmp_path,
                                          lang, width) -> None:
    org = make_org()
    context = browser.new_context(locale={"en": "en-GB", "da": "da-DK"}[lang],
                                  viewport={"width": width, "height": 900})
    context.set_default_timeout(5000)
    page = context.new_page()
    try:
        _log_in(page, live_server, org["owner"])
        page.goto(f"{live_server}/organisations/{org['slug']}/dashboard")
        page.locator(f"a[href='/organisations/{org['slug']}/archive']").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("h1").count() == 1
        axe_check(page, f"{lang} {width} empty")
        _no_sideways_scroll(page, width)

        with page.expect_navigation():
            page.locator("form[enctype] button[type=submit]").click()  # no file chosen
        assert page.locator(".error-summary").is_visible()
        assert page.locator("#file[aria-invalid=true]").count() == 1
        axe_check(page, f"{lang} {width} error")

        path = tmp_path / "arkiv.jsonl"
        path.write_text("\n".join([
            _line(org["slug"]),
            _line(org["slug"], title="Mere selvbestemmelse i hjemmeplejen", language="fi", sdgs=[3, 18]),
            "{ikke json",
            _line(org["slug"], title="Klimatilpasning af vandløb", tags=["klimatilpasning"], prize="100000.50"),
        ]) + "\n", encoding="utf-8")
        page.locator("input[type=file]").set_input_files(str(path))
        with page.expect_navigation():
            page.locator("form[enctype] button[type=submit]").click()
        assert page.locator("table.archive-planned tbody tr").count() == 2
        assert page.locator("table.archive-refused tbody tr").count() == 2
        axe_check(page, f"{lang} {width} checked")
        _no_sideways_scroll(page, width)

        with page.expect_navigation():
            page.locator("form:not([enctype]) button[type=submit]").last.click()  # Import: no file picked again
        assert page.locator("section[aria-labelledby=archive-imported-title] li").count() == 2
        axe_check(page, f"{lang} {width} imported")

        page.locator("section[aria-labelledby=archive-imported-title] a").first.click()
        page.wait_for_load_state()
        assert page.locator(".archive-notice").is_visible()
        assert page.locator("a.external[rel~=noopener]").count() == 2
        axe_check(page, f"{lang} {width} detail")
        _no_sideways_scroll(page, width)

        page.goto(f"{live_server}/challenges/?status=archived")
        assert page.locator(".challenge-card").count() == 2
        axe_check(page, f"{lang} {width} list")
    finally:
        context.close()
