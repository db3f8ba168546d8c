"""Conflict declaration by the juror (P09): the list before any content, a reason per entry, the
confirmation, declarations for good; blind lists show labels and titles only (S19)."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.accounts.models import User
from app.concepts.models import Concept
from app.core.audit import AuditEvent
from app.db import db
from app.judging.models import Conflict, JurySeat

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _url(j: dict) -> str:
    return f"/challenges/{j['slug']}/jury/conflicts"


def _token(client, url: str) -> str:
    return CSRF_RE.search(client.get(url).get_data(as_text=True)).group(1)


def _seat(app, seat_id: int) -> JurySeat:
    with app.app_context():
        seat = db.session.get(JurySeat, seat_id)
        db.session.expunge(seat)
        return seat


def _team(app, concept_id: int) -> tuple[str, list[str]]:
    with app.app_context():
        concept = db.session.get(Concept, concept_id)
        return concept.team_name, [m.user.display_name for m in concept.members]


def test_a_juror_declares_a_conflict_with_a_reason_and_confirms(app, client, login, make_judging) -> None:
    """P09: declare one conflict with a reason, confirm the list; the seat is marked, the conflict is in
    force and audited, and the entry's sheet is refused from then on."""
    j = make_judging(concepts=3)
    juror = j["jurors"][0]
    login(juror)
    url = _url(j)
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    labels = sorted(j["labels"].values())
    for label in labels:
        assert label in html
    team, members = _team(app, j["concepts"][0]["id"])
    assert team in html  # not blind: the team and its members help the juror recognise a conflict
    assert members[0] in html
    target = j["labels"][j["concepts"][0]["id"]]
    response = client.post(url, data={"csrf_token": _token(client, url), f"conflict_{target}": "y",
                                      f"reason_{target}": "I supervised this team", "confirm_all": "y"})
    assert response.status_code == 303
    assert _seat(app, j["seat_ids"][juror]).conflicts_declared_at is not None
    with app.app_context():
        conflict = db.session.scalar(select(Conflict))
        assert conflict.concept_id == j["concepts"][0]["id"]
        assert conflict.reason == "I supervised this team"
        assert conflict.in_force
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "judging.conflict_declared")) == 1
    html = client.get(url).get_data(as_text=True)
    assert "You declared a conflict of interest." in html
    assert f'name="conflict_{target}"' not in html  # never taken back: no box to untick
    assert client.get(f"/challenges/{j['slug']}/jury/rounds/1/{target}").status_code == 403
    other = j["labels"][j["concepts"][1]["id"]]
    assert client.get(f"/challenges/{j['slug']}/jury/rounds/1/{other}").status_code == 200


def test_a_ticked_entry_without_a_reason_and_a_missing_confirmation_are_refused(app, client, login,
                                                                               make_judging) -> None:
    """Bad input: a conflict without a reason, or the first declaration without the confirmation: 400,
    both named, what was typed kept, nothing recorded."""
    j = make_judging()
    juror = j["jurors"][0]
    login(juror)
    url = _url(j)
    target = j["labels"][j["concepts"][0]["id"]]
    response = client.post(url, data={"csrf_token": _token(client, url), f"conflict_{target}": "y"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"Say in a few words why you have a conflict with {target}." in html
    assert "Confirm that you have declared all your conflicts" in html
    assert 'checked' in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Conflict)) == 0
    assert _seat(app, j["seat_ids"][juror]).conflicts_declared_at is None


def test_no_conflict_at_all_is_a_valid_declaration(app, client, login, make_judging) -> None:
    j = make_judging()
    juror = j["jurors"][0]
    login(juror)
    url = _url(j)
    assert client.post(url, data={"csrf_token": _token(client, url), "confirm_all": "y"}).status_code == 303
    assert _seat(app, j["seat_ids"][juror]).conflicts_declared_at is not None
    assert client.get(f"/challenges/{j['slug']}/jury/rounds/1").status_code == 200


def test_a_later_conflict_can_be_added_never_removed(app, client, login, make_judging) -> None:
    """P09: after confirming, a juror may declare a further conflict; posting a declared entry again
    changes nothing (its reason stands)."""
    j = make_judging(concepts=2)
    juror = j["jurors"][0]
    login(juror)
    url = _url(j)
    first, second = (j["labels"][c["id"]] for c in j["concepts"])
    client.post(url, data={"csrf_token": _token(client, url), f"conflict_{first}": "y",
                           f"reason_{first}": "First reason", "confirm_all": "y"})
    html = client.get(url).get_data(as_text=True)
    assert "cannot be taken back" in html
    response = client.post(url, data={"csrf_token": _token(client, url), f"conflict_{second}": "y",
                                      f"reason_{second}": "Found out later",
                                      f"conflict_{first}": "", f"reason_{first}": "Changed"})
    assert response.status_code == 303
    with app.app_context():
        reasons = dict(db.session.execute(select(Conflict.concept_id, Conflict.reason)).all())
    assert reasons == {j["concepts"][0]["id"]: "First reason", j["concepts"][1]["id"]: "Found out later"}


def test_an_unknown_entry_in_the_post_is_ignored_not_a_crash(app, client, login, make_judging) -> None:
    j = make_judging()
    login(j["jurors"][0])
    url = _url(j)
    response = client.post(url, data={"csrf_token": _token(client, url), "conflict_C-999": "y",
                                      "reason_C-999": "x", "confirm_all": "y"})
    assert response.status_code == 303  # a field the form does not have is never read
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Conflict)) == 0


def test_blind_list_shows_labels_and_titles_only(app, client, login, make_judging) -> None:
    """S19, P09: in a blind challenge the list names no team, member or email."""
    j = make_judging(blind=True)
    login(j["jurors"][0])
    html = client.get(_url(j)).get_data(as_text=True)
    with app.app_context():
        for c in j["concepts"]:
            concept = db.session.get(Concept, c["id"])
            assert concept.title in html
            assert concept.team_name not in html
            for m in concept.members:
                user = db.session.get(User, m.user_id)
                assert user.display_name not in html
                assert user.email not in html
    assert "judged blind" in html
