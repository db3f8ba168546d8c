"""axe-core (WCAG 2.1 A/AA, A01) in a real Chromium on the organisers' pages of this part - manage,
questions, one question, the dashboard - and the question form, in English and Danish, in their
empty, filled and error states; one <h1> and the page language on each (A02)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from screenshots import screenshot
from sqlalchemy import select

from app.challenges.models import Announcement, Follow, Question, QuestionStatus
from app.db import db

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"  # what tests/conftest.py's make_user gives every user


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[[str], Any]]:
    contexts: list[Any] = []

    def _open(locale: str) -> Any:
        context = browser.new_context(locale=locale)
        context.set_default_timeout(5000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


def _submit(page: Any, form: str) -> None:
    with page.expect_navigation():
        page.locator(form).locator("button[type=submit]").first.click()


def _log_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    _submit(page, "main form")
    assert "/account/login" not in page.url


@pytest.mark.parametrize(("lang", "locale"), [("en", "en-GB"), ("da", "da-DK")])
def test_organiser_pages_have_no_axe_violations(app: Flask, live_server: str, open_page, axe_check, make_user,
                                                make_challenge, lang: str, locale: str) -> None:
    made = make_challenge("open")
    closed = make_challenge("closed", org=made["org"])
    make_challenge("draft", org=made["org"])
    asker = make_user()
    with app.app_context():
        db.session.add_all([
            Question(challenge_id=made["id"], asked_by_id=asker, body="May teams mix universities?"),
            Question(challenge_id=made["id"], asked_by_id=asker, body="Can we use the waste data?",
                     status=QuestionStatus.ANSWERED, answer="Yes, **ask** the contact person."),
            Question(challenge_id=made["id"], asked_by_id=asker, body="Who else has entered?",
                     status=QuestionStatus.DECLINED, decline_reason="We do not share that."),
            Announcement(challenge_id=made["id"], title="Webinar on Friday", body_md="Join us at *10:00*."),
            Follow(user_id=asker, challenge_id=made["id"]),
        ])
        db.session.commit()
        pending = db.session.scalar(select(Question.id).where(Question.challenge_id == made["id"],
                                                              Question.status == QuestionStatus.PENDING))

    page = open_page(locale)
    _log_in(page, live_server, made["org"]["owner"])
    base = f"{live_server}/challenges/{made['slug']}"

    def check(label: str) -> None:
        axe_check(page, f"[{lang}] {label}")
        assert page.locator("h1").count() == 1, label
        assert page.locator("html").get_attribute("lang") == lang, label
        screenshot(page, f"challenges-{label.replace(' ', '-')}-{lang}")

    page.goto(base + "/manage")
    check("manage open")
    page.fill("textarea[name=reason]", "")
    _submit(page, "form:has(input[value=cancelled])")
    assert page.locator("#error-summary").count() == 1
    check("manage cancel error")

    page.goto(f"{live_server}/challenges/{closed['slug']}/manage")
    check("manage closed")

    page.goto(base + "/questions")
    check("questions")
    page.fill("input[name=title]", "")
    _submit(page, "form[action$='/announcements']")
    assert page.locator("#error-summary").count() == 1
    check("questions announcement error")

    page.goto(f"{base}/questions/{pending}")
    check("question")
    _submit(page, "form[action$='/answer']")
    assert page.locator("#error-summary").count() == 1
    check("question answer error")

    page.goto(f"{base}/questions/new")
    check("ask")
    page.fill("textarea[name=body]", "Why?")
    _submit(page, "main form.stacked")
    assert page.locator("#error-summary").count() == 1
    check("ask error")

    page.goto(base)
    check("challenge page with the question form")

    page.goto(f"{live_server}/organisations/{made['org']['slug']}/dashboard")
    check("dashboard")
