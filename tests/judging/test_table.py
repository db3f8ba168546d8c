"""The chair's deliberation table (issue 10 item 8; S16, S17, S19, A01)."""
from __future__ import annotations

import re

import pytest
from helpers_table import everyone, submit_sheets

from app.db import db
from app.judging.models import (
    Conflict,
    ConflictOrigin,
    ConflictStatus,
    EntryLabel,
    JudgingRound,
    RankingBallot,
    SheetState,
)
from app.judging.services.table import CACHE

WORKED = {  # criteria Impact (60 %) and Feasibility (40 %), both 1-5
    0: [(5, 5), (5, 5), (5, 5)],  # 100.0
    1: [(4, 2), (4, 2), (4, 2)],  # 0.6 * 0.75 + 0.4 * 0.25 = 0.55 -> 55.0
    2: [(1, 3), (2, 3), (3, 3)],  # 0.6 * 0.25 + 0.4 * 0.50 = 0.35 -> 35.0
}


def _worked(app, make_judging, **kw):
    j = make_judging(concepts=3, jurors=2, **kw)
    marks = {(email, c): values[i] for c, values in WORKED.items() for i, email in enumerate(everyone(j))}
    submit_sheets(app, j, marks)
    return j


def _ranking_labels(html: str) -> list[str]:
    body = html.split('id="ranking-caption"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<th scope="row">(C-\d{3})', body)


@pytest.mark.both_databases
def test_worked_example_ranks_as_computed_by_hand(app, client, login, make_judging) -> None:
    """3 concepts x 3 jurors: 100, 55 and 35 points, in that order (issue 10 item 7-8)."""
    j = _worked(app, make_judging)
    login(j["chair"])
    response = client.get(f"/challenges/{j['slug']}/jury/table")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    labels = [j["labels"][c["id"]] for c in j["concepts"]]
    assert _ranking_labels(html) == labels
    for score in ("100", "55", "35"):
        assert f"<td>{score}</td>" in html
    assert "Chair " in html
    assert "Juror 1 " in html
    assert 'role="img"' in html
    assert "<title id=\"juror-chart-title\">" in html
    assert "Team " in html  # not blind: teams shown


def test_calibrated_basis_and_both_rank_columns(app, client, login, make_judging) -> None:
    j = _worked(app, make_judging)
    login(j["chair"])
    html = client.get(f"/challenges/{j['slug']}/jury/table?round=1&basis=calibrated").get_data(as_text=True)
    assert "Ranking by calibrated scores" in html
    assert "Raw rank" in html
    assert "Calibrated rank" in html


def test_missing_scores_and_conflicts_are_shown_never_as_zero(app, client, login, make_judging) -> None:
    """A recusal and a missing criterion are named, not counted as 0 (issue 10 item 7)."""
    j = make_judging(concepts=3, jurors=2)
    with app.app_context():
        db.session.add(Conflict(challenge_id=j["challenge"]["id"], seat_id=j["seat_ids"][j["jurors"][1]],
                                concept_id=j["concepts"][0]["id"], origin=ConflictOrigin.DECLARED,
                                status=ConflictStatus.DECLARED, reason="my cousin"))
        db.session.commit()
    chair, a, _b = everyone(j)
    submit_sheets(app, j, {(chair, 0): (5, 5), (a, 0): (4, None), (chair, 1): (3, 3), (a, 1): (2, 2)})
    login(chair)
    html = client.get(f"/challenges/{j['slug']}/jury/table").get_data(as_text=True)
    assert ">conflict<" in html
    assert "1 score missing" in html
    assert ">missing<" in html  # juror 2 gave nothing on the other concepts


def test_empty_round_says_so(app, client, login, make_judging) -> None:
    j = make_judging(concepts=2, jurors=1)
    CACHE.clear()
    login(j["chair"])
    response = client.get(f"/challenges/{j['slug']}/jury/table")
    assert response.status_code == 200
    assert "No score sheet of this round has been submitted yet" in response.get_data(as_text=True)


def test_drafts_do_not_count(app, client, login, make_judging) -> None:
    j = make_judging(concepts=2, jurors=1)
    submit_sheets(app, j, {(j["chair"], 0): (5, 5)}, state=SheetState.DRAFT)
    login(j["chair"])
    assert "has been submitted yet" in client.get(f"/challenges/{j['slug']}/jury/table").get_data(as_text=True)


