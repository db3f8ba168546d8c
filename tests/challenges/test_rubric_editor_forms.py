"""The rubric editor without JavaScript (issue 12, item 5): "Add another criterion", a row's
"Remove", "Move up" and "Move down" are submit buttons that the server handles. They show the rows
again as typed, renumbered, and save nothing; saving keeps the order on the page. A name over its
limit gets a message that names the row and the field, and the text stays in the form."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.challenges.models import Challenge
from app.core.timeutil import clock
from app.db import db

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def now(app: Flask) -> datetime:
    clock.set(NOW)
    return NOW


def _criteria(app: Flask, slug: str) -> list[tuple[int, str, int]]:
    with app.app_context():
        challenge = db.session.scalar(select(Challenge).where(Challenge.slug == slug))
        assert challenge is not None
        return [(c.id, c.name, c.weight) for c in challenge.criteria]


def _rows(rows: list[tuple[str, str, str, str]], **extra: Any) -> dict[str, Any]:
    """(criterion_id, name, description, weight) rows as the page posts them (scale 1 to 5)."""
    data: dict[str, Any] = {"rows": str(len(rows))}
    for i, (cid, name, description, weight) in enumerate(rows):
        data.update({f"criteria-{i}-criterion_id": cid, f"criteria-{i}-name": name,
                     f"criteria-{i}-description": description, f"criteria-{i}-weight": weight,
                     f"criteria-{i}-scale_min": "1", f"criteria-{i}-scale_max": "5", f"criteria-{i}-anchors": ""})
    data.update(extra)
    return data


def _names(html: str) -> list[str]:
    """The values of the name inputs, in page order (the template row has none)."""
    return re.findall(r'<input [^>]*name="criteria-\d+-name"[^>]*value="([^"]*)"', html)


@pytest.fixture
def draft(app: Flask, now: datetime, make_challenge: Callable[..., dict[str, Any]],
          login: Callable[..., Any]) -> dict[str, Any]:
    challenge = make_challenge("draft")
    login(challenge["org"]["owner"])
    (a, _, _), (b, _, _) = _criteria(app, challenge["slug"])
    challenge["rows"] = [(str(a), "Impact", "How much it helps", "60"), (str(b), "Feasibility", "Can it be done", "40"),
                         ("", "Originality", "New to the field", "0")]
    return challenge


def test_the_page_has_row_buttons_and_a_template_row(client: Any, draft: dict[str, Any]) -> None:
    html = client.get(f"/challenges/{draft['slug']}/rubric").get_data(as_text=True)
    assert html.count("<legend>Criterion ") == 4  # two saved, two empty; the template row's legend differs
    for i in range(4):
        assert f'name="move_up" value="{i}"' in html
        assert f'name="move_down" value="{i}"' in html
        assert f'name="remove_row" value="{i}"' in html
    # The first row cannot go up, the last cannot go down: said, and still focusable (aria-disabled).
    assert re.search(r'name="move_up" value="0"[^>]*aria-disabled="true"', html)
    assert re.search(r'name="move_down" value="3"[^>]*aria-disabled="true"', html)
    assert '<template id="criterion-template">' in html
    assert 'name="criteria-__n__-name"' in html
    assert 'src="/static/js/rubric.js?v=' in html  # content-hashed (core/assets.py)
    # Enter in a text box sends the form with its first submit button: that is "save", not "Move up".
    first_button = re.search(r"<button [^>]*>", html[html.index('class="stacked rubric-editor"'):])
    assert first_button
    assert "default-submit" in first_button.group(0)
    assert "name=" not in first_button.group(0)


def test_move_up_and_down_without_javascript_keep_what_was_typed(app: Flask, client: Any, draft: dict[str, Any],
                                                                 post_form: Callable[..., Any]) -> None:
    url = f"/challenges/{draft['slug']}/rubric"
    before = _criteria(app, draft["slug"])
    rows = [*draft["rows"][:2], ("", "Originality", "New to the field", "abc")]  # a weight not yet valid
    response = post_form(url, _rows(rows, move_up="2"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _names(html) == ["Impact", "Originality", "Feasibility"]
    assert re.search(r'name="criteria-1-weight"[^>]*value="abc"', html)  # kept as typed
    assert re.search(rf'name="criteria-2-criterion_id"[^>]*value="{rows[1][0]}"', html)  # the id moved with it
    assert "Criterion moved to position 2 of 3." in html
    assert 'name="rows" value="3"' in html
    assert _criteria(app, draft["slug"]) == before  # nothing saved

    response = post_form(url, _rows(draft["rows"], move_down="0"))
    assert _names(response.get_data(as_text=True)) == ["Feasibility", "Impact", "Originality"]
    # At the edge nothing moves, and the page says why.
    html = post_form(url, _rows(draft["rows"], move_up="0")).get_data(as_text=True)
    assert _names(html) == ["Impact", "Feasibility", "Originality"]
    assert "This criterion is already first." in html
    html = post_form(url, _rows(draft["rows"], move_down="2")).get_data(as_text=True)
    assert "This criterion is already last." in html


def test_remove_a_row_without_javascript(app: Flask, client: Any, draft: dict[str, Any],
                                         post_form: Callable[..., Any]) -> None:
    url = f"/challenges/{draft['slug']}/rubric"
    response = post_form(url, _rows(draft["rows"], remove_row="0"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _names(html) == ["Feasibility", "Originality"]
    assert 'name="rows" value="2"' in html
    assert "Criterion removed. Save the judging criteria to keep the change." in html
    assert len(_criteria(app, draft["slug"])) == 2  # not saved until "Save"
    # Removing the only row leaves one empty row to type in.
    html = post_form(url, _rows(draft["rows"][:1], remove_row="0")).get_data(as_text=True)
    assert _names(html) == [""]


def test_a_row_that_is_not_on_the_page_is_refused(client: Any, draft: dict[str, Any],
                                                 post_form: Callable[..., Any]) -> None:
    url = f"/challenges/{draft['slug']}/rubric"
    assert post_form(url, _rows(draft["rows"], move_up="7")).status_code == 400
    assert post_form(url, _rows(draft["rows"], remove_row="x")).status_code == 400


def test_the_order_on_the_page_is_saved(app: Flask, client: Any, draft: dict[str, Any],
                                        post_form: Callable[..., Any]) -> None:
    (a, _, _), (b, _, _) = _criteria(app, draft["slug"])
    url = f"/challenges/{draft['slug']}/rubric"
    # As the page posts after "Move up" on Feasibility (with or without JavaScript): the ids move with the rows.
    rows = [(str(b), "Feasibility", "Can it be done", "30"), (str(a), "Impact", "How much it helps", "50"),
            ("", "Originality", "New to the field", "20")]
    response = post_form(url, _rows(rows))
    assert response.status_code == 302
    saved = _criteria(app, draft["slug"])
    assert [(name, weight) for _, name, weight in saved] == [("Feasibility", 30), ("Impact", 50), ("Originality", 20)]
    assert saved[0][0] == b
    assert saved[1][0] == a
    html = client.get(url).get_data(as_text=True)
    assert _names(html)[:3] == ["Feasibility", "Impact", "Originality"]


def test_add_another_stops_at_the_most_criteria(client: Any, draft: dict[str, Any],
                                                post_form: Callable[..., Any]) -> None:
    rows = [("", f"Criterion {n}", "", "5") for n in range(20)]
    html = post_form(f"/challenges/{draft['slug']}/rubric", _rows(rows, add_row="1")).get_data(as_text=True)
    assert "Use at most 20 criteria." in html
    assert 'name="criteria-20-name"' not in html
    html = post_form(f"/challenges/{draft['slug']}/rubric", _rows(rows[:3], add_row="1")).get_data(as_text=True)
    assert 'name="criteria-3-name"' in html
    assert "Criterion 4 added." in html


def test_an_over_long_name_is_named_in_the_message_and_kept(app: Flask, client: Any, draft: dict[str, Any],
                                                            post_form: Callable[..., Any]) -> None:
    long_name = "Impact on residents " * 7  # 140 characters, the limit is 120
    rows = [(draft["rows"][0][0], long_name.strip(), "How much it helps", "60"), draft["rows"][1]]
    response = post_form(f"/challenges/{draft['slug']}/rubric", _rows(rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    said = f"Name: at most 120 characters (you wrote {len(long_name.strip())})."
    assert f"Criterion 1: {said}" in html  # in the error summary, with the row
    assert said in html.split('id="criteria-0-name-error"')[1].split("</p>")[0]  # at the field
    assert f'value="{long_name.strip()}"' in html  # not cut
    assert [n for _, n, _ in _criteria(app, draft["slug"])] == ["Impact", "Feasibility"]
    # The limit is shown and tied to the field; no maxlength that would cut a paste.
    field = re.search(r'<input [^>]*id="criteria-0-name"[^>]*>', html)
    assert field is not None
    assert 'data-maxlength="120"' in field.group(0)
    assert not re.search(r"(?<!data-)maxlength=", field.group(0))
    assert "criteria-0-name-limit" in field.group(0)
    assert 'id="criteria-0-name-limit"' in html
    assert "At most 120 characters." in html


def test_row_buttons_respect_the_lock_once_judging_starts(app: Flask, client: Any, now: datetime,
                                                          make_challenge: Callable[..., dict[str, Any]],
                                                          login: Callable[..., Any],
                                                          post_form: Callable[..., Any]) -> None:
    challenge = make_challenge("judging", rubric_frozen_at=NOW - timedelta(days=20))
    login(challenge["org"]["owner"])
    before = _criteria(app, challenge["slug"])
    rows = [(str(cid), name, "", str(weight)) for cid, name, weight in reversed(before)]
    response = post_form(f"/challenges/{challenge['slug']}/rubric", _rows(rows, move_up="1", reason="Order"))
    assert response.status_code == 400
    assert "can no longer change" in response.get_data(as_text=True)
    assert _criteria(app, challenge["slug"]) == before


def test_a_published_reorder_is_an_amendment_that_needs_a_reason(app: Flask, client: Any, now: datetime,
                                                                 make_challenge: Callable[..., dict[str, Any]],
                                                                 login: Callable[..., Any],
                                                                 post_form: Callable[..., Any]) -> None:
    challenge = make_challenge("open")
    login(challenge["org"]["owner"])
    before = _criteria(app, challenge["slug"])
    rows = [(str(cid), name, "", str(weight)) for cid, name, weight in reversed(before)]
    url = f"/challenges/{challenge['slug']}/rubric"
    response = post_form(url, _rows(rows))
    assert response.status_code == 400  # published: a change of order needs a reason
    assert _criteria(app, challenge["slug"]) == before
    assert post_form(url, _rows(rows, reason="Feasibility first")).status_code == 302
    assert [n for _, n, _ in _criteria(app, challenge["slug"])] == ["Feasibility", "Impact"]
