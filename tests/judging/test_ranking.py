"""A juror's ballot in a ranking round (issue 10 item 4): save, submit, duplicates and gaps refused
with the problem named and nothing lost; one ballot per juror (S22)."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.core.timeutil import utcnow
from app.db import db
from app.judging.models import JudgingRound, JurySeat, RankingBallot, RoundMethod

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LOCK_RE = re.compile(r'name="lock_version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="lock_version"')


def _ranking(app, j: dict, email: str) -> str:
    with app.app_context():
        db.session.get(JudgingRound, j["round_id"]).method = RoundMethod.RANKING
        db.session.get(JurySeat, j["seat_ids"][email]).conflicts_declared_at = utcnow()
        db.session.commit()
    return f"/challenges/{j['slug']}/jury/rounds/1/ranking"


def _form(client, url: str) -> dict[str, str]:
    html = client.get(url).get_data(as_text=True)
    lock = LOCK_RE.search(html)
    return {"csrf_token": CSRF_RE.search(html).group(1), "lock_version": lock.group(1) or lock.group(2)}


def _ballot(app) -> RankingBallot | None:
    with app.app_context():
        ballot = db.session.scalar(select(RankingBallot))
        if ballot is not None:
            db.session.expunge(ballot)
        return ballot


def test_a_juror_saves_a_partial_ranking_then_submits(app, client, login, make_judging) -> None:
    j = make_judging(concepts=3)
    juror = j["jurors"][0]
    url = _ranking(app, j, juror)
    login(juror)
    labels = sorted(j["labels"].values())
    response = client.post(url, data={**_form(client, url), f"rank_{labels[0]}": "2", "action": "save"})
    assert response.status_code == 303
    assert _ballot(app).state == "draft"
    data = {f"rank_{label}": str(i) for i, label in enumerate(labels, 1)}
    assert client.post(url, data={**_form(client, url), **data, "action": "submit"}).status_code == 303
    ballot = _ballot(app)
    assert ballot.state == "submitted"
    by_label = {j["labels"][int(cid)]: rank for cid, rank in ballot.ranks.items()}
    assert by_label == {label: i for i, label in enumerate(labels, 1)}
    assert "Your ranking has been submitted." in client.get(url).get_data(as_text=True)


def test_duplicates_and_gaps_are_refused_with_the_problem_named(app, client, login, make_judging) -> None:
    """Bad input: a rank given twice, a rank missing on submit, a rank out of range, not a number:
    4xx with a message naming the problem; the typed ranks are still selected; nothing stored."""
    j = make_judging(concepts=3)
    juror = j["jurors"][0]
    url = _ranking(app, j, juror)
    login(juror)
    a, b, c = sorted(j["labels"].values())
    response = client.post(url, data={**_form(client, url), f"rank_{a}": "1", f"rank_{b}": "1", f"rank_{c}": "2",
                                      "action": "submit"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"Rank 1 is given to more than one entry ({a}, {b})" in html
    assert '<option selected value="2">' in html or 'value="2" selected' in html
    response = client.post(url, data={**_form(client, url), f"rank_{a}": "1", f"rank_{b}": "2", "action": "submit"})
    assert response.status_code == 400
    assert f"Give {c} a rank from 1 to 3." in response.get_data(as_text=True)
    for bad in ("4", "0", "x", "-1"):
        response = client.post(url, data={**_form(client, url), f"rank_{a}": bad, "action": "save"})
        assert response.status_code == 400, bad
        assert f"The rank of {a} must be a whole number from 1 to 3." in response.get_data(as_text=True)
    assert _ballot(app) is None


def test_a_stale_ranking_tab_gets_409(app, client, login, make_judging) -> None:
    j = make_judging(concepts=2)
    juror = j["jurors"][0]
    url = _ranking(app, j, juror)
    login(juror)
    a, b = sorted(j["labels"].values())
    old = _form(client, url)
    assert client.post(url, data={**old, f"rank_{a}": "1", "action": "save"}).status_code == 303
    response = client.post(url, data={**old, f"rank_{a}": "2", "action": "save"})
    assert response.status_code == 409
    assert "Saved rank: 1" in response.get_data(as_text=True)


def test_the_ranking_page_of_a_rubric_round_is_404_and_sheets_of_a_ranking_round_post_409(
        app, client, login, make_judging) -> None:
    j = make_judging()
    juror = j["jurors"][0]
    with app.app_context():
        db.session.get(JurySeat, j["seat_ids"][juror]).conflicts_declared_at = utcnow()
        db.session.commit()
    login(juror)
    assert client.get(f"/challenges/{j['slug']}/jury/rounds/1/ranking").status_code == 404
    url = _ranking(app, j, juror)
    label = j["labels"][j["concepts"][0]["id"]]
    sheet = f"/challenges/{j['slug']}/jury/rounds/1/{label}"
    page = client.get(sheet)
    assert page.status_code == 200
    assert "decided by ranking" in page.get_data(as_text=True)
    token = CSRF_RE.search(client.get(url).get_data(as_text=True)).group(1)
    assert client.post(sheet, data={"csrf_token": token, "lock_version": "0"}).status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RankingBallot)) == 0


def test_a_ballot_is_read_only_after_the_final_decision(app, client, login, make_judging) -> None:
    """S21: once the decision is final the ranking page is read-only and a post is refused with 409."""
    from app.judging.models import Decision, DecisionState

    j = make_judging(concepts=2)
    juror = j["jurors"][0]
    url = _ranking(app, j, juror)
    login(juror)
    data = {**_form(client, url), **{f"rank_{label}": str(i) for i, label in enumerate(sorted(j["labels"].values()), 1)},
            "action": "submit"}
    with app.app_context():
        db.session.add(Decision(challenge_id=j["challenge"]["id"], state=DecisionState.FINAL, finalised_at=utcnow()))
        db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert "decision is final" in html
    assert 'value="submit"' not in html
    response = client.post(url, data=data)
    assert response.status_code == 409
    assert _ballot(app) is None
