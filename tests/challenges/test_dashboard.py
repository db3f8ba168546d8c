"""The organisation dashboard: challenges by effective state with aggregate counts, who may look
(S17, S18), a constant number of queries, and the links to it."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from app.challenges.models import Challenge, Follow, Question, QuestionStatus
from app.core.timeutil import clock
from app.db import db


class _Rows(HTMLParser):
    """Table rows as lists of cell texts, per section id (`state-open`: [[title, ...], ...])."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[list[str]]] = {}
        self._section: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "section" and (names.get("aria-labelledby") or "").startswith("state-"):
            self._section = names["aria-labelledby"]
            self.sections[self._section] = []
        elif tag == "tr" and self._section:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._section:
            if self._row and self._row[0] != "Challenge":
                self.sections[self._section].append(self._row)
            self._row = None
        elif tag == "section":
            self._section = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _sections(html: str) -> dict[str, list[list[str]]]:
    parser = _Rows()
    parser.feed(html)
    return parser.sections


def _add(app: Flask, *rows: Any) -> None:
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()


@pytest.mark.both_databases
def test_challenges_are_grouped_by_effective_state_with_counts(app: Flask, client, login, make_org, make_user,
                                                               make_challenge) -> None:
    org = make_org()
    running = make_challenge("open", org=org, title="Less cardboard in the paper bin")
    quiet = make_challenge("open", org=org, title="Quiet open challenge")
    closed = make_challenge("closed", org=org, title="Closed challenge")
    make_challenge("draft", org=org, title="Draft challenge")
    make_challenge("results", org=org, title="Finished challenge")
    other = make_challenge("open", title="Another organisation's challenge")
    users = [make_user() for _ in range(4)]
    _add(app, *[Follow(user_id=u, challenge_id=running["id"]) for u in users[:3]],
         Follow(user_id=users[3], challenge_id=closed["id"]), Follow(user_id=users[3], challenge_id=other["id"]),
         Follow(user_id=users[0], organisation_id=org["id"]), Follow(user_id=users[1], organisation_id=org["id"]),
         *[Question(challenge_id=running["id"], asked_by_id=users[0], body=f"Pending question {n}?")
           for n in range(2)],
         Question(challenge_id=running["id"], asked_by_id=users[1], body="Answered?", status=QuestionStatus.ANSWERED,
                  answer="Yes."),
         Question(challenge_id=running["id"], asked_by_id=users[1], body="Declined?", status=QuestionStatus.DECLINED,
                  decline_reason="No."),
         Question(challenge_id=closed["id"], asked_by_id=users[2], body="Answered too?",
                  status=QuestionStatus.ANSWERED, answer="Yes."),
         Question(challenge_id=other["id"], asked_by_id=users[2], body="Elsewhere?"))
    # The clock closes `quiet` without anyone recording it: the dashboard shows the effective state.
    with app.app_context():
        db.session.get(Challenge, quiet["id"]).deadline_at = clock.now() - timedelta(minutes=1)
        db.session.commit()

    login(org["editor"])
    response = client.get(f"/organisations/{org['slug']}/dashboard")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    sections = _sections(html)
    assert list(sections) == ["state-draft", "state-open", "state-closed", "state-results"]  # lifecycle order
    titles = {key: [row[0] for row in rows] for key, rows in sections.items()}
    assert titles["state-open"] == ["Less cardboard in the paper bin"]
    assert sorted(titles["state-closed"]) == ["Closed challenge", "Quiet open challenge"]
    assert "Another organisation's challenge" not in html  # S18
    # Title, deadline, followers, waiting, answered, concept drafts, concepts submitted, actions.
    [open_row] = sections["state-open"]
    assert open_row[2:7] == ["3", "2", "1", "0", "0"]
    closed_row = next(r for r in sections["state-closed"] if r[0] == "Closed challenge")
    assert closed_row[2:7] == ["1", "0", "1", "0", "0"]
    assert "5 challenges in all." in html
    assert "2 people follow the organisation." in html
    assert f'href="/challenges/{running["slug"]}/manage"' in html
    assert f'href="/organisations/{org["slug"]}/challenges/new"' in html


