"""The jury's decision: placements, prizes, citations, no winner; draft, finalise, unlock (S21)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.db import db
from app.judging import queries
from app.judging.models import Decision, Placement

PURSE = "50000"  # make_challenge: 50,000.00 DKK, one prize


def _url(j):
    return f"/challenges/{j['slug']}/jury/decision"


def _data(j, rows, action="save", lock="", **extra):
    data = {"action": action, "lock_version": lock}
    for i, row in enumerate(rows):
        index, kind, position, amount, citation = row
        data |= {f"placements-{i}-entry": j["labels"][j["concepts"][index]["id"]] if isinstance(index, int) else index,
                 f"placements-{i}-kind": kind, f"placements-{i}-position": position,
                 f"placements-{i}-amount": amount, f"placements-{i}-citation": citation}
    return data | extra


def _decision(app, j):
    with app.app_context():
        found = queries.decision(j["challenge"]["id"])
        return None if found is None else {
            "state": found.state, "lock": found.lock_version, "note": found.remainder_note,
            "reason": found.no_winner_reason,
            "placements": [(p.concept_id, p.kind, p.position, p.prize_minor, p.citation) for p in found.placements]}


def test_the_default_split_is_suggested(app, client, login, make_judging) -> None:
    j = make_judging(concepts=3, jurors=1, prize_count=2, prize_split=[60, 40])
    login(j["chair"])
    html = client.get(_url(j)).get_data(as_text=True)
    assert 'value="30000"' in html
    assert 'value="20000"' in html


@pytest.mark.both_databases
def test_chair_saves_a_draft_then_finalises_and_sheets_lock(app, client, login, post_form, make_judging) -> None:
    """S21: finalising writes an audit event and locks every sheet."""
    j = make_judging(concepts=3, jurors=1)
    login(j["chair"])
    rows = [(0, "prize", "1", PURSE, "Bold and simple."), (1, "mention", "", "", "A fine runner-up.")]
    response = post_form(_url(j), _data(j, rows))
    assert response.status_code == 302
    saved = _decision(app, j)
    assert saved["state"] == "draft"
    assert saved["placements"] == [(j["concepts"][0]["id"], "prize", 1, 5_000_000, "Bold and simple."),
                                   (j["concepts"][1]["id"], "mention", 2, 0, "A fine runner-up.")]
    with app.app_context():
        assert not queries.sheets_locked(j["challenge"]["id"])
    response = post_form(_url(j), _data(j, rows, action="finalise", lock=str(saved["lock"])))
    assert response.status_code == 302
    assert _decision(app, j)["state"] == "final"
    with app.app_context():
        assert queries.sheets_locked(j["challenge"]["id"])
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "judging.decision_finalised")) is not None
    html = client.get(_url(j)).get_data(as_text=True)
    assert "The decision is final" in html
    assert "Unlock the decision" in html


def test_unlock_needs_a_reason_and_is_audited(app, client, login, post_form, make_judging) -> None:
    """S21: unlocking without a reason is refused; with one, it is logged and the sheets unlock."""
    j = make_judging(concepts=2, jurors=1)
    login(j["chair"])
    post_form(_url(j), _data(j, [(0, "prize", "1", PURSE, "Yes.")], action="finalise"))
    assert _decision(app, j)["state"] == "final"
    response = post_form(_url(j), {"action": "unlock", "reason": ""})
    assert response.status_code == 400
    assert _decision(app, j)["state"] == "final"
    response = post_form(_url(j), {"action": "unlock", "reason": "A conflict came to light."})
    assert response.status_code == 302
    assert _decision(app, j)["state"] == "draft"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "judging.decision_unlocked"))
        assert event.details == {"reason": "A conflict came to light."}
        assert not queries.sheets_locked(j["challenge"]["id"])


def test_no_winner_needs_a_public_reason(app, client, login, post_form, make_judging) -> None:
    j = make_judging(concepts=2, jurors=1)
    login(j["chair"])
    response = post_form(_url(j), {"action": "finalise", "lock_version": "", "no_winner": "y"})
    assert response.status_code == 400
    assert "Give the public reason" in response.get_data(as_text=True)
    response = post_form(_url(j), {"action": "finalise", "lock_version": "", "no_winner": "y",
                                   "no_winner_reason": "No entry met the brief."})
    assert response.status_code == 302
    assert _decision(app, j)["reason"] == "No entry met the brief."


def test_a_remainder_note_explains_a_smaller_sum(app, client, login, post_form, make_judging) -> None:
    j = make_judging(concepts=2, jurors=1)
    login(j["chair"])
    response = post_form(_url(j), _data(j, [(0, "prize", "1", "40000", "Good.")], action="finalise",
                                        remainder_note="10,000 goes to next year's purse."))
    assert response.status_code == 302
    assert _decision(app, j)["note"] == "10,000 goes to next year's purse."


BAD = {
    "over the purse": ([(0, "prize", "1", "60000", "Yes.")], "save", 400, "more than the prize money"),
    "under the purse": ([(0, "prize", "1", "100", "Yes.")], "finalise", 400, "less than the prize money"),
    "duplicate entry": ([(0, "prize", "1", "25000", "A."), (0, "prize", "2", "25000", "B.")], "save", 400,
                        "placed twice"),
    "gap in places": ([(0, "prize", "1", "25000", "A."), (1, "prize", "3", "25000", "B.")], "save", 400,
                      "place 2 is missing"),
    "same place twice": ([(0, "prize", "1", "25000", "A."), (1, "prize", "1", "25000", "B.")], "save", 400,
                         "Place 1 is given twice"),
    "non-numeric amount": ([(0, "prize", "1", "lots", "A.")], "save", 400, "as a number"),
    "negative amount": ([(0, "prize", "1", "-5", "A.")], "save", 400, "cannot be negative"),
    "unknown label": ([("C-999", "prize", "1", PURSE, "A.")], "save", 400, "is not an entry of the final round"),
    "money on a mention": ([(0, "mention", "", "100", "A.")], "save", 400, "carries no prize money"),
    "missing citation": ([(0, "prize", "1", PURSE, "")], "finalise", 400, "Write a citation"),
    "bad place": ([(0, "prize", "first", PURSE, "A.")], "save", 400, "whole number"),
    "nothing placed": ([], "finalise", 400, "Place at least one entry"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_with_the_form_refilled(app, client, login, post_form, make_judging, case) -> None:
    """Bad input: 4xx, a message, nothing saved, what was typed still in the form (never a 500)."""
    rows, action, status, message = BAD[case]
    j = make_judging(concepts=3, jurors=1)
    login(j["chair"])
    response = post_form(_url(j), _data(j, rows, action=action, report_md="Typed report text"))
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:3000]
    assert message in html
    assert "Typed report text" in html
    assert 'class="error-summary"' in html
    assert _decision(app, j) is None


def test_finalising_twice_and_saving_after_final_are_conflicts(app, client, login, post_form, make_judging) -> None:
    """S21: a final decision cannot change (409) until unlocked."""
    j = make_judging(concepts=2, jurors=1)
    login(j["chair"])
    rows = [(0, "prize", "1", PURSE, "Yes.")]
    post_form(_url(j), _data(j, rows, action="finalise"))
    lock = str(_decision(app, j)["lock"])
    for action in ("finalise", "save"):
        response = post_form(_url(j), _data(j, rows, action=action, lock=lock))
        assert response.status_code == 409
        assert "The decision is final" in response.get_data(as_text=True)


@pytest.mark.both_databases
def test_a_stale_tab_cannot_overwrite(app, client, login, post_form, make_judging) -> None:
    """Two tabs: the second save with the old lock_version is refused (409) and keeps what it typed."""
    j = make_judging(concepts=2, jurors=1)
    login(j["chair"])
    post_form(_url(j), _data(j, [(0, "prize", "1", PURSE, "First tab.")]))
    response = post_form(_url(j), _data(j, [(1, "prize", "1", PURSE, "Second tab text.")], lock=""))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "another tab" in html
    assert "Second tab text." in html
    assert _decision(app, j)["placements"][0][4] == "First tab."


def test_messages_are_translated(app, client, login, post_form, make_judging) -> None:
    j = make_judging(concepts=2, jurors=1)
    login(j["chair"])
    response = post_form(_url(j), _data(j, [(0, "prize", "1", "60000", "Ja.")]),
                         headers={"Accept-Language": "nb"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "more than the prize money" not in html
    assert 'lang="nb"' in html


def test_a_missing_csrf_token_is_refused(app, client, login, make_judging) -> None:
    j = make_judging(concepts=2, jurors=1)
    login(j["chair"])
    assert client.post(_url(j), data=_data(j, [(0, "prize", "1", PURSE, "A.")])).status_code == 400
    assert _decision(app, j) is None


# ---------------------------------------------------------------- who may see it (S16, S17, S21)
GET_STATUS = {"anonymous": 302, "participant": 404, "member": 404, "juror": 403, "other_juror": 404,
              "chair": 200, "editor": 200, "admin": 404}
# Anonymous: the CSRF check (no session, no token) refuses first.
POST_STATUS = {**GET_STATUS, "anonymous": 400, "chair": 302, "editor": 403}


def _as(role, j, other, login, logged_in):
    if role == "participant":
        logged_in("user")
    elif role == "member":
        login(j["concepts"][0]["members"][1])
    elif role == "juror":
        login(j["jurors"][0])
    elif role == "other_juror":
        login(other["jurors"][0])
    elif role == "chair":
        login(j["chair"])
    elif role == "editor":
        login(j["editor"])
    elif role == "admin":
        logged_in("admin")


@pytest.mark.parametrize("role", list(GET_STATUS))
def test_who_opens_the_decision(app, client, login, logged_in, make_judging, role) -> None:
    """S16/S17: the chair edits; staff not on the jury read it without sheets or juror scores;
    other jurors 403; everyone else cannot tell it exists."""
    j = make_judging(concepts=2, jurors=1)
    other = make_judging(concepts=1, jurors=1)
    with app.app_context():
        db.session.add(Decision(challenge_id=j["challenge"]["id"], placements=[Placement(
            concept_id=j["concepts"][0]["id"], kind="prize", position=1, prize_minor=5_000_000,
            citation="Clear winner.")]))
        db.session.commit()
    _as(role, j, other, login, logged_in)
    response = client.get(_url(j))
    assert response.status_code == GET_STATUS[role]
    html = response.get_data(as_text=True)
    if role == "editor":
        assert "Clear winner." in html
        assert "<form method=\"post\" action=\"/challenges" not in html
        assert "Chair " not in html
        assert "Juror 1 " not in html


@pytest.mark.parametrize("role", list(POST_STATUS))
def test_who_records_the_decision(app, client, login, logged_in, make_judging, csrf, role) -> None:
    """S16/S21: only the chair's POST changes anything."""
    j = make_judging(concepts=2, jurors=1)
    other = make_judging(concepts=1, jurors=1)
    _as(role, j, other, login, logged_in)
    token = csrf("/") if role != "anonymous" else "x"
    response = client.post(_url(j), data=_data(j, [(0, "prize", "1", PURSE, "By someone.")], csrf_token=token))
    assert response.status_code == POST_STATUS[role]
    saved = _decision(app, j)
    assert (saved is not None) == (role == "chair")
    with app.app_context():
        assert db.session.scalar(select(Decision.id)) is None or role == "chair"
