"""The public challenge page: who sees a draft (S17, S18), what <head> announces, the countdown in
the viewer's time zone and language, the rubric's semantics (A09), the data controller (P07),
published questions, announcements and change log, and following (S23)."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from public_helpers import client_as, csrf_token
from sqlalchemy import func, select

from app.challenges.models import (
    Announcement,
    Challenge,
    ChangeLogEntry,
    Follow,
    Question,
    QuestionStatus,
)
from app.core.timeutil import clock
from app.db import db

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # a Monday, in winter time everywhere we look


def head_of(html: str) -> str:
    return html.split("</head>", 1)[0]


# ---------------------------------------------------------------- who may see it
@pytest.mark.parametrize("state", ["draft", "open"])
def test_who_sees_the_challenge_page(app, make_org, make_challenge, make_user, state) -> None:
    # S17, S18: a draft is a 404 for everyone but its organisation's staff; a published page is public.
    made = make_challenge(state, title="Matrix challenge")
    other = make_org()
    make_user("plain@example.org")
    make_user("admin@example.org", admin=True)
    make_user("unverified@example.org", verified=False)
    viewers = {None: 404, "plain@example.org": 404, "unverified@example.org": 404, other["owner"]: 404,
               other["editor"]: 404, "admin@example.org": 404, made["org"]["owner"]: 200, made["org"]["editor"]: 200}
    for who, draft_status in viewers.items():
        response = client_as(app, who).get(f"/challenges/{made['slug']}")
        expected = draft_status if state == "draft" else 200
        assert response.status_code == expected, (who, state)
        if state == "draft" and expected == 200:
            html = response.get_data(as_text=True)
            assert "This challenge is not public" in html
            assert '<meta name="robots" content="noindex">' in html
            assert "application/atom+xml" not in head_of(html).split("css/app.css", 1)[1]


def test_a_challenge_of_a_pending_organisation_is_not_public(app, make_org, make_challenge) -> None:
    org = make_org(status="pending")
    made = make_challenge("open", org=org)
    assert client_as(app, None).get(f"/challenges/{made['slug']}").status_code == 404
    assert client_as(app, org["owner"]).get(f"/challenges/{made['slug']}").status_code == 200


def test_unknown_challenge_is_404(client) -> None:
    assert client.get("/challenges/no-such-challenge").status_code == 404


# ---------------------------------------------------------------- <head>
def test_head_has_title_description_open_graph_canonical_and_feeds(client, make_challenge) -> None:
    made = make_challenge("open", title="Green buses to the business park", summary="Get commuters out of cars.")
    html = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    head = head_of(html)
    url = f"http://localhost/challenges/{made['slug']}"  # BASE_URL in the tests
    assert "<title>Green buses to the business park · Concept Arena</title>" in head
    assert '<meta name="description" content="Get commuters out of cars.">' in head
    assert '<meta property="og:title" content="Green buses to the business park">' in head
    assert '<meta property="og:description" content="Get commuters out of cars.">' in head
    assert f'<meta property="og:url" content="{url}">' in head
    assert f'<link rel="canonical" href="{url}">' in head
    assert re.search(r'<link rel="alternate" type="application/atom\+xml" title="[^"]+" '
                     rf'href="/feeds/organisations/{made["org"]["slug"]}\.atom">', head)
    assert re.search(rf'<link rel="alternate" type="text/calendar" title="[^"]+" '
                     rf'href="/challenges/{made["slug"]}/calendar\.ics">', head)
    assert re.search(r'<script src="/static/js/countdown\.js\?v=[0-9a-f]{12}" defer></script>', head)
    assert html.count("<h1") == 1
    # The countdown script is loaded only on the challenge page.
    assert "countdown.js" not in client.get("/challenges/").get_data(as_text=True)
    assert "countdown.js" not in client.get("/").get_data(as_text=True)


# ---------------------------------------------------------------- countdown and times
def test_countdown_and_deadline_in_the_default_zone(client, make_challenge) -> None:
    clock.set(NOW)
    made = make_challenge("open", opens_at=NOW - timedelta(days=2),
                          deadline_at=NOW + timedelta(days=3, hours=4, minutes=30))
    html = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    assert "Closes in 3 days, 4 hours" in html
    # 13:30 UTC is 14:30 in Copenhagen (the default zone), named in words.
    assert "Thursday, March 4, 2027, 2:30\u202fPM</time> (Central European Standard Time)" in html
    assert 'data-countdown-target="2027-03-04T13:30:00Z"' in html
    assert 'data-countdown-template="Closes in {time}"' in html
    assert "Organiser&#39;s time" not in html  # the organiser is in the same zone


def test_countdown_in_the_viewers_zone_and_language(app, make_user, make_challenge) -> None:
    clock.set(NOW)
    made = make_challenge("open", opens_at=NOW - timedelta(days=2), deadline_at=NOW + timedelta(hours=5, minutes=12))
    make_user("helsinki@example.org", timezone="Europe/Helsinki", locale="da")
    html = client_as(app, "helsinki@example.org").get(f"/challenges/{made['slug']}").get_data(as_text=True)
    assert '<html lang="da">' in html
    assert "5 timer og 12 minutter" in html  # Babel's Danish units, whatever the catalogue holds
    # 14:12 UTC is 16:12 in Helsinki; the organiser's Copenhagen time is shown too, as it differs.
    assert "mandag den 1. marts 2027 16.12</time> (Østeuropæisk normaltid)" in html
    assert "mandag den 1. marts 2027 15.12 (Centraleuropæisk normaltid)" in html
    assert 'data-countdown-lang="da"' in html


def test_a_scheduled_challenge_counts_down_to_its_opening(client, make_challenge) -> None:
    clock.set(NOW)
    made = make_challenge("scheduled", opens_at=NOW + timedelta(minutes=40), deadline_at=NOW + timedelta(days=20))
    html = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    assert "Opens in 40 minutes" in html
    assert "Opens soon" in html
    clock.set(NOW + timedelta(hours=1))  # opened by the clock, on read
    html = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    assert "Closes in 19 days, 23 hours" in html
    assert "Open for concepts" in html


def test_a_closed_challenge_has_no_countdown(client, make_challenge) -> None:
    made = make_challenge("closed")
    html = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    assert "data-countdown-target" not in html
    assert "Closes in" not in html


# ---------------------------------------------------------------- the body
def test_rubric_prize_and_eligibility(app, client, make_challenge) -> None:
    # A09: the rubric is a table with a caption and column and row headers.
    made = make_challenge("open", prize_minor=10_000_000, currency="NOK", prize_count=3, prize_split=[50, 30, 20],
                          eligibility=["student", "startup"], allow_individuals=False, max_team_size=4)
    with app.app_context():
        challenge = db.session.get(Challenge, made["id"])
        challenge.criteria[0].anchors = {"1": "No effect", "10": "Transforms the city", "5": "Clear effect"}
        db.session.commit()
    html = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    table = html[html.index('<table class="rubric stack-table">'):html.index("</table>")]
    assert "<caption>" in table
    assert table.count('<th scope="col">') == 4
    assert table.count('<th scope="row"') == 2
    assert "60%" in table
    assert "1 to 5" in table
    levels = re.findall(r"<dt>Score (\d+)</dt>", table)
    assert levels == ["1", "5", "10"]  # in numeric order
    assert "NOK\xa0100,000 in prize money, shared by 3 winners." in html
    assert "Place 1: NOK\xa050,000 (50% of the prize money)" in html
    assert "Place 3: NOK\xa020,000 (20% of the prize money)" in html
    assert "Students" in html
    assert "Startups" in html
    assert "Only teams may take part, of up to 4 people." in html


def test_the_data_controller_is_named(client, make_challenge) -> None:
    # P07: the organisation, its contact, the purpose and the privacy notice.
    made = make_challenge("open")
    html = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    section = html[html.index('id="controller-title"'):]
    assert "is the data controller" in section
    assert 'href="mailto:privacy-' in section
    assert "Purpose:" in section
    assert 'href="/privacy"' in section
    assert f'href="/organisations/{made["org"]["slug"]}"' in html


def test_markdown_is_rendered_and_cleaned(client, make_challenge) -> None:
    made = make_challenge("open", problem_md="Sort **cardboard**.\n\n<script>alert(1)</script>",
                          background_md="[link](javascript:alert(1))")
    html = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    assert "<strong>cardboard</strong>" in html
    assert "<script>alert" not in html
    assert 'href="javascript:' not in html


@pytest.mark.both_databases
def test_published_questions_announcements_and_change_log(app, client, make_user, make_challenge) -> None:
    made = make_challenge("open")
    asker = make_user("asker@example.org", display_name="Asker Person")
    with app.app_context():
        db.session.add_all([
            Question(challenge_id=made["id"], asked_by_id=asker, body="May teams be mixed?",
                     status=QuestionStatus.ANSWERED, answer="Yes, **any** mix.", answered_at=clock.now()),
            Question(challenge_id=made["id"], asked_by_id=asker, body="Pending question text", status=QuestionStatus.PENDING),
            Question(challenge_id=made["id"], asked_by_id=asker, body="Declined question text",
                     status=QuestionStatus.DECLINED, decline_reason="Off topic"),
            Announcement(challenge_id=made["id"], title="Webinar on Friday", body_md="Join us at *noon*."),
            ChangeLogEntry(challenge_id=made["id"], reason="The holidays delayed the kick-off.",
                           changes={"deadline_at": {"old": "1 March", "new": "8 March"}}),
        ])
        db.session.commit()
    html = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    assert "May teams be mixed?" in html
    assert "<strong>any</strong> mix." in html
    assert "Pending question text" not in html
    assert "Declined question text" not in html
    assert "Asker Person" not in html  # P08: the asker is never shown
    assert "asker@example.org" not in html
    assert "Webinar on Friday" in html
    assert "<em>noon</em>" in html
    assert "Reason: The holidays delayed the kick-off." in html
    assert "Deadline" in html
    assert "1 March → 8 March" in html


# ---------------------------------------------------------------- follow
def follows_of(app: Any, **where: Any) -> int:
    with app.app_context():
        stmt = select(func.count()).select_from(Follow)
        for name, value in where.items():
            stmt = stmt.where(getattr(Follow, name) == value)
        return db.session.scalar(stmt)


def test_anonymous_visitors_are_asked_to_log_in_to_follow(app, client, make_challenge) -> None:
    made = make_challenge("open")
    html = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    assert f'href="/account/login?next=/challenges/{made["slug"]}">Log in to follow this challenge' in html
    response = client.post(f"/challenges/{made['slug']}/follow", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    assert follows_of(app) == 0


@pytest.mark.both_databases
def test_follow_and_unfollow_a_challenge_are_idempotent(app, make_user, make_challenge) -> None:
    made = make_challenge("open")
    uid = make_user("fan@example.org")
    fan = client_as(app, "fan@example.org")
    page = f"/challenges/{made['slug']}"
    assert "Follow this challenge" in fan.get(page).get_data(as_text=True)
    for _ in range(2):
        response = fan.post(f"{page}/follow", data={"csrf_token": csrf_token(fan, page)})
        assert response.status_code == 302
        assert response.headers["Location"].endswith(page)
    assert follows_of(app, user_id=uid, challenge_id=made["id"]) == 1
    html = fan.get(page).get_data(as_text=True)
    assert "Stop following" in html
    assert "You follow this challenge" in html
    # The follower list is never public: nobody else sees who follows.
    assert "fan@example.org" not in client_as(app, None).get(page).get_data(as_text=True)
    assert "fan@example.org" not in client_as(app, made["org"]["owner"]).get(page).get_data(as_text=True)
    for _ in range(2):
        assert fan.post(f"{page}/unfollow", data={"csrf_token": csrf_token(fan, page)}).status_code == 302
    assert follows_of(app) == 0
    assert "Follow this challenge" in fan.get(page).get_data(as_text=True)


def test_follow_needs_a_csrf_token(app, make_user, make_challenge) -> None:
    # S23
    made = make_challenge("open")
    make_user("fan@example.org")
    fan = client_as(app, "fan@example.org")
    for url in (f"/challenges/{made['slug']}/follow", f"/organisations/{made['org']['slug']}/follow"):
        assert fan.post(url, data={}).status_code == 400
        assert fan.post(url, data={"csrf_token": "forged"}).status_code == 400
    assert follows_of(app) == 0


def test_only_verified_users_follow(app, make_user, make_challenge) -> None:
    made = make_challenge("open")
    make_user("new@example.org", verified=False)
    newbie = client_as(app, "new@example.org")
    response = newbie.post(f"/challenges/{made['slug']}/follow", data={"csrf_token": csrf_token(newbie)})
    assert response.status_code == 302
    assert "/account/" in response.headers["Location"]
    assert follows_of(app) == 0


def test_nobody_follows_a_draft(app, make_user, make_challenge) -> None:
    made = make_challenge("draft")
    make_user("fan@example.org")
    for who in ("fan@example.org", made["org"]["owner"]):
        viewer = client_as(app, who)
        response = viewer.post(f"/challenges/{made['slug']}/follow", data={"csrf_token": csrf_token(viewer)})
        assert response.status_code == 404, who
    assert follows_of(app) == 0


@pytest.mark.both_databases
def test_follow_and_unfollow_an_organisation(app, make_user, make_org, make_challenge) -> None:
    made = make_challenge("open")
    org = made["org"]
    uid = make_user("fan@example.org")
    fan = client_as(app, "fan@example.org")
    page = f"/organisations/{org['slug']}"
    html = fan.get(page).get_data(as_text=True)
    assert "Follow Testby Kommune" in html
    for _ in range(2):
        response = fan.post(f"{page}/follow", data={"csrf_token": csrf_token(fan, page)})
        assert response.status_code == 302
        assert response.headers["Location"].endswith(page)
    assert follows_of(app, user_id=uid, organisation_id=org["id"]) == 1
    assert "Stop following Testby Kommune" in fan.get(page).get_data(as_text=True)
    for _ in range(2):
        assert fan.post(f"{page}/unfollow", data={"csrf_token": csrf_token(fan, page)}).status_code == 302
    assert follows_of(app) == 0
    pending = make_org(status="pending")
    response = fan.post(f"/organisations/{pending['slug']}/follow", data={"csrf_token": csrf_token(fan)})
    assert response.status_code == 404
    assert follows_of(app) == 0


# ---------------------------------------------------------------- cover image
def _store_cover(app: Any, challenge_id: int) -> str:
    import io

    from PIL import Image
    from werkzeug.datastructures import FileStorage

    from app.core.uploads import store_image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 60)).save(buffer, "PNG")
    with app.app_context():
        challenge = db.session.get(Challenge, challenge_id)
        challenge.cover_image_hash = store_image(FileStorage(io.BytesIO(buffer.getvalue()), "cover.png"),
                                                 max_bytes=2_000_000, upload_dir=app.config["UPLOAD_DIR"])
        challenge.cover_image_alt = "Bins in a courtyard"
        db.session.commit()
        return challenge.cover_image_hash


def test_the_cover_image_follows_the_page_rules(app, make_challenge) -> None:
    # S17: a draft's cover is for its staff only, and never cached.
    public = make_challenge("open")
    draft = make_challenge("draft")
    digest = _store_cover(app, public["id"])
    _store_cover(app, draft["id"])
    anonymous = client_as(app, None)
    html = anonymous.get(f"/challenges/{public['slug']}").get_data(as_text=True)
    assert f'src="/challenges/{public["slug"]}/cover?v={digest[:16]}" alt="Bins in a courtyard"' in html
    assert '<meta property="og:image" content="http://localhost/challenges/' in html
    response = anonymous.get(f"/challenges/{public['slug']}/cover?v={digest[:16]}")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert "immutable" in response.headers["Cache-Control"]
    assert anonymous.get(f"/challenges/{draft['slug']}/cover").status_code == 404
    staff = client_as(app, draft["org"]["owner"])
    response = staff.get(f"/challenges/{draft['slug']}/cover")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert anonymous.get(f"/challenges/{make_challenge('open')['slug']}/cover").status_code == 404  # none set
