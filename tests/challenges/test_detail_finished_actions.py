"""Issue 12, item 3: a finished challenge (results, archived, cancelled) no longer offers "follow"
or "add the dates to your calendar" as if it were open; it points to what it has instead, and the
server refuses a new follow. A follower can still stop following."""
from __future__ import annotations

import pytest
from public_helpers import client_as, csrf_token
from sqlalchemy import func, select

from app.challenges.models import Follow
from app.db import db

OPEN_ONLY = ("Log in to follow this challenge", "Add the dates to your calendar", 'type="text/calendar"')


def _follows(app, challenge_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Follow).where(Follow.challenge_id == challenge_id))


@pytest.mark.parametrize("state", ["scheduled", "open", "closed", "judging"])
def test_a_challenge_with_dates_to_come_offers_follow_and_calendar(client, make_challenge, state) -> None:
    made = make_challenge(state)
    html = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    for text in OPEN_ONLY:
        assert text in html, (state, text)
    assert "This challenge has ended." not in html


@pytest.mark.parametrize("state", ["results", "archived"])
def test_a_finished_challenge_points_to_what_it_has(client, make_challenge, state) -> None:
    made = make_challenge(state, concept_publication="all")
    html = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    for text in OPEN_ONLY:
        assert text not in html, (state, text)
    assert "This challenge has ended." in html
    assert f'<a href="/challenges/{made["slug"]}/concepts">Read the published concepts</a>' in html
    assert "Follow this challenge" not in html


def test_a_cancelled_challenge_offers_neither(client, make_challenge) -> None:
    made = make_challenge("cancelled", cancel_reason="The budget was cut.")
    html = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    for text in OPEN_ONLY:
        assert text not in html
    assert "The budget was cut." in html
    assert "Read the published concepts" not in html


def test_a_new_follow_of_a_finished_challenge_is_refused(app, make_user, make_challenge) -> None:
    made = make_challenge("results")
    make_user("late@example.org")
    late = client_as(app, "late@example.org")
    page = f"/challenges/{made['slug']}"
    assert "Follow this challenge" not in late.get(page).get_data(as_text=True)
    response = late.post(f"{page}/follow", data={"csrf_token": csrf_token(late, page)})
    assert response.status_code == 409
    assert "This challenge has ended, so there is nothing more to follow." in response.get_data(as_text=True)
    assert _follows(app, made["id"]) == 0


def test_a_follower_of_a_finished_challenge_can_stop(app, make_user, make_challenge) -> None:
    made = make_challenge("results")
    uid = make_user("fan@example.org")
    with app.app_context():
        db.session.add(Follow(user_id=uid, challenge_id=made["id"]))
        db.session.commit()
    fan = client_as(app, "fan@example.org")
    page = f"/challenges/{made['slug']}"
    html = fan.get(page).get_data(as_text=True)
    assert f'action="/challenges/{made["slug"]}/unfollow"' in html
    assert "Follow this challenge" not in html
    # Following again is harmless (it already exists); stopping works.
    assert fan.post(f"{page}/follow", data={"csrf_token": csrf_token(fan, page)}).status_code == 302
    assert fan.post(f"{page}/unfollow", data={"csrf_token": csrf_token(fan, page)}).status_code == 302
    assert _follows(app, made["id"]) == 0
