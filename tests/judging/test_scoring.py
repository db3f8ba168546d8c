"""A juror's round and score sheets: journeys, bad input, the version check, anchoring, P10 audit
(issue 10 item 5; A09, S17, S21, S22, P09, P10)."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.core.audit import AuditEvent
from app.core.timeutil import utcnow
from app.db import db
from app.judging.models import (
    Conflict,
    ConflictOrigin,
    ConflictStatus,
    Decision,
    DecisionState,
    JudgingRound,
    JurySeat,
    Score,
    ScoreSheet,
)

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LOCK_RE = re.compile(r'name="lock_version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="lock_version"')


def declared(app, seat_id: int) -> None:
    with app.app_context():
        db.session.get(JurySeat, seat_id).conflicts_declared_at = utcnow()
        db.session.commit()


def criteria_ids(app, round_id: int) -> list[int]:
    with app.app_context():
        return [c.id for c in db.session.get(JudgingRound, round_id).criteria()]


def sheet_url(j: dict, concept_index: int = 0) -> str:
    label = j["labels"][j["concepts"][concept_index]["id"]]
    return f"/challenges/{j['slug']}/jury/rounds/1/{label}"


def form_of(client, url: str) -> dict[str, str]:
    html = client.get(url).get_data(as_text=True)
    lock = LOCK_RE.search(html)
    return {"csrf_token": CSRF_RE.search(html).group(1), "lock_version": lock.group(1) or lock.group(2)}


def scores(app, cids: list[int], *values: object) -> dict[str, str]:
    return {f"score_{cid}": str(v) for cid, v in zip(cids, values, strict=False) if v is not None}


def stored(app, j: dict, email: str, concept_index: int = 0) -> ScoreSheet | None:
    with app.app_context():
        sheet = db.session.scalar(select(ScoreSheet).where(
            ScoreSheet.seat_id == j["seat_ids"][email], ScoreSheet.concept_id == j["concepts"][concept_index]["id"]))
        if sheet is not None:
            sheet.scores  # noqa: B018  load before the context closes
            db.session.expunge(sheet)
        return sheet


def test_a_juror_saves_a_partial_sheet_then_submits_it(app, client, login, make_judging) -> None:
    """A09: a partial save, then a complete submit; the sheet stays one row and is submitted."""
    j = make_judging()
    juror = j["jurors"][0]
    declared(app, j["seat_ids"][juror])
    login(juror)
    url = sheet_url(j)
    cids = criteria_ids(app, j["round_id"])
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<fieldset" in html
    assert "<legend>Impact" in html
    assert 'type="radio"' in html
    response = client.post(url, data={**form_of(client, url), **scores(app, cids, 4), "action": "save",
                                      f"comment_{cids[0]}": "Clear problem statement."})
    assert response.status_code == 303
    sheet = stored(app, j, juror)
    assert sheet.state == "draft"
    assert sheet.lock_version == 1
    assert {s.criterion_id: s.value for s in sheet.scores} == {cids[0]: 4, cids[1]: None}
    response = client.post(url, data={**form_of(client, url), **scores(app, cids, 4, 2), "action": "submit",
                                      f"comment_{cids[0]}": "Clear problem statement.",
                                      "overall_comment": "Good work", "private_note": "Close to C-002"})
    assert response.status_code == 303
    sheet = stored(app, j, juror)
    assert sheet.state == "submitted"
    assert sheet.lock_version == 2
    assert sheet.overall_comment == "Good work"
    assert sheet.private_note == "Close to C-002"
    assert "has been submitted" in client.get(url).get_data(as_text=True)


def test_submit_with_missing_criteria_names_each_missing_field(app, client, login, make_judging) -> None:
    """Bad input: a submit without every criterion is refused (400) with the missing fields named, and
    what was typed is still in the form."""
    j = make_judging()
    juror = j["jurors"][0]
    declared(app, j["seat_ids"][juror])
    login(juror)
    url = sheet_url(j)
    cids = criteria_ids(app, j["round_id"])
    response = client.post(url, data={**form_of(client, url), **scores(app, cids, 3), "action": "submit",
                                      "overall_comment": "Typed text survives"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Give a score for “Feasibility” before you submit." in html
    assert "Typed text survives" in html
    assert f'id="score_{cids[1]}-error"' in html
    assert f'href="#score_{cids[1]}"' in html
    assert stored(app, j, juror) is None


def test_scores_outside_the_scale_or_not_numbers_are_refused(app, client, login, make_judging) -> None:
    """Bad input: out of scale, not a number, a negative: 400 with a translated message, never 500."""
    j = make_judging()
    juror = j["jurors"][0]
    declared(app, j["seat_ids"][juror])
    login(juror)
    url = sheet_url(j)
    cids = criteria_ids(app, j["round_id"])
    for bad in ("9", "0", "abc", "-1", "3.5", "1e3", "٣"):
        response = client.post(url, data={**form_of(client, url), f"score_{cids[0]}": bad, "action": "save"})
        assert response.status_code == 400, bad
        assert "must be a whole number from 1 to 5" in response.get_data(as_text=True), bad
    response = client.post(url, data={**form_of(client, url), "lock_version": "x", "action": "save"})
    assert response.status_code == 400
    assert stored(app, j, juror) is None


def test_a_stale_tab_gets_409_with_both_versions_and_nothing_lost(app, client, login, make_judging) -> None:
    """The version check (as for drafts): a save from a stale tab is refused with 409, shows what was
    typed and the stored version; "keep mine" then saves."""
    j = make_judging()
    juror = j["jurors"][0]
    declared(app, j["seat_ids"][juror])
    login(juror)
    url = sheet_url(j)
    cids = criteria_ids(app, j["round_id"])
    old_tab = form_of(client, url)
    assert client.post(url, data={**old_tab, **scores(app, cids, 5), "overall_comment": "From tab one",
                                  "action": "save"}).status_code == 303
    response = client.post(url, data={**old_tab, **scores(app, cids, 1, 1), "overall_comment": "From tab two",
                                      "action": "save"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "From tab two" in html
    assert "From tab one" in html
    assert "The saved version" in html
    sheet = stored(app, j, juror)
    assert sheet.overall_comment == "From tab one"
    keep_mine = LOCK_RE.search(html)
    response = client.post(url, data={"csrf_token": old_tab["csrf_token"], "lock_version": keep_mine.group(1) or
                                      keep_mine.group(2), **scores(app, cids, 1, 1),
                                      "overall_comment": "From tab two", "action": "save"})
    assert response.status_code == 303
    assert stored(app, j, juror).overall_comment == "From tab two"


def test_a_repeated_identical_save_is_no_conflict(app, client, login, make_judging) -> None:
    """A double click: the same post twice makes one sheet, and the second is no conflict (S22)."""
    j = make_judging()
    juror = j["jurors"][0]
    declared(app, j["seat_ids"][juror])
    login(juror)
    url = sheet_url(j)
    cids = criteria_ids(app, j["round_id"])
    data = {**form_of(client, url), **scores(app, cids, 2, 3), "action": "submit"}
    assert client.post(url, data=data).status_code == 303
    assert client.post(url, data=data).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScoreSheet)) == 1
        assert db.session.scalar(select(func.count()).select_from(Score)) == 2


def test_a_submitted_sheet_can_be_changed_and_stays_complete(app, client, login, make_judging) -> None:
    """A submitted sheet may be changed until the deadline; it stays submitted, so each save must be complete."""
    j = make_judging()
    juror = j["jurors"][0]
    declared(app, j["seat_ids"][juror])
    login(juror)
    url = sheet_url(j)
    cids = criteria_ids(app, j["round_id"])
    assert client.post(url, data={**form_of(client, url), **scores(app, cids, 2, 3),
                                  "action": "submit"}).status_code == 303
    response = client.post(url, data={**form_of(client, url), **scores(app, cids, 4), "action": "save"})
    assert response.status_code == 400
    assert stored(app, j, juror).state == "submitted"
    assert client.post(url, data={**form_of(client, url), **scores(app, cids, 4, 4),
                                  "action": "save"}).status_code == 303
    sheet = stored(app, j, juror)
    assert sheet.state == "submitted"
    assert [s.value for s in sheet.scores] == [4, 4]


def _close(app, j: dict, how: str) -> None:
    with app.app_context():
        rnd = db.session.get(JudgingRound, j["round_id"])
        if how == "deadline":
            rnd.deadline_at = utcnow() - timedelta(minutes=1)
        elif how == "closed":
            rnd.state = "closed"
        elif how == "final":
            db.session.add(Decision(challenge_id=j["challenge"]["id"], state=DecisionState.FINAL,
                                    finalised_at=utcnow()))
        elif how == "results":
            rnd.challenge.state = "results"
        db.session.commit()


def test_sheets_are_read_only_after_the_deadline_closing_final_or_judging(app, client, login, make_judging) -> None:
    """S21: past the deadline, a closed round, a final decision or a challenge out of judging: the sheet
    shows read-only with a clear message and a post is refused with 409, nothing changed."""
    cases = {"deadline": "The deadline of this round has passed", "closed": "This round is closed",
             "final": "decision is final", "results": "This challenge is not being judged"}
    for how, message in cases.items():
        j = make_judging()
        juror = j["jurors"][0]
        declared(app, j["seat_ids"][juror])
        login(juror)
        url = sheet_url(j)
        cids = criteria_ids(app, j["round_id"])
        data = {**form_of(client, url), **scores(app, cids, 2, 3), "action": "submit"}
        _close(app, j, how)
        page = client.get(url).get_data(as_text=True)
        assert message in page, how
        assert "disabled" in page, how
        assert 'value="submit"' not in page, how
        response = client.post(url, data=data)
        assert response.status_code == 409, how
        assert message in response.get_data(as_text=True), how
        assert stored(app, j, juror) is None, how
        client.post("/account/logout", data={"csrf_token": data["csrf_token"]})


def test_unknown_label_conflicted_and_unassigned_entries(app, client, login, make_judging) -> None:
    """S17, P09: an unknown label is 404; a conflicted entry is 403 saying why on GET and POST, and
    no sheet is made; a juror not assigned (k jurors per concept) gets 403 too."""
    j = make_judging(concepts=3)
    juror = j["jurors"][0]
    seat_id = j["seat_ids"][juror]
    declared(app, seat_id)
    conflicted = j["concepts"][1]["id"]
    with app.app_context():
        db.session.add(Conflict(challenge_id=j["challenge"]["id"], seat_id=seat_id, concept_id=conflicted,
                                origin=ConflictOrigin.DECLARED, status=ConflictStatus.DECLARED, reason="My cousin"))
        db.session.commit()
    login(juror)
    base = f"/challenges/{j['slug']}/jury/rounds/1"
    for label in ("C-999", "C-1", "C-0001", "xyz", "C-abc"):
        assert client.get(f"{base}/{label}").status_code == 404, label
    assert client.get(f"{base}/2/{j['labels'][j['concepts'][0]['id']]}").status_code == 404  # no round 2
    url = sheet_url(j, 1)
    response = client.get(url)
    assert response.status_code == 403
    assert "conflict of interest" in response.get_data(as_text=True)
    token = form_of(client, sheet_url(j, 0))
    response = client.post(url, data={**token, "action": "save"})
    assert response.status_code == 403
    assert client.get(f"{url}/files/0").status_code == 403
    with app.app_context():
        rnd = db.session.get(JudgingRound, j["round_id"])
        rnd.jurors_per_concept = 1  # an assignment, with none for this juror
        db.session.commit()
    response = client.get(sheet_url(j, 0))
    assert response.status_code == 403
    assert "not assigned to you" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScoreSheet)) == 0


def test_until_conflicts_are_declared_every_content_page_redirects(app, client, login, make_judging) -> None:
    """P09: before the declaration no round, sheet or file page shows anything: each redirects to it."""
    j = make_judging()
    login(j["jurors"][0])
    conflicts = f"/challenges/{j['slug']}/jury/conflicts"
    base = f"/challenges/{j['slug']}/jury/rounds/1"
    for url in (base, sheet_url(j), f"{sheet_url(j)}/files/0"):
        response = client.get(url)
        assert response.status_code == 303, url
        assert response.headers["Location"].endswith(conflicts)
    assert client.post(sheet_url(j), data={}).status_code in (303, 400)


def test_opening_a_sheet_is_audited(app, client, login, make_judging) -> None:
    """P10: every opening of a sheet page is an audit event with seat, concept and round."""
    j = make_judging()
    juror = j["jurors"][0]
    declared(app, j["seat_ids"][juror])
    login(juror)
    client.get(sheet_url(j))
    client.get(sheet_url(j))
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "judging.concept_opened")))
    assert len(events) == 2
    assert events[0].object_id == j["concepts"][0]["id"]
    assert events[0].details["seat_id"] == j["seat_ids"][juror]
    assert events[0].details["round_id"] == j["round_id"]


def test_anchoring_others_scores_only_after_submitting_chair_always(app, client, login, make_judging) -> None:
    """Anchoring: a juror sees the others' submitted scores (as "Juror 1", never names) only after
    submitting; the chair sees everyone's with names at any time."""
    j = make_judging(jurors=2)
    one, two = j["jurors"]
    for email in (one, two, j["chair"]):
        declared(app, j["seat_ids"][email])
    url = sheet_url(j)
    cids = criteria_ids(app, j["round_id"])
    login(two)
    assert client.post(url, data={**form_of(client, url), **scores(app, cids, 1, 5), "private_note": "Weak",
                                  "action": "submit"}).status_code == 303
    token = form_of(client, url)["csrf_token"]
    client.post("/account/logout", data={"csrf_token": token})

    login(one)
    with app.app_context():
        two_name = db.session.get(JurySeat, j["seat_ids"][two]).shown_name()
    html = client.get(url).get_data(as_text=True)
    assert "once you have submitted your own sheet" in html
    assert "Weak" not in html
    assert two_name not in html
    assert client.post(url, data={**form_of(client, url), **scores(app, cids, 3, 3),
                                  "action": "submit"}).status_code == 303
    html = client.get(url).get_data(as_text=True)
    assert "Juror 1" in html
    assert "Weak" in html
    assert two_name not in html
    client.post("/account/logout", data={"csrf_token": form_of(client, url)["csrf_token"]})

    login(j["chair"])
    html = client.get(url).get_data(as_text=True)
    assert two_name in html
    assert "Weak" in html


