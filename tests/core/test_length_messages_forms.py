"""One length rule for every text field (app/core/forms.py, issue 12 item 5): nothing typed is cut
(no `maxlength`, which makes a browser drop pasted text), the limit is shown next to the field and
tied to it, and the server's message names the field and says how much was written, with the text
kept in the form. Checked through several features' forms."""
from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.accounts.models import User
from app.challenges.models import Challenge
from app.db import db


def _page(response: Any) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def _control(html: str, field_id: str) -> str:
    match = re.search(rf'<(?:input|textarea) [^>]*id="{field_id}"[^>]*>', html)
    assert match is not None, field_id
    return match.group(0)


def editor_form(**overrides: str) -> dict[str, Any]:
    """The whole challenge editor as a browser sends it, with a timeline in the future."""
    start = datetime.now(UTC) + timedelta(days=30)

    def local(days: int) -> str:
        return (start + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")

    data: dict[str, Any] = {
        "title": "Less cardboard in paper bins", "summary": "Help residents sort cardboard.",
        "problem_md": "Cardboard ends up in paper bins.", "background_md": "", "language": "en", "tags": "",
        "cover_alt": "", "prize_amount": "50000", "currency": "DKK", "prize_count": "1", "prize_split": "100",
        "eligibility": ["anyone"], "allow_individuals": "y", "allow_teams": "y", "max_team_size": "5",
        "timezone": "Europe/Copenhagen", "opens_at": local(0), "deadline_at": local(21),
        "judging_ends_at": local(35), "results_at": local(42), "reason": "",
        "accepted_licences": ["cc-by-4.0", "reserved-summary"], "concept_publication": "winners",
        "max_concept_files": "5", "max_concept_file_mb": "10",
    }
    data.update(overrides)
    return data


def _no_maxlength(html: str) -> None:
    """No input or text area of the page carries maxlength (data-maxlength is for the counter)."""
    for tag in re.findall(r"<(?:input|textarea) [^>]*>", html):
        assert not re.search(r"(?<!data-)maxlength=", tag), tag


def test_the_profile_name_names_itself_and_is_kept(client: Any, post_form: Callable[..., Any],
                                                   logged_in: Callable[..., int], app: Flask) -> None:
    uid = logged_in("user", display_name="Before")
    page = client.get("/account/").get_data(as_text=True)
    _no_maxlength(page)
    control = _control(page, "display_name")
    assert 'data-maxlength="80"' in control
    assert "display_name-limit" in control  # aria-describedby: the limit is read with the field
    assert re.search(r'id="display_name-limit"[^>]*>.*At most 80 characters\.', page)
    typed = "Å" * 85
    response = post_form("/account/", {"display_name": typed, "locale": "en", "timezone": "Europe/Oslo",
                                       "participant_kind": "startup", "institution": ""})
    html = _page(response)
    assert response.status_code == 400
    assert "Display name: at most 80 characters (you wrote 85)." in html
    assert f'value="{typed}"' in html  # kept, all 85
    with app.app_context():
        assert db.session.get(User, uid).display_name == "Before"


def test_a_question_too_short_or_too_long_says_so(post_form: Callable[..., Any], logged_in: Callable[..., int],
                                                  make_challenge: Callable[..., dict[str, Any]]) -> None:
    made = make_challenge("open")
    logged_in("user")
    typed = "Why is it so? " * 150  # 2100 characters before the strip
    response = post_form(f"/challenges/{made['slug']}/questions", {"body": typed}, page="/")
    html = _page(response)
    assert response.status_code == 400
    assert f"Your question: at most 2000 characters (you wrote {len(typed.strip())})." in html
    assert typed.strip() in html
    assert "Your question: at least 10 characters (you wrote 4)." in _page(
        post_form(f"/challenges/{made['slug']}/questions", {"body": "Why?"}, page="/"))


def test_the_challenge_editor_title_and_a_line_break_counted_once(
        app: Flask, client: Any, post_form: Callable[..., Any], login: Callable[..., Any],
        make_challenge: Callable[..., dict[str, Any]]) -> None:
    made = make_challenge("draft")
    login(made["org"]["owner"])
    url = f"/challenges/{made['slug']}/edit"
    page = client.get(url).get_data(as_text=True)
    _no_maxlength(page)
    assert 'data-maxlength="200"' in _control(page, "title")
    # The summary's description already says "at most 500 characters": no second hint, a counter only.
    assert re.search(r'<p class="hint char-limit" id="summary-limit"[^>]*data-max="500"[^>]*></p>', page)

    data = editor_form(title="T" * 205)
    response = post_form(url, data)
    html = _page(response)
    assert response.status_code == 400
    assert "Title: at most 200 characters (you wrote 205)." in html
    assert 'value="' + "T" * 205 + '"' in html

    # 500 characters as a person counts them, 501 as the browser sends them (\r\n): accepted, stored with \n.
    summary = "a" * 250 + "\r\n" + "b" * 249
    response = post_form(url, editor_form(summary=summary))
    assert response.status_code == 302, _page(response)
    with app.app_context():
        stored = db.session.scalar(select(Challenge.summary).where(Challenge.slug == made["slug"]))
    assert stored == "a" * 250 + "\n" + "b" * 249
    response = post_form(url, editor_form(summary=summary + "c"))
    assert "Summary: at most 500 characters (you wrote 501)." in _page(response)


def test_quiet_fields_have_a_counter_but_no_hint(client: Any) -> None:
    page = client.get("/account/signup").get_data(as_text=True)
    _no_maxlength(page)
    assert 'data-maxlength="254"' in _control(page, "email")
    limit = re.search(r'<p class="hint char-limit" id="email-limit"[^>]*>(.*?)</p>', page, re.S)
    assert limit is not None
    assert "data-quiet" in limit.group(0)
    assert limit.group(1).strip() == ""  # nothing shown until the address nears 254 characters
    # The counter's words come from the catalogue, one and other.
    assert 'data-left-one="{n} character left"' in limit.group(0)
    assert 'data-over-other="{n} characters too many"' in limit.group(0)
    assert 'src="/static/js/counter.js?v=' in page  # content-hashed (core/assets.py)
