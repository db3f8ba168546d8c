"""Questions and answers, and announcements: who may ask and moderate (S17, S18), what is public
(answered questions only, never the asker: P08), the emails (R10), and inert user text (S28)."""
from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.challenges.models import Announcement, Follow, Question, QuestionStatus
from app.core.audit import AuditEvent
from app.db import db

BODY = "May a team include people from two different universities?"


def _question(app: Flask, challenge_id: int, user_id: int | None, body: str = BODY, **fields: Any) -> int:
    with app.app_context():
        question = Question(challenge_id=challenge_id, asked_by_id=user_id, body=body, **fields)
        db.session.add(question)
        db.session.commit()
        return question.id


def _in(app: Flask, locale: str, text: str, **values: Any) -> str:
    """`text` as the app translates it for `locale` (emails go out in the recipient's language)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale(locale):
        return gettext(text, **values)


def _follow(app: Flask, user_id: int, challenge_id: int) -> None:
    with app.app_context():
        db.session.add(Follow(user_id=user_id, challenge_id=challenge_id))
        db.session.commit()


def _questions(app: Flask, challenge_id: int) -> list[Question]:
    with app.app_context():
        rows = db.session.scalars(select(Question).where(Question.challenge_id == challenge_id)
                                  .order_by(Question.id)).all()
        db.session.expunge_all()
        return list(rows)


def _title(app: Flask, challenge_id: int) -> str:
    from app.challenges.models import Challenge

    with app.app_context():
        return db.session.get(Challenge, challenge_id).title


def _public_page(app: Flask, slug: str) -> str:
    """The challenge page as an anonymous visitor sees it."""
    response = app.test_client().get(f"/challenges/{slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- asking
def test_anonymous_visitors_are_sent_to_log_in(app: Flask, client, post_form, make_challenge) -> None:
    made = make_challenge("open")
    response = post_form(f"/challenges/{made['slug']}/questions", {"body": BODY}, page="/")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    assert client.get(f"/challenges/{made['slug']}/questions/new").status_code == 302
    assert _questions(app, made["id"]) == []
    # The challenge page offers a way in instead of the form.
    html = _public_page(app, made["slug"])
    assert "Log in to ask a question" in html


def test_unverified_users_cannot_ask(app: Flask, client, post_form, logged_in, make_challenge) -> None:
    made = make_challenge("open")
    logged_in("unverified")
    response = post_form(f"/challenges/{made['slug']}/questions", {"body": BODY}, page="/")
    assert response.status_code == 302
    assert "/account/login" not in response.headers["Location"]  # to their profile, to confirm first
    assert _questions(app, made["id"]) == []


def test_a_verified_user_asks_and_is_told_what_happens_next(app: Flask, client, post_form, make_user, login,
                                                            make_challenge) -> None:
    made = make_challenge("open")
    asker = make_user("asker@example.org", display_name="Ada Asker")
    login("asker@example.org")
    page = client.get(f"/challenges/{made['slug']}")
    assert f'action="/challenges/{made["slug"]}/questions"' in page.get_data(as_text=True)
    response = post_form(f"/challenges/{made['slug']}/questions", {"body": f"  {BODY}  "},
                         page=f"/challenges/{made['slug']}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/challenges/{made['slug']}")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your question was sent to the organisers; answered questions are published on this page." in html
    [question] = _questions(app, made["id"])
    assert (question.body, question.status, question.asked_by_id) == (BODY, QuestionStatus.PENDING, asker)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "question.asked", AuditEvent.object_id == question.id)) == 1
    # Pending: not public, not even on the asker's own view of the page.
    assert BODY not in html
    assert BODY not in _public_page(app, made["slug"])


@pytest.mark.parametrize(("body", "message"), [("Why?", "Your question: at least 10 characters (you wrote 4)."),
                                               ("x" * 2001, "Your question: at most 2000 characters (you wrote 2001)."),
                                               ("", "This field is required")])
def test_a_bad_question_gets_400_with_the_text_kept(app: Flask, post_form, logged_in, make_challenge,
                                                    body: str, message: str) -> None:
    made = make_challenge("open")
    logged_in("user")
    response = post_form(f"/challenges/{made['slug']}/questions", {"body": body}, page="/")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'id="error-summary"' in html
    assert 'aria-invalid="true"' in html
    if body:
        assert body[:50] in html
    assert _questions(app, made["id"]) == []


@pytest.mark.parametrize(("state", "status"), [("scheduled", 302), ("open", 302), ("closed", 409),
                                               ("judging", 409), ("results", 409), ("draft", 404)])
def test_questions_are_taken_only_while_scheduled_or_open(app: Flask, post_form, logged_in, make_challenge,
                                                          state: str, status: int) -> None:
    made = make_challenge(state)
    logged_in("user")
    response = post_form(f"/challenges/{made['slug']}/questions", {"body": BODY}, page="/")
    assert response.status_code == status
    assert len(_questions(app, made["id"])) == (1 if status == 302 else 0)
    if status == 409:
        assert "only while a challenge is open or about to open" in response.get_data(as_text=True)


def test_asking_is_rate_limited_per_user(app: Flask, post_form, logged_in, make_challenge) -> None:
    app.config["QUESTION_LIMIT_PER_USER"] = "2 per hour"
    made = make_challenge("open")
    logged_in("user")
    url = f"/challenges/{made['slug']}/questions"
    assert [post_form(url, {"body": f"{BODY} ({n})"}, page="/").status_code for n in range(3)] == [302, 302, 429]
    assert len(_questions(app, made["id"])) == 2


# ---------------------------------------------------------------- moderating: who may
ROLES = ("anonymous", "user", "other_staff", "admin", "editor", "owner")


def _become(role: str, made: dict[str, Any], *, login, logged_in, make_org) -> None:
    if role == "anonymous":
        return
    if role in ("user", "admin"):
        logged_in(role)
    elif role == "other_staff":
        login(make_org()["owner"])  # S18
    else:
        login(made["org"][role])


@pytest.mark.parametrize("state", ["draft", "open"])
@pytest.mark.parametrize("role", ROLES)
def test_only_the_organisers_moderate(app: Flask, client, post_form, login, logged_in, make_org, make_user,
                                      make_challenge, role: str, state: str) -> None:
    made = make_challenge(state)
    asker = make_user()
    first = _question(app, made["id"], asker)
    second = _question(app, made["id"], asker, body="Is a prototype required, or are drawings enough?")
    _become(role, made, login=login, logged_in=logged_in, make_org=make_org)
    base = f"/challenges/{made['slug']}"
    gets = [client.get(f"{base}/questions"), client.get(f"{base}/questions/{first}")]
    posts = [
        post_form(f"{base}/questions/{first}/answer", {"answer": "Yes, mixed teams are welcome."}, page="/"),
        post_form(f"{base}/questions/{second}/merge", {"into": str(first)}, page="/"),
        post_form(f"{base}/questions/{second}/decline", {"reason": "Out of scope."}, page="/"),
        post_form(f"{base}/announcements", {"title": "News", "body": "The webinar moved to Friday."}, page="/"),
    ]
    codes = [r.status_code for r in gets + posts]
    if role in ("editor", "owner"):
        assert codes[:2] == [200, 200]
        assert codes[2:5] == [302, 302, 409]  # the second question was merged before the decline
        assert codes[5] == (409 if state == "draft" else 302)  # announcements need a published challenge
        return
    if role == "anonymous":
        assert all(c == 302 for c in codes), codes
    else:
        expected = 404 if state == "draft" else 403
        assert codes == [expected] * 6, codes
    statuses = [q.status for q in _questions(app, made["id"])]
    assert statuses == [QuestionStatus.PENDING, QuestionStatus.PENDING]  # nothing changed
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Announcement)) == 0


def test_a_question_of_another_challenge_is_not_found(app: Flask, post_form, login, make_user,
                                                     make_challenge) -> None:
    mine = make_challenge("open")
    theirs = make_challenge("open")
    foreign = _question(app, theirs["id"], make_user())
    login(mine["org"]["owner"])
    response = post_form(f"/challenges/{mine['slug']}/questions/{foreign}/answer", {"answer": "Sure."}, page="/")
    assert response.status_code == 404
    assert _questions(app, theirs["id"])[0].status == QuestionStatus.PENDING


# ---------------------------------------------------------------- answering, merging, declining
@pytest.mark.both_databases
def test_an_answer_is_public_and_followers_get_it_in_their_language(
        app: Flask, client, post_form, login, make_user, make_challenge, smtp_sink, send_outbox) -> None:
    made = make_challenge("open")
    asker = make_user("asker@example.org", display_name="Ada Asker", locale="nb")
    danish = make_user("dansk@example.org", locale="da")
    swedish = make_user("svensk@example.org", locale="sv")
    for user in (asker, danish, swedish):
        _follow(app, user, made["id"])
    qid = _question(app, made["id"], asker)
    login(made["org"]["editor"])
    url = f"/challenges/{made['slug']}/questions/{qid}"
    assert BODY in client.get(url).get_data(as_text=True)

    response = post_form(f"{url}/answer", {"answer": "Yes. **Mixed teams** are welcome."}, page=url)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/challenges/{made['slug']}/questions")
    [question] = _questions(app, made["id"])
    assert question.status == QuestionStatus.ANSWERED
    assert question.answered_by_id == made["org"]["editor_id"]

    html = _public_page(app, made["slug"])
    assert BODY in html
    assert "<strong>Mixed teams</strong>" in html
    assert f'id="question-{qid}"' in html
    assert "Ada Asker" not in html  # P08
    assert "asker@example.org" not in html

    send_outbox()
    languages = {addr: [m["Content-Language"] for m in smtp_sink.to(addr)]
                 for addr in ("asker@example.org", "dansk@example.org", "svensk@example.org")}
    assert languages == {"asker@example.org": ["nb"], "dansk@example.org": ["da"], "svensk@example.org": ["sv"]}
    [to_asker] = smtp_sink.to("asker@example.org")
    text = smtp_sink.text_of(to_asker)
    title = _title(app, made["id"])
    assert _in(app, "nb", 'The organisers of "%(title)s" have answered your question:', title=title) in text
    assert f"/challenges/{made['slug']}#question-{qid}" in text
    [to_follower] = smtp_sink.to("dansk@example.org")
    assert "Mixed teams" in smtp_sink.text_of(to_follower)
    assert "Ada Asker" not in smtp_sink.text_of(to_follower)  # P08: followers never learn who asked

    # Correcting the answer changes the page, and emails nobody again.
    smtp_sink.clear()
    assert post_form(f"{url}/answer", {"answer": "Yes, mixed teams are welcome."}, page=url).status_code == 302
    send_outbox()
    assert smtp_sink.messages == []
    assert "Yes, mixed teams are welcome." in _public_page(app, made["slug"])


def test_an_empty_answer_is_refused_at_the_field(app: Flask, post_form, login, make_user, make_challenge) -> None:
    made = make_challenge("open")
    qid = _question(app, made["id"], make_user())
    login(made["org"]["owner"])
    url = f"/challenges/{made['slug']}/questions/{qid}"
    response = post_form(f"{url}/answer", {"answer": "   "}, page=url)
    assert response.status_code == 400
    assert 'id="answer-error"' in response.get_data(as_text=True)
    assert _questions(app, made["id"])[0].status == QuestionStatus.PENDING


@pytest.mark.both_databases
def test_declined_and_pending_questions_are_never_public(app: Flask, client, post_form, login, make_user,
                                                         make_challenge, smtp_sink, send_outbox) -> None:
    made = make_challenge("open")
    asker = make_user("asker@example.org", display_name="Ada Asker")
    follower = make_user("follower@example.org")
    _follow(app, follower, made["id"])
    declined = _question(app, made["id"], asker, body="Can you tell me who else has entered so far?")
    _question(app, made["id"], asker, body="What file formats are accepted for drawings?")
    login(made["org"]["owner"])
    url = f"/challenges/{made['slug']}/questions/{declined}"

    response = post_form(f"{url}/decline", {"reason": ""}, page=url)
    assert response.status_code == 400
    assert 'id="reason-error"' in response.get_data(as_text=True)

    reason = "We never share who takes part before the results."
    assert post_form(f"{url}/decline", {"reason": reason}, page=url).status_code == 302
    html = _public_page(app, made["slug"])
    for hidden in ("who else has entered", "What file formats", reason, "Ada Asker", "asker@example.org"):
        assert hidden not in html, hidden
    assert "No questions have been answered yet." in html
    # The organisers still see both, and the reason they gave.
    staff_page = client.get(f"/challenges/{made['slug']}/questions").get_data(as_text=True)
    assert reason in staff_page
    assert "What file formats" in staff_page
    send_outbox()
    [mail] = smtp_sink.messages
    assert "asker@example.org" in str(mail["To"])  # only the asker hears of it; followers do not
    assert reason in smtp_sink.text_of(mail)
    assert str(mail["Subject"]).startswith("About your question on")
    # A declined question cannot be answered afterwards.
    response = post_form(f"{url}/answer", {"answer": "Sure, here they are."}, page=f"/challenges/{made['slug']}")
    assert response.status_code == 409
    assert _questions(app, made["id"])[0].status == QuestionStatus.DECLINED


@pytest.mark.both_databases
def test_a_merged_duplicate_points_to_its_question_and_its_asker_gets_the_answer(
        app: Flask, client, post_form, login, make_user, make_challenge, smtp_sink, send_outbox) -> None:
    made = make_challenge("open")
    first_asker = make_user("first@example.org")
    second_asker = make_user("second@example.org", locale="da")
    original = _question(app, made["id"], first_asker)
    duplicate = _question(app, made["id"], second_asker, body="Can students from different schools team up?")
    login(made["org"]["owner"])
    base = f"/challenges/{made['slug']}/questions"

    assert post_form(f"{base}/{duplicate}/merge", {"into": str(duplicate)}, page=base).status_code == 400
    assert post_form(f"{base}/{duplicate}/merge", {"into": str(original)}, page=base).status_code == 302
    page = client.get(f"{base}/{duplicate}").get_data(as_text=True)
    assert f"See question {original}" in page
    assert f'href="{base}/{original}"' in page
    assert f"See question {original}" in client.get(base).get_data(as_text=True)
    assert "Can students from different schools" not in _public_page(app, made["slug"])

    assert post_form(f"{base}/{original}/answer", {"answer": "Yes, they can."}, page=base).status_code == 302
    send_outbox()
    [mail] = smtp_sink.to("second@example.org")
    text = smtp_sink.text_of(mail)
    assert _in(app, "da", 'The organisers of "%(title)s" have answered a question like yours. You asked:',
               title=_title(app, made["id"])) in text
    assert "Can students from different schools team up?" in text
    assert "Yes, they can." in text
    assert f"#question-{original}" in text
    assert mail["Content-Language"] == "da"
    assert len(smtp_sink.to("first@example.org")) == 1


# ---------------------------------------------------------------- announcements
def test_an_announcement_is_shown_and_emailed_to_followers(app: Flask, client, post_form, login, make_user,
                                                           make_challenge, smtp_sink, send_outbox) -> None:
    made = make_challenge("open")
    fan = make_user("fan@example.org", locale="da")
    with app.app_context():
        db.session.add(Follow(user_id=fan, organisation_id=made["org"]["id"]))
        db.session.commit()
    login(made["org"]["editor"])
    base = f"/challenges/{made['slug']}"
    response = post_form(f"{base}/announcements", {"title": "", "body": "Webinar on Friday"}, page=f"{base}/questions")
    assert response.status_code == 400
    assert "Webinar on Friday" in response.get_data(as_text=True)  # kept

    response = post_form(f"{base}/announcements", {"title": "Webinar on Friday",
                                                   "body": "Join us at **10:00** for a walk through the brief."},
                         page=f"{base}/questions")
    assert response.status_code == 302
    html = _public_page(app, made["slug"])
    assert "Webinar on Friday" in html
    assert "<strong>10:00</strong>" in html
    assert "Webinar on Friday" in client.get(f"{base}/questions").get_data(as_text=True)
    send_outbox()
    [mail] = smtp_sink.to("fan@example.org")
    assert "Webinar on Friday" in str(mail["Subject"])
    assert mail["Content-Language"] == "da"
    assert f"/challenges/{made['slug']}" in smtp_sink.text_of(mail)


# ---------------------------------------------------------------- S28
PAYLOADS = ['<script>alert("q")</script>', '<img src=x onerror=alert(1)>', '[click](javascript:alert(1))',
            '"><svg onload=alert(1)>', "<a href='javascript:alert(1)'>x</a>"]


class _Unsafe(HTMLParser):
    """Collects what would run: inline scripts, on* handlers, javascript: links."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("inline script")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}={value}")


