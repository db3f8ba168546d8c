"""Issue 12, item 3: the main action is the obvious one. A ready draft's overview leads with
"Review and submit" as the primary button; Withdraw is a secondary button, offered beside the other
changes of mind only when a submitted version is in the competition. The receipt leads with what
was received, when, and what happens next; the fingerprint is in a collapsed technical part."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.challenges.models import Challenge, ChallengeState
from app.concepts.models import Concept, ConceptState
from app.core.timeutil import clock
from app.db import db

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MAIN_ACTION = re.compile(r'<div class="main-action">\s*<p><a class="button" href="([^"]+)">Review and submit</a>')


def _page(client, concept_id: int) -> str:
    response = client.get(f"/concepts/{concept_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _state(app, concept_id: int) -> ConceptState:
    with app.app_context():
        return ConceptState(db.session.get(Concept, concept_id).state)


def test_a_ready_draft_leads_with_submit_and_hides_withdraw(client, login, make_concept) -> None:
    made = make_concept("draft", members=2)
    login(made["owner"])
    html = _page(client, made["id"])
    match = MAIN_ACTION.search(html)
    assert match
    assert match.group(1) == f"/concepts/{made['id']}/submit"
    assert html.count(f'href="/concepts/{made["id"]}/submit"') == 1  # one way to it, not two
    # Nothing was ever submitted: no "Change your mind" section, no Withdraw button beside Submit.
    assert 'id="actions-title"' not in html
    assert "Withdraw the concept" not in html
    # A draft can still be given up (it frees the place), from a closed part at the end.
    assert re.search(r'<details class="concept-give-up">\s*<summary>Stop working on this draft</summary>', html)
    assert html.index("main-action") < html.index("concept-give-up")
    assert 'class="button danger"' not in html


def test_an_incomplete_draft_has_no_primary_submit(client, login, make_concept) -> None:
    made = make_concept("draft", members=2, body_md="")
    login(made["owner"])
    html = _page(client, made["id"])
    assert not MAIN_ACTION.search(html)
    assert f'<li><a href="/concepts/{made["id"]}/submit">Review and submit</a></li>' in html
    assert "<strong>Missing:</strong>" in html


def test_a_submitted_concept_offers_withdraw_as_a_secondary_button(client, login, make_concept) -> None:
    made = make_concept("submitted", members=2)
    login(made["owner"])
    html = _page(client, made["id"])
    assert not MAIN_ACTION.search(html)
    assert 'id="actions-title"' in html
    assert '<button type="submit" class="button secondary">Withdraw the concept</button>' in html
    assert "concept-give-up" not in html


def test_a_reopened_draft_has_submit_first_and_withdraw_after(app, client, login, make_concept) -> None:
    made = make_concept("submitted", members=2)
    login(made["owner"])
    token = CSRF_RE.search(_page(client, made["id"])).group(1)
    assert client.post(f"/concepts/{made['id']}/reopen", data={"csrf_token": token}).status_code == 302
    html = _page(client, made["id"])
    assert MAIN_ACTION.search(html)
    # Version 1 still counts, so there is something to withdraw.
    assert '<button type="submit" class="button secondary">Withdraw the concept</button>' in html
    assert html.index("main-action") < html.index("Withdraw the concept")


def test_a_never_submitted_draft_can_still_be_withdrawn_from_the_closed_part(app, client, login,
                                                                            make_concept) -> None:
    made = make_concept("draft", members=2)
    login(made["owner"])
    token = CSRF_RE.search(_page(client, made["id"])).group(1)
    refused = client.post(f"/concepts/{made['id']}/withdraw", data={"csrf_token": token})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert '<details class="concept-give-up" open>' in html  # the error is in view, not hidden
    assert 'href="#confirm_withdraw"' in html
    assert _state(app, made["id"]) == ConceptState.DRAFT
    done = client.post(f"/concepts/{made['id']}/withdraw", data={"csrf_token": token, "confirm_withdraw": "y"})
    assert done.status_code == 302
    assert _state(app, made["id"]) == ConceptState.WITHDRAWN


# ---------------------------------------------------------------- the receipt
def _receipt(client, concept_id: int) -> str:
    response = client.get(f"/concepts/{concept_id}/versions/1")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_receipt_leads_with_what_was_received_and_what_happens_next(app, client, login, make_concept) -> None:
    made = make_concept("submitted", members=2)
    login(made["owner"])
    html = _receipt(client, made["id"])
    with app.app_context():
        concept = db.session.get(Concept, made["id"])
        title, fingerprint = concept.title, concept.current_version().fingerprint
    lead = html.index("We received your concept “" + title + "” on ")
    assert lead < html.index('id="next-title"') < html.index(fingerprint)
    assert "you can still reopen the concept, change it and submit it again" in html
    assert "The results are expected on" in html
    assert "Everyone on your team then gets an email with the outcome" in html
    # The fingerprint and the check are in a collapsed part at the end.
    technical = re.search(r'<details class="technical" id="technical">\s*<summary>For the technically minded',
                          html)
    assert technical
    assert technical.start() < html.index(fingerprint) < html.index("</details>", technical.start())
    assert technical.start() < html.index("How to check the fingerprint")
    assert html.count("<h1") == 1


def test_the_receipt_after_the_deadline_and_after_the_results(app, client, login, make_concept,
                                                              make_challenge) -> None:
    deadline = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    clock.set(deadline - timedelta(days=1))
    try:
        challenge = make_challenge("open", deadline_at=deadline, judging_ends_at=deadline + timedelta(days=14),
                                   results_at=deadline + timedelta(days=21))
        made = make_concept("submitted", challenge=challenge)
        clock.set(deadline + timedelta(hours=1))
        login(made["owner"])  # after the jump: a session from the day before would have expired
        html = _receipt(client, made["id"])
        assert "The deadline has passed" in html
        assert "you can still reopen" not in html
        assert "Judging is planned to end on December 15, 2026." in html
        with app.app_context():
            row = db.session.scalar(select(Challenge).where(Challenge.id == challenge["id"]))
            row.state = ChallengeState.RESULTS
            db.session.commit()
        html = _receipt(client, made["id"])
        assert "the results are published" in html
        assert f'<a href="/challenges/{challenge["slug"]}">See the results on the challenge page</a>' in html
    finally:
        clock.reset()
