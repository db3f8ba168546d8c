"""The juror's home (/jury) and the main navigation's "Jury" link (issue 10 item 1)."""
from __future__ import annotations

from app.core.timeutil import utcnow
from app.db import db
from app.judging.models import JurySeat, ScoreSheet


def test_home_lists_what_waits_for_the_juror(app, client, login, make_judging) -> None:
    """Conflicts first; then sheets left with the deadline, and a progress bar with its text."""
    j = make_judging(concepts=3)
    juror = j["jurors"][0]
    login(juror)
    html = client.get("/jury").get_data(as_text=True)
    assert 'href="/jury"' in html  # the nav link
    assert "First, declare your conflicts of interest." in html
    assert f"/challenges/{j['slug']}/jury/conflicts" in html
    with app.app_context():
        db.session.get(JurySeat, j["seat_ids"][juror]).conflicts_declared_at = utcnow()
        db.session.add(ScoreSheet(round_id=j["round_id"], seat_id=j["seat_ids"][juror],
                                  concept_id=j["concepts"][0]["id"], state="submitted", lock_version=1))
        db.session.commit()
    html = client.get("/jury").get_data(as_text=True)
    assert "2 sheets left in this round." in html
    assert "Due " in html
    assert "1 of 3 submitted" in html
    assert '<progress max="3" value="1"' in html


def test_a_user_without_a_seat_sees_the_empty_state_and_no_jury_link(app, client, logged_in) -> None:
    logged_in()
    response = client.get("/jury")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "You do not sit on any jury." in html
    assert 'href="/jury"' not in html


def test_a_removed_juror_sees_neither_the_seat_nor_the_link(app, client, login, make_judging) -> None:
    j = make_judging()
    juror = j["jurors"][0]
    with app.app_context():
        db.session.get(JurySeat, j["seat_ids"][juror]).removed_at = utcnow()
        db.session.commit()
    login(juror)
    html = client.get("/jury").get_data(as_text=True)
    assert "You do not sit on any jury." in html
    assert 'href="/jury"' not in html
    assert client.get(f"/challenges/{j['slug']}/jury/conflicts").status_code == 404


def test_home_needs_a_login(client) -> None:
    """S16: anonymous visitors are sent to the login page."""
    response = client.get("/jury")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_the_jury_link_costs_one_query(app, client, login, make_judging) -> None:
    """The nav link's check is one query per request, whatever the number of seats."""
    from sqlalchemy import event

    j = make_judging()
    login(j["jurors"][0])
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

        def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
            if "jury_seats" in statement:
                seen.append(statement)
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/challenges/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(seen) == 1
