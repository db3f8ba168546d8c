"""Publishing the results (issue 10, item 9): only from a final decision, by the chair or by the
clock at results_at; the outcome emails; the challenge page's results, jury and jury report; the
formula published before entries open (item 7). Rows: S16 (every route refuses who it must), S19
(no juror's identity reaches participants), P08 (names only with consent), A01 (tests/judging/
test_results_browser.py)."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.challenges.models import Challenge, Follow, StateTransition
from app.challenges.tasks import tick
from app.core.timeutil import clock, utcnow
from app.db import db
from app.judging import aggregate
from app.judging.models import Conflict, ConflictStatus, JudgingRound, JurySeat

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def state_of(app, challenge_id: int) -> str:
    with app.app_context():
        return str(db.session.get(Challenge, challenge_id).state)


def text(response) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def manage_step(client, slug: str, to: str):
    page = client.get(f"/challenges/{slug}/manage").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    return client.post(f"/challenges/{slug}/state", data={"csrf_token": token, "to": to})


def publish_button(client, slug: str):
    token = (CSRF_RE.search(client.get("/").get_data(as_text=True))
            or CSRF_RE.search(client.get("/account/login").get_data(as_text=True))).group(1)
    return client.post(f"/challenges/{slug}/jury/publish", data={"csrf_token": token})


def set_locale(app, email: str, locale: str | None) -> None:
    with app.app_context():
        db.session.scalar(select(User).where(User.email == email)).locale = locale
        db.session.commit()


# -- 1. no results without a final decision --------------------------------------------------

@pytest.mark.parametrize("decision", ["none", "draft"])
def test_the_manage_page_refuses_results_without_a_final_decision(app, client, login, make_judging, decide,
                                                                  decision) -> None:
    """Issue 10 item 9 (S21): "Publish results" during judging with no final decision changes nothing."""
    made = make_judging()
    if decision == "draft":
        decide(made["challenge"]["id"], [(made["concepts"][0]["id"], "prize", 1, 5_000_000, "Best")], final=False)
    login(made["staff"])
    response = manage_step(client, made["slug"], "results")
    assert response.status_code == 409
    assert "decision is not final" in text(response)
    assert state_of(app, made["challenge"]["id"]) == "judging"
    # ...and so the home page and the Winners page have nothing to list.
    assert made["concepts"][0]["id"]
    assert "Winners will be listed here." in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("no_winner", [False, True])
def test_the_manage_page_publishes_once_the_decision_is_final(app, client, login, make_judging, decide,
                                                              no_winner) -> None:
    """A final decision, with winners or with none and a public reason, lets the organiser publish."""
    made = make_judging()
    if no_winner:
        decide(made["challenge"]["id"], [], no_winner_reason="No concept met the brief.")
    else:
        decide(made["challenge"]["id"], [(made["concepts"][0]["id"], "prize", 1, 5_000_000, "Best")])
    login(made["staff"])
    response = manage_step(client, made["slug"], "results")
    assert response.status_code == 302
    assert state_of(app, made["challenge"]["id"]) == "results"


def test_no_winner_needs_its_public_reason(app, client, login, make_judging, decide) -> None:
    """Item 9: a challenge that ends without winners says so explicitly, with a reason."""
    made = make_judging()
    decide(made["challenge"]["id"], [], no_winner_reason="  ")
    login(made["chair"])
    response = publish_button(client, made["slug"])
    assert response.status_code == 409
    assert "gives no reason" in text(response)
    assert state_of(app, made["challenge"]["id"]) == "judging"


def test_the_chair_publishes_from_the_challenge_page(app, client, login, make_judging, decide) -> None:
    """judging.publish: the chair (not organisation staff) moves the challenge to results."""
    made = make_judging()
    login(made["chair"])
    page = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    assert "once the jury&#39;s decision is final" in page or "once the jury's decision is final" in page
    assert f'action="/challenges/{made["slug"]}/jury/publish"' not in page
    refused = publish_button(client, made["slug"])
    assert refused.status_code == 409
    assert "decision is not final" in text(refused)
    assert state_of(app, made["challenge"]["id"]) == "judging"

    decide(made["challenge"]["id"], [(made["concepts"][0]["id"], "prize", 1, 5_000_000, "Best")])
    page = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    assert f'action="/challenges/{made["slug"]}/jury/publish"' in page
    response = publish_button(client, made["slug"])
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/challenges/{made['slug']}")
    assert state_of(app, made["challenge"]["id"]) == "results"
    with app.app_context():
        step = db.session.scalar(select(StateTransition).where(
            StateTransition.challenge_id == made["challenge"]["id"], StateTransition.to_state == "results"))
        chair = db.session.scalar(select(User).where(User.email == made["chair"]))
        assert step.actor_id == chair.id
    again = publish_button(client, made["slug"])  # a replay: already in results
    assert again.status_code == 409


def test_the_decision_page_offers_the_chair_the_publish_button(app, client, login, make_judging, decide) -> None:
    made = make_judging()
    decide(made["challenge"]["id"], [(made["concepts"][0]["id"], "prize", 1, 5_000_000, "Best")])
    login(made["chair"])
    html = client.get(f"/challenges/{made['slug']}/jury/decision").get_data(as_text=True)
    assert f'action="/challenges/{made["slug"]}/jury/publish"' in html
    client.post("/account/logout", data={"csrf_token": CSRF_RE.search(html).group(1)})
    login(made["staff"])  # organisation staff read the decision; publishing is the chair's
    html = client.get(f"/challenges/{made['slug']}/jury/decision").get_data(as_text=True)
    assert "/jury/publish" not in html


def test_publish_refuses_a_stale_form(app, client, login, make_judging, decide) -> None:
    made = make_judging()
    decide(made["challenge"]["id"], [(made["concepts"][0]["id"], "prize", 1, 0, "")])
    login(made["chair"])
    response = client.post(f"/challenges/{made['slug']}/jury/publish", data={})
    assert response.status_code in (400, 403)  # CSRF error page or the form's refusal, never a 500
    assert state_of(app, made["challenge"]["id"]) == "judging"


@pytest.mark.parametrize(("role", "expected"), [
    ("anonymous", 302), ("participant", 404), ("juror", 403), ("other_juror", 404),
    ("editor", 404), ("admin", 404), ("chair", 302)])
def test_publish_access_matrix(app, client, login, logged_in, make_judging, make_user, decide, role,
                               expected) -> None:
    """S16/S17: only the chair publishes. Anonymous -> login; a team member, a juror of another
    challenge, organisation staff off the jury and an admin -> 404 (no seat here); a juror who is not
    chair -> 403; the chair -> 302 and the state changes."""
    made = make_judging()
    decide(made["challenge"]["id"], [(made["concepts"][0]["id"], "prize", 1, 5_000_000, "Best")])
    if role == "participant":
        login(made["concepts"][0]["owner"])
    elif role == "juror":
        login(made["jurors"][0])
    elif role == "other_juror":
        login(make_judging()["jurors"][0])
    elif role == "editor":
        login(made["editor"])
    elif role == "admin":
        logged_in("admin")
    elif role == "chair":
        login(made["chair"])
    response = publish_button(client, made["slug"])
    assert response.status_code == expected
    if role == "anonymous":
        assert "/account/login" in response.headers["Location"]
    assert state_of(app, made["challenge"]["id"]) == ("results" if role == "chair" else "judging")


def test_the_clock_publishes_at_results_at_once_the_decision_is_final(app, make_judging, decide) -> None:
    """tick_requested: judging with a final decision -> results when results_at has passed; a draft
    decision waits; before results_at nothing moves. The step's actor is the clock (None)."""
    results_at = utcnow().replace(microsecond=0) + timedelta(days=3)
    ready = make_judging(results_at=results_at)
    waiting = make_judging(results_at=results_at)
    with app.app_context():  # no round deadline: the tick's deadline reminders stay out of this test
        for made in (ready, waiting):
            db.session.get(JudgingRound, made["round_id"]).deadline_at = None
        db.session.commit()
    decide(ready["challenge"]["id"], [(ready["concepts"][0]["id"], "prize", 1, 5_000_000, "Best")])
    decide(waiting["challenge"]["id"], [(waiting["concepts"][0]["id"], "prize", 1, 5_000_000, "Best")], final=False)
    clock.set(results_at - timedelta(minutes=1))
    tick(app)
    assert state_of(app, ready["challenge"]["id"]) == "judging"
    clock.set(results_at + timedelta(minutes=1))
    assert tick(app).other >= 1
    assert state_of(app, ready["challenge"]["id"]) == "results"
    assert state_of(app, waiting["challenge"]["id"]) == "judging"
    with app.app_context():
        step = db.session.scalar(select(StateTransition).where(
            StateTransition.challenge_id == ready["challenge"]["id"], StateTransition.to_state == "results"))
        assert step.actor_id is None
        assert step.at.replace(tzinfo=None) == (results_at + timedelta(minutes=1)).replace(tzinfo=None)
    tick(app)  # nothing left to do, nothing done twice
    with app.app_context():
        assert len(db.session.scalars(select(StateTransition).where(
            StateTransition.challenge_id == ready["challenge"]["id"],
            StateTransition.to_state == "results")).all()) == 1