def _unsafe(html: str) -> list[str]:
    parser = _Unsafe()
    parser.feed(html)
    return parser.found


def test_user_text_in_questions_answers_and_announcements_is_inert(
        app: Flask, client, post_form, login, make_user, make_challenge, smtp_sink, send_outbox) -> None:
    made = make_challenge("open")
    asker = make_user("asker@example.org", display_name='<script>alert("name")</script>')
    _follow(app, asker, made["id"])
    base = f"/challenges/{made['slug']}"
    login("asker@example.org")
    for payload in PAYLOADS:
        body = f"Question with {payload} inside it"
        assert post_form(f"{base}/questions", {"body": body}, page=base).status_code == 302
    assert post_form("/account/logout", {}, page=base).status_code == 302
    login(made["org"]["owner"])
    questions = _questions(app, made["id"])
    for question, payload in zip(questions, PAYLOADS, strict=True):
        url = f"{base}/questions/{question.id}"
        assert post_form(f"{url}/answer", {"answer": f"Answer with {payload} inside"}, page=url).status_code == 302
    assert post_form(f"{base}/announcements", {"title": PAYLOADS[0], "body": " ".join(PAYLOADS)},
                     page=f"{base}/questions").status_code == 302

    pages = {"public": _public_page(app, made["slug"]),
             "questions": client.get(f"{base}/questions").get_data(as_text=True),
             "question": client.get(f"{base}/questions/{questions[0].id}").get_data(as_text=True),
             "manage": client.get(f"{base}/manage").get_data(as_text=True)}
    for name, html in pages.items():
        assert _unsafe(html) == [], name
        assert "<script>alert" not in html, name
    assert "&lt;script&gt;alert(&#34;q&#34;)&lt;/script&gt;" in pages["public"]  # shown as text, not run
    send_outbox()
    for mail in smtp_sink.messages:
        html_part = mail.get_body(preferencelist=("html",))
        if html_part is not None:
            assert _unsafe(html_part.get_content()) == [], mail["Subject"]
