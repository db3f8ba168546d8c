"""Issue 12, item 3: "Publish" on a challenge whose checklist is incomplete is disabled, with the
reason beside it (what is missing, each linked to where it is fixed), on the manage page and in the
editor; a forced POST is refused by the server with the same reason, and nothing changes."""
from __future__ import annotations

import re

from app.challenges.models import Challenge, ChallengeState, Criterion
from app.db import db

DISABLED = re.compile(r'<button type="submit" class="button" disabled aria-describedby="publish-reason">'
                      r'Publish the challenge</button>')
ENABLED = '<button type="submit" class="button">Publish the challenge</button>'


def _reason(html: str) -> str:
    match = re.search(r'<p class="publish-reason" id="publish-reason">(.*?)</p>', html, re.S)
    assert match, "no reason beside the button"
    return match.group(1)


def _state(app, challenge_id: int) -> ChallengeState:
    with app.app_context():
        return ChallengeState(db.session.get(Challenge, challenge_id).state)


def test_publish_is_disabled_with_the_reason_beside_it(client, login, make_challenge) -> None:
    made = make_challenge("draft", summary="")
    slug = made["slug"]
    login(made["org"]["owner"])
    for url in (f"/challenges/{slug}/manage", f"/challenges/{slug}/edit"):
        html = client.get(url).get_data(as_text=True)
        assert DISABLED.search(html), url
        reason = _reason(html)
        assert "Not possible yet: 1 item is missing." in reason
        assert f'<a href="/challenges/{slug}/edit#summary">A summary for lists</a>' in reason
        assert "<strong>Missing:</strong> A summary for lists" in html


def test_each_missing_item_links_to_where_it_is_fixed(app, client, login, make_challenge) -> None:
    made = make_challenge("draft", summary="", prize_minor=0)
    with app.app_context():
        challenge = db.session.get(Challenge, made["id"])
        for criterion in list(challenge.criteria):
            db.session.delete(criterion)
        db.session.commit()
    login(made["org"]["owner"])
    reason = _reason(client.get(f"/challenges/{made['slug']}/manage").get_data(as_text=True))
    assert "3 items are missing." in reason
    assert f'href="/challenges/{made["slug"]}/edit#prize_amount"' in reason
    assert f'href="/challenges/{made["slug"]}/rubric"' in reason
    assert reason.index("#summary") < reason.index("#prize_amount") < reason.index("/rubric")


def test_a_forced_publish_is_refused_with_the_reason(app, client, login, csrf, make_challenge) -> None:
    made = make_challenge("draft", summary="")
    login(made["org"]["owner"])
    token = csrf(f"/challenges/{made['slug']}/manage")
    response = client.post(f"/challenges/{made['slug']}/publish", data={"csrf_token": token})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The challenge is not ready to publish yet. Missing: A summary for lists." in html
    assert DISABLED.search(html)
    assert _state(app, made["id"]) == ChallengeState.DRAFT


def test_a_complete_draft_is_published_from_the_manage_page(app, client, login, csrf, make_challenge) -> None:
    made = make_challenge("draft")
    login(made["org"]["owner"])
    html = client.get(f"/challenges/{made['slug']}/manage").get_data(as_text=True)
    assert ENABLED in html
    assert 'id="publish-reason"' not in html
    # On the manage page the checklist sits inside the State section, one level down.
    assert '<h3 id="publish-title">Ready to publish?</h3>' in html
    response = client.post(f"/challenges/{made['slug']}/publish",
                           data={"csrf_token": csrf(f"/challenges/{made['slug']}/manage")})
    assert response.status_code == 302
    assert _state(app, made["id"]) == ChallengeState.SCHEDULED
    assert "Ready to publish?" not in client.get(f"/challenges/{made['slug']}/manage").get_data(as_text=True)


def test_a_rubric_that_does_not_add_up_links_to_the_rubric(app, client, login, make_challenge) -> None:
    made = make_challenge("draft")
    with app.app_context():
        db.session.add(Criterion(challenge_id=made["id"], position=2, name="Extra", weight=10, scale_min=1,
                                 scale_max=5))
        db.session.commit()
    login(made["org"]["owner"])
    reason = _reason(client.get(f"/challenges/{made['slug']}/edit").get_data(as_text=True))
    assert f'<a href="/challenges/{made["slug"]}/rubric">Judging criteria whose weights add up to 100 percent ' \
           '(now 110)</a>' in reason