def test_blind_table_hides_teams_and_flags_self_identifying_entries(app, client, login, make_judging) -> None:
    """S19: in a blind challenge the chair sees labels and titles, never teams or members; an entry
    that names its team is flagged."""
    j = _worked(app, make_judging, blind=True)
    with app.app_context():
        label = db.session.get(EntryLabel, db.session.query(EntryLabel.id).filter_by(
            concept_id=j["concepts"][1]["id"]).scalar())
        label.mentions = ["a member's name"]
        db.session.commit()
    login(j["chair"])
    html = client.get(f"/challenges/{j['slug']}/jury/table").get_data(as_text=True)
    assert "Team " not in html
    assert "Person " not in html
    assert "lead-" not in html
    assert "may identify its team" in html


@pytest.mark.both_databases
def test_cache_follows_the_data(app, client, login, make_judging) -> None:
    """The cached figures are recomputed when a sheet is submitted (the fingerprint changes)."""
    j = make_judging(concepts=2, jurors=1)
    chair, a = everyone(j)
    submit_sheets(app, j, {(chair, 0): (5, 5), (a, 0): (5, 5), (chair, 1): (1, 1)})
    login(chair)
    url = f"/challenges/{j['slug']}/jury/table"
    assert ">missing<" in client.get(url).get_data(as_text=True)
    client.get(url)
    assert CACHE.hits >= 1
    from app.concepts.models import Concept
    from app.judging.models import Score, ScoreSheet
    with app.app_context():
        sheet = ScoreSheet(round_id=j["round_id"], seat_id=j["seat_ids"][a], concept_id=j["concepts"][1]["id"],
                           state=SheetState.SUBMITTED)
        crit = [s.criterion_id for s in db.session.query(Score).limit(2)]
        sheet.scores = [Score(criterion_id=k, value=5) for k in crit]
        db.session.add(sheet)
        db.session.commit()
    misses = CACHE.misses
    client.get(url)
    assert CACHE.misses > misses
    assert ">missing<" not in client.get(url).get_data(as_text=True)
    with app.app_context():  # names are read on every request: a new title shows at once
        db.session.get(Concept, j["concepts"][0]["id"]).title = "Renamed concept"
        db.session.commit()
    assert "Renamed concept" in client.get(url).get_data(as_text=True)


@pytest.mark.both_databases
def test_ranking_round_shows_schulze_and_pairwise_table(app, client, login, make_judging) -> None:
    j = make_judging(concepts=3, jurors=2)
    ids = [c["id"] for c in j["concepts"]]
    with app.app_context():
        rnd = db.session.get(JudgingRound, j["round_id"])
        rnd.method = "ranking"
        for email, order in zip(everyone(j), ([1, 2, 3], [1, 3, 2], [2, 1, 3]), strict=True):
            db.session.add(RankingBallot(round_id=rnd.id, seat_id=j["seat_ids"][email], state=SheetState.SUBMITTED,
                                         ranks={str(cid): r for cid, r in zip(ids, order, strict=True)}))
        db.session.commit()
    CACHE.clear()
    login(j["chair"])
    html = client.get(f"/challenges/{j['slug']}/jury/table").get_data(as_text=True)
    assert "Pairwise preferences" in html
    assert "3 rankings counted" in html
    first = html.split("<ol>", 1)[1].split("</li>", 1)[0]
    assert j["labels"][ids[0]] in first


def test_unknown_round_and_bad_round_number_are_404(app, client, login, make_judging) -> None:
    j = make_judging(concepts=1, jurors=1)
    login(j["chair"])
    assert client.get(f"/challenges/{j['slug']}/jury/table?round=9").status_code == 404
    assert client.get(f"/challenges/{j['slug']}/jury/table?round=x1").status_code == 404
    assert client.get(f"/challenges/{j['slug']}/jury/table?basis=%00").status_code == 200


# ---------------------------------------------------------------- who may see it (S16, S17)
ROLES = ["anonymous", "participant", "member", "juror", "other_juror", "chair", "editor", "admin"]


def _as(role, j, other, login, logged_in):
    if role == "anonymous":
        return
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


EXPECTED = {"anonymous": 302, "participant": 404, "member": 404, "juror": 403, "other_juror": 404,
            "chair": 200, "editor": 404, "admin": 404}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("suffix", ["table", "table.csv", "table.xlsx"])
def test_only_the_chair_opens_the_table_and_its_exports(app, client, login, logged_in, make_judging, role,
                                                        suffix) -> None:
    """S16/S17/P10: the chair only; a juror 403, anyone else cannot tell the page exists."""
    j = _worked(app, make_judging)
    other = make_judging(concepts=1, jurors=1)
    _as(role, j, other, login, logged_in)
    response = client.get(f"/challenges/{j['slug']}/jury/{suffix}")
    assert response.status_code == EXPECTED[role]
    if EXPECTED[role] != 200:
        assert "Team " not in response.get_data(as_text=True)