ROLES = ("anonymous", "user", "other_staff", "admin", "editor", "owner")


@pytest.mark.parametrize("role", ROLES)
def test_who_may_see_the_dashboard(app: Flask, client, login, logged_in, make_org, make_challenge,
                                   role: str) -> None:
    made = make_challenge("open")
    if role in ("user", "admin"):
        logged_in(role)
    elif role == "other_staff":
        login(make_org()["owner"])  # S18
    elif role in ("editor", "owner"):
        login(made["org"][role])
    response = client.get(f"/organisations/{made['org']['slug']}/dashboard")
    expected = {"anonymous": 302, "user": 404, "other_staff": 404, "admin": 200, "editor": 200, "owner": 200}
    assert response.status_code == expected[role]
    if role == "admin":  # admins may look, but only the organisation's staff run its challenges
        html = response.get_data(as_text=True)
        assert "/manage" not in html
        assert "platform administrator" in html
    if role != "anonymous":
        assert client.get("/organisations/no-such-organisation/dashboard").status_code == 404


@contextmanager
def _statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)", statement, re.I):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _count)


@pytest.mark.both_databases
def test_the_number_of_queries_does_not_grow_with_the_challenges(app: Flask, client, login, make_org, make_user,
                                                                 make_challenge) -> None:
    org = make_org()
    login(org["owner"])
    url = f"/organisations/{org['slug']}/dashboard"
    fan = make_user()

    def add(n: int) -> None:
        for state in ("open", "closed", "draft", "results")[: n]:
            made = make_challenge(state, org=org)
            _add(app, Follow(user_id=fan, challenge_id=made["id"]),
                 Question(challenge_id=made["id"], asked_by_id=fan, body="A question of some length?"))

    add(1)
    client.get(url)  # warm up
    with _statements(app) as few:
        assert client.get(url).status_code == 200
    for _ in range(3):
        add(4)
    with _statements(app) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), many


def test_the_dashboard_is_linked_for_staff_only(app: Flask, client, post_form, login, logged_in,
                                                make_challenge) -> None:
    made = make_challenge("open")
    link = f'href="/organisations/{made["org"]["slug"]}/dashboard"'
    logged_in("user")
    assert link not in client.get(f"/organisations/{made['org']['slug']}").get_data(as_text=True)
    assert post_form("/account/logout", {}, page="/").status_code == 302
    login(made["org"]["editor"])
    assert link in client.get(f"/organisations/{made['org']['slug']}").get_data(as_text=True)
    assert link in client.get("/organisations/mine").get_data(as_text=True)


def test_titles_link_to_the_challenge_and_times_drop_the_seconds(app: Flask, client, login, make_org,
                                                                 make_challenge) -> None:
    """Issue 12, item 6: a title in the table opens the challenge; deadlines read 15:30, not 15:30:00."""
    org = make_org()
    ch = make_challenge("open", org=org, title="Linked title")
    with app.app_context():
        db.session.get(Challenge, ch["id"]).deadline_at = clock.now().replace(hour=14, minute=30, second=15)
        db.session.commit()
    login(org["owner"])
    html = client.get(f"/organisations/{org['slug']}/dashboard").get_data(as_text=True)
    assert re.search(rf'<th scope="row"><a href="/challenges/{ch["slug"]}/manage">Linked title</a></th>', html)
    row = html[html.index("Linked title"):]
    cell = re.search(r"<td[^>]*>([^<]*)</td>", row).group(1)
    assert re.search(r"\d{1,2}[:.]\d{2}", cell), cell
    assert not re.search(r"\d{1,2}[:.]\d{2}[:.]\d{2}", cell), cell