# -- 2. the outcome emails -----------------------------------------------------------------

def _two_language_team(app, made) -> tuple[list[str], list[str]]:
    winners, losers = made["concepts"][0]["members"], made["concepts"][2]["members"]
    set_locale(app, winners[0], "nb")
    set_locale(app, winners[1], "sv")
    set_locale(app, losers[0], "da")
    return winners, losers


def test_every_participant_gets_their_outcome_in_their_language(app, make_judging, decide, score_sheet,
                                                                publish_now, smtp_sink, send_outbox) -> None:
    """Item 9: one email per member of every entered concept, in their language, with the prize
    formatted per locale and currency, and the feedback released for their concept: the overall
    comments of submitted sheets, never a juror's name, private notes, criterion comments or drafts (S19)."""
    made = make_judging(concepts=3, jurors=2, members=2, currency="NOK", prize_minor=10_000_000)
    cid = made["challenge"]["id"]
    first, mention, unplaced = (c["id"] for c in made["concepts"])
    winners, losers = _two_language_team(app, made)
    seats = made["seat_ids"]
    chair, juror1, juror2 = made["chair"], *made["jurors"]
    score_sheet(made["round_id"], seats[chair], first, {0: 5, 1: 4}, comment="Bold and clear.",
                note="PRIVATE-NOTE-chair", criterion_comment="CRITERION-COMMENT")
    score_sheet(made["round_id"], seats[juror1], first, {0: 4, 1: 4}, comment="Strong pilot plan.",
                note="PRIVATE-NOTE-1")
    score_sheet(made["round_id"], seats[juror2], first, {0: 3, 1: 4}, comment="DRAFT-COMMENT", submitted=False)
    score_sheet(made["round_id"], seats[juror1], unplaced, {0: 2, 1: 2}, comment="Needs a cost estimate.")
    decide(cid, [(first, "prize", 1, 7_500_000, "A plan the council can start on Monday."),
                 (mention, "mention", 2, 0, "A fresh take on signage.")])
    publish_now(cid)
    smtp_sink.clear()
    send_outbox()

    with app.app_context():
        jury_names = [u.display_name for u in db.session.scalars(select(User).join(JurySeat, JurySeat.user_id == User.id)
                                                                  .where(JurySeat.challenge_id == cid))]
        title = db.session.get(Challenge, cid).title
    for address in [m for c in made["concepts"] for m in c["members"]]:
        assert len([m for m in smtp_sink.to(address) if title in str(m["Subject"])]) == 1, address
    nb = smtp_sink.text_of(smtp_sink.to(winners[0])[0])
    sv = smtp_sink.text_of(smtp_sink.to(winners[1])[0])
    da = smtp_sink.text_of(smtp_sink.to(losers[0])[0])
    en_mention = smtp_sink.text_of(smtp_sink.to(made["concepts"][1]["members"][0])[0])
    assert "Gratulerer" in nb
    assert "75\xa0000\xa0kr" in nb
    assert "Grattis" in sv
    assert "75\xa0000\xa0Nkr" in sv
    assert "A plan the council can start on Monday." in nb
    assert "honourable mention" in en_mention
    assert "A fresh take on signage." in en_mention
    assert "ikke blandt" in da
    assert "Needs a cost estimate." in da
    for body in (nb, sv):
        assert "Bold and clear." in body
        assert "Strong pilot plan." in body
        assert "Needs a cost estimate." not in body  # another team's feedback
    for body in (nb, sv, da, en_mention):
        for hidden in ("PRIVATE-NOTE", "CRITERION-COMMENT", "DRAFT-COMMENT", *jury_names, *made["jurors"], chair):
            assert hidden not in body, hidden
    assert "Bold and clear." not in en_mention


