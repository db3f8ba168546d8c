"""Reflow (A05, WCAG 1.4.10 and 1.4.12): at 320 CSS px nothing scrolls sideways, signed out and
signed in, with form errors shown, and with the WCAG text-spacing override applied."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from test_routes import PUBLIC, app_config, crawl_get, is_html, seeds, sign_in  # noqa: F401  (the crawl's fixtures)

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
# The student first (their concepts fill the workspace and My concepts), then the organisers and
# the jury of the crawl's challenge, then the admin.
ROLES = ("student", "challenge_owner", "chair", "juror", "owner", "admin")
# Pages that are not for people to read at a width: files, feeds, data, redirects-only actions.
NOT_PAGES = ("static", "pages.favicon", "pages.healthz", "api.", "accounts.logout")


def _reflow_problems(page: Any, url: str, who: str) -> tuple[int, list[str]]:
    """(status, problems) of one page at the page's width; status 0 for what is not a page."""
    try:
        response = page.goto(url)
    except PlaywrightError as exc:  # a download (a file, an .ics) starts instead of a page
        if "Download is starting" in str(exc):
            return 0, []
        raise
    if response is None or "text/html" not in (response.headers.get("content-type") or ""):
        return 0, []
    problems = []
    for spacing in (False, True):
        try:
            assert_reflows(page, f"{who}, {url}", spacing=spacing)
        except AssertionError as exc:
            problems.append(str(exc).split("\nassert")[0])
    return response.status, problems


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
    problems: list[str] = []
    read: set[str] = set()  # endpoints already read by someone: each page is checked once
    clients = [("signed out", None, app.test_client())]
    clients += [(role, getattr(seeds, role), sign_in(app, getattr(seeds, role), DEMO_PASSWORD)[0]) for role in ROLES]
    for who, email, client in clients:
        # The test client finds, quickly, the pages this user may read that nobody read yet.
        urls = [(target.endpoint, target.url) for target, response in crawl_get(client, app, seeds)
                if response.status_code == 200 and is_html(response) and target.endpoint not in read
                and not target.endpoint.startswith(NOT_PAGES)]
        page = _quick_page(new_page)
        if email:
            log_in(page, live_server, email, DEMO_PASSWORD)
        for endpoint, url in urls:
            status, found = _reflow_problems(page, live_server + url, who)
            problems += found
            if status == 200:
                read.add(endpoint)
        page.context.close()
    assert problems == [], "\n".join(problems)
    assert len(read) > 60, sorted(read)