def test_a_long_scale_is_a_number_field_and_the_round_scores_its_criteria_only(app, client, login,
                                                                               make_judging) -> None:
    """A09: a scale of more than 11 steps is a number field with min and max (its anchors in the hint);
    a round with a criteria subset shows and needs only those."""
    from app.challenges.models import Criterion

    j = make_judging()
    juror = j["jurors"][0]
    declared(app, j["seat_ids"][juror])
    with app.app_context():
        rnd = db.session.get(JudgingRound, j["round_id"])
        impact, feasibility = rnd.challenge.criteria
        impact.scale_min, impact.scale_max, impact.anchors = 0, 20, {"0": "None at all", "20": "Outstanding"}
        rnd.criterion_ids = [impact.id]
        db.session.commit()
        impact_id, feasibility_id = impact.id, feasibility.id
        assert db.session.get(Criterion, feasibility_id) is not None
    login(juror)
    url = sheet_url(j)
    html = client.get(url).get_data(as_text=True)
    assert f'type="number" id="score_{impact_id}"' in html
    assert 'min="0" max="20"' in html
    assert "Outstanding" in html
    assert f"score_{feasibility_id}" not in html
    assert client.post(url, data={**form_of(client, url), f"score_{impact_id}": "21",
                                  "action": "submit"}).status_code == 400
    assert client.post(url, data={**form_of(client, url), f"score_{impact_id}": "17",
                                  "action": "submit"}).status_code == 303
    sheet = stored(app, j, juror)
    assert sheet.state == "submitted"
    assert [(s.criterion_id, s.value) for s in sheet.scores] == [(impact_id, 17)]


def test_odd_numbers_in_the_address_are_404_never_500(app, client, login, make_judging) -> None:
    """Bad input: a round number no column holds, a file position out of range: 404."""
    j = make_judging()
    juror = j["jurors"][0]
    declared(app, j["seat_ids"][juror])
    login(juror)
    base = f"/challenges/{j['slug']}/jury/rounds"
    for url in (f"{base}/0", f"{base}/99999999999999999999999", f"{base}/99999999999999999999999/ranking",
                f"{sheet_url(j)}/files/99999999999999999999999", f"{sheet_url(j)}/files/3"):
        assert client.get(url).status_code == 404, url