def test_a_challenge_without_winners_says_so_with_its_reason(app, make_judging, decide, publish_now, smtp_sink,
                                                              send_outbox) -> None:
    made = make_judging(concepts=2, members=1)
    decide(made["challenge"]["id"], [], no_winner_reason="No concept met the safety requirements.")
    publish_now(made["challenge"]["id"])
    smtp_sink.clear()
    send_outbox()
    for concept in made["concepts"]:
        body = smtp_sink.text_of(smtp_sink.to(concept["owner"])[0])
        assert "ended without winners" in body
        assert "No concept met the safety requirements." in body


def test_followers_hear_about_the_results_exactly_once(app, make_judging, make_user, decide, publish_now, smtp_sink,
                                                        send_outbox) -> None:
    """The challenges feature's own notice on the recorded step; judging adds none of its own."""
    made = make_judging()
    fan = "fan-results@example.org"
    fan_id = make_user(fan)
    with app.app_context():
        db.session.add(Follow(user_id=fan_id, challenge_id=made["challenge"]["id"]))
        db.session.commit()
    decide(made["challenge"]["id"], [(made["concepts"][0]["id"], "prize", 1, 5_000_000, "Best")])
    publish_now(made["challenge"]["id"])
    smtp_sink.clear()
    send_outbox()
    assert len(smtp_sink.to(fan)) == 1
    assert "Results published" in str(smtp_sink.to(fan)[0]["Subject"])


