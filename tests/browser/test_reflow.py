"""Reflow (A05, WCAG 1.4.10 and 1.4.12): at 320 CSS px nothing scrolls sideways, signed out and
signed in, with form errors shown, and with the WCAG text-spacing override applied."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from test_routes import PUBLIC, seeds, targets  # noqa: F401  (seeds: the crawl's fixture, used here)

from app.demo import DEMO_PASSWORD

from .conftest import NARROW, assert_reflows, log_in, submit

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["en"])  # Danish: every page of the inventory, below
def test_main_pages_reflow_at_320_px(lang: str, live_server: str, new_page: Callable[..., Any],
                                     make_user: Callable[..., int], shot: Callable[..., Any]) -> None:
    make_user("narrow@example.org", display_name="Narrow Screen", locale=lang)
    page = new_page(lang, viewport=NARROW)
    for path in ("/", "/account/login", "/account/signup", "/account/password/forgot", "/accessibility",
                 "/privacy", "/terms", "/organisations/", "/no-such-page"):
        page.goto(live_server + path)
        assert_reflows(page, f"{lang}, signed out {path}")
    page.goto(live_server + "/account/signup")
    submit(page)
    assert_reflows(page, f"{lang}, sign-up with errors")
    shot(page, f"reflow 320px {lang}: sign-up with errors")

    log_in(page, live_server, "narrow@example.org")
    for path in ("/", "/account/", "/account/password", "/account/email", "/organisations/new"):
        page.goto(live_server + path)
        assert_reflows(page, f"{lang}, signed in {path}")
    page.goto(live_server + "/")
    shot(page, f"reflow 320px {lang}: home signed in")


# -- every page of the route inventory (tests/test_routes.py), signed out and in each role ------
ROLES = ("student", "owner", "challenge_owner", "chair", "juror", "admin")
# Pages that are not for people to read at a width: files, feeds, data, redirects-only actions.
NOT_PAGES = ("static", "pages.favicon", "pages.healthz", "api.", "accounts.logout")


def _reflow_problems(page: Any, url: str, who: str) -> list[str]:
    try:
        response = page.goto(url)
    except PlaywrightError as exc:  # a download (a file, an .ics) starts instead of a page
        if "Download is starting" in str(exc):
            return []
        raise
    if response is None or "text/html" not in (response.headers.get("content-type") or ""):
        return []
    problems = []
    for spacing in (False, True):
        try:
            assert_reflows(page, f"{who}, {url}", spacing=spacing)
        except AssertionError as exc:
            problems.append(str(exc).split("\nassert")[0])
    return problems


def _quick_page(new_page: Callable[..., Any]) -> Any:
    """A Danish page at 320 px that does not fetch the icon: one page follows the next at once,
    and the development server would be left holding the icon file of an aborted request."""
    page = new_page("da", viewport=NARROW)
    page.context.route("**/static/icons/**", lambda route: route.abort())
    return page


def test_every_page_of_the_route_inventory_reflows_at_320_px(app: Any, seeds: Any, live_server: str,  # noqa: F811
                                                             new_page: Callable[..., Any]) -> None:
    """A05 over the route inventory: every GET page, in Danish (the longer words), at 320 px,
    with and without the text-spacing override, signed out (the public pages) and signed in as
    each kind of user (the pages that need an account). Forms in their error states, dialogs and
    the other states the axe tests reach are checked by `audit` (tests/browser/conftest.py)."""
    pages = [t for t in targets(app, seeds) if "GET" in t.methods and not t.endpoint.startswith(NOT_PAGES)]
    problems: list[str] = []
    visited = 0
    anonymous = _quick_page(new_page)
    for target in pages:
        if target.endpoint in PUBLIC:
            problems += _reflow_problems(anonymous, live_server + target.url, "signed out")
            visited += 1
    for role in ROLES:
        page = _quick_page(new_page)
        log_in(page, live_server, getattr(seeds, role), DEMO_PASSWORD)
        for target in pages:
            if target.endpoint not in PUBLIC:
                problems += _reflow_problems(page, live_server + target.url, role)
                visited += 1
        page.context.close()
    assert problems == [], "\n".join(problems)
    assert visited > 100