# -- 3. the challenge page in results ------------------------------------------------------

def test_the_challenge_page_shows_winners_jury_and_report(app, client, make_judging, decide, score_sheet,
                                                          publish_now) -> None:
    """Winners in order with citation and prize, mentions, the jury as each chose to be shown, the
    report: composition, recusals by count only, distributions only where 3+ jurors scored (S19, P08)."""
    made = make_judging(concepts=3, jurors=3, members=1, concept_publication="winners")
    cid = made["challenge"]["id"]
    first, second, mention = (c["id"] for c in made["concepts"])
    emails = [made["chair"], *made["jurors"]]
    for email in emails[:3]:
        score_sheet(made["round_id"], made["seat_ids"][email], first, {0: 4, 1: 2})
    score_sheet(made["round_id"], made["seat_ids"][emails[3]], second, {0: 5})
    with app.app_context():
        seats = {e: db.session.get(JurySeat, made["seat_ids"][e]) for e in emails}
        seats[made["chair"]].public_name, seats[made["chair"]].public_title = "Prof. Ada Lund", "Head of Design"
        seats[emails[1]].show_publicly = False
        db.session.add(Conflict(challenge_id=cid, seat_id=made["seat_ids"][emails[2]], concept_id=second,
                                origin="declared", status=ConflictStatus.DECLARED, reason="My student"))
        db.session.commit()
        hidden_name = seats[emails[1]].user.display_name
        shown_name = seats[emails[2]].user.display_name
    decide(cid, [(first, "prize", 1, 3_000_000, "Clear and cheap."), (second, "prize", 2, 2_000_000, "Bold."),
                 (mention, "mention", 3, 0, "Charming.")])
    publish_now(cid)
    response = client.get(f"/challenges/{made['slug']}")
    body = text(response)
    results = body[body.index("Results"):body.index("How the jury's scores become a ranking")]
    assert results.index("Place 1") < results.index("Place 2") < results.index("Honourable mentions")
    assert "Clear and cheap." in results
    assert "DKK 30,000" in results
    assert "DKK 20,000" in results
    assert "Charming." in results
    html = response.get_data(as_text=True)
    assert f'href="/challenges/{made["slug"]}/concepts/{first}"' in html  # published under "winners"
    assert "<strong>Prof. Ada Lund</strong>, Head of Design" in html
    assert "chair of the jury" in results
    assert shown_name in results
    assert hidden_name not in body
    assert "The jury had 4 members." in results
    assert "1 of them chaired it." in results
    assert "stood aside from a concept 1 time" in results
    assert "My student" not in body
    # Impact was scored by three jurors: shown; Feasibility too. Concept 2's lone sheet adds to the
    # counts but the table never says whose.
    assert html.count('<table class="distribution">') == 2
    assert "Impact (4 jurors, 4 scores)" in body
    # Team members opted in to nothing: no names at all (P08).
    for concept in made["concepts"]:
        assert concept["owner"] not in html
    # The formula is in the results, once.
    assert html.count('id="formula-title"') == 1


def test_distributions_are_withheld_below_three_jurors(app, client, make_judging, decide, score_sheet,
                                                      publish_now) -> None:
    made = make_judging(concepts=2, jurors=1, members=1)
    for email in (made["chair"], made["jurors"][0]):
        score_sheet(made["round_id"], made["seat_ids"][email], made["concepts"][0]["id"], {0: 4, 1: 3})
    decide(made["challenge"]["id"], [(made["concepts"][0]["id"], "prize", 1, 5_000_000, "")])
    publish_now(made["challenge"]["id"])
    html = client.get(f"/challenges/{made['slug']}").get_data(as_text=True)
    assert '<table class="distribution">' not in html
    assert "Not shown: 2 criteria that fewer than three jurors scored." in text_of_html(html)


def text_of_html(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_a_challenge_without_winners_says_so_on_its_page(app, client, make_judging, decide, publish_now) -> None:
    made = make_judging()
    decide(made["challenge"]["id"], [], no_winner_reason="No concept met the brief.")
    publish_now(made["challenge"]["id"])
    body = text(client.get(f"/challenges/{made['slug']}"))
    assert "This challenge ended without winners." in body
    assert "The jury's reason: No concept met the brief." in body


def test_results_without_a_final_decision_show_nothing(app, client, make_challenge) -> None:
    """A challenge moved to results before this guard existed shows no winners, and no error."""
    challenge = make_challenge("results")
    response = client.get(f"/challenges/{challenge['slug']}")
    assert response.status_code == 200
    assert 'id="results-title"' not in response.get_data(as_text=True)


# -- 4. the formula --------------------------------------------------------------------------

def test_the_formula_lists_aggregates_tie_breakers_in_order(app, client, make_challenge) -> None:
    """Item 7: the published tie-breakers are aggregate.TieBreaker's members, in the order
    aggregate.rank tries them; the figures (decimal places, resamples, band, close-call share,
    alpha thresholds, outlier and spread limits, weight step) are aggregate's constants. The wording
    of the steps follows aggregate.FORMULA, step for step (ten steps)."""
    challenge = make_challenge("open")
    html = client.get(f"/challenges/{challenge['slug']}").get_data(as_text=True)
    section = html[html.index('id="formula-title"'):]
    section = section[:section.index("</section>")]
    assert re.findall(r'data-tie-breaker="([a-z_]+)"', section) == [t.value for t in aggregate.TieBreaker]
    steps = re.findall(r"^\d+\. ", aggregate.FORMULA, flags=re.M)
    assert section.count("<li>") == len(steps) == 10  # one item per step of FORMULA (the tie-breakers: step 4)
    body = text_of_html(section)
    assert f"compared to {aggregate.PRECISION} decimal places" in body
    assert "redrawn at random 1,000 times" in body
    assert aggregate.DEFAULT_RESAMPLES == 1000
    assert f"percentile {aggregate.DEFAULT_BAND[0]:g} to percentile {aggregate.DEFAULT_BAND[1]:g}" in body
    assert f"at least {aggregate.CLOSE_CALL_SHARE:.0%}" in body
    assert f"{aggregate.ALPHA_GOOD:g} or more" in body
    assert f"{aggregate.ALPHA_TENTATIVE:g} to" in body
    assert f"below {aggregate.OUTLIER_CORRELATION:g}" in body
    assert f"above {aggregate.DISAGREEMENT_SPREAD:g}" in body
    assert f"moves {aggregate.WEIGHT_STEP:g} points" in body
    assert "Schulze" in body


@pytest.mark.parametrize(("state", "shown"), [("scheduled", True), ("open", True), ("closed", True),
                                              ("judging", True), ("cancelled", False)])
def test_the_formula_is_on_the_challenge_page_from_publication(app, client, make_challenge, state, shown) -> None:
    challenge = make_challenge(state)
    html = client.get(f"/challenges/{challenge['slug']}").get_data(as_text=True)
    assert ('id="formula-title"' in html) is shown


def test_the_formula_is_translated(app, client, make_challenge, post_form) -> None:
    challenge = make_challenge("scheduled")
    post_form("/language", {"lang": "nb", "next": "/"})
    body = text(client.get(f"/challenges/{challenge['slug']}"))
    assert "Slik blir juryens poeng til en rangering" in body


def test_a_draft_shows_no_formula_to_its_staff(app, client, login, make_challenge) -> None:
    challenge = make_challenge("draft")
    login(challenge["org"]["owner"])
    html = client.get(f"/challenges/{challenge['slug']}").get_data(as_text=True)
    assert 'id="formula-title"' not in html
