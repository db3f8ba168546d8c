"""The chair's rounds page: every round, its ranking so far, and the form that opens the next round
with the concepts advanced from the current one (issue 10, item 4)."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.challenges.forms.editor import utc_to_local
from app.challenges.models import ChallengeState
from app.core.timeutil import as_utc, clock
from app.core.web import flash_refusal
from app.db import db
from app.errors import DomainError
from app.i18n import _
from app.judging import aggregate, permissions, queries
from app.judging.forms.rounds import NextRoundForm
from app.judging.models import ROUND_METHOD_LABELS, JudgingRound, RoundMethod, RoundState
from app.judging.services import rounds as service
from app.judging.views._load import jury_challenge


def _round_state_label(state: str) -> str:
    return _("Open") if state == RoundState.OPEN else _("Closed")


def _ranking_rows(current: JudgingRound | None, entries: dict[int, service.LabelledEntry]) -> dict[str, list[Any]]:
    """The current round's order, raw and calibrated (rubric) or by Schulze (ranking)."""
    if current is None:
        return {}
    out: dict[str, list[Any]] = {}
    try:
        if current.method == RoundMethod.RANKING:
            out["schulze"] = service.schulze_ranking(current)
        else:
            out["raw"] = service.rubric_ranking(current, aggregate.Basis.RAW)
            out["calibrated"] = service.rubric_ranking(current, aggregate.Basis.CALIBRATED)
    except (ValueError, DomainError):
        return {}
    # Before any sheet or ranking is submitted the order is only the tie-breaker's: nothing to show.
    if all(e.score is None for e in out.get("raw", [])) and "schulze" not in out:
        return {}
    if "schulze" in out and not service.has_submitted_ballots(current):
        return {}
    return {k: [(e, entries.get(e.concept_id)) for e in v] for k, v in out.items()}


def _form(challenge: Any, current: JudgingRound | None, entries: dict[int, service.LabelledEntry],
          formdata: bool) -> NextRoundForm:
    numbers = [entries[cid].number for cid in (queries.round_concept_ids(current.id) if current else [])
               if cid in entries]
    seats = queries.seats(challenge.id)
    cls = NextRoundForm.for_entries(sorted(numbers))
    kwargs: dict[str, Any] = {"zone": challenge.timezone,
                              "criteria": [(c.id, c.name) for c in challenge.criteria],
                              "jurors": [(s.id, s.shown_name()) for s in seats]}
    if formdata:
        return cls(**kwargs)
    ends = challenge.judging_ends_at
    deadline = utc_to_local(ends, challenge.timezone) if ends is not None and as_utc(ends) > clock.now() else None
    return cls(formdata=None, data={"criteria": [str(c.id) for c in challenge.criteria], "deadline": deadline,
                                    "jurors": [str(s.id) for s in seats], "method": "rubric", "advance": "rank",
                                    "basis": "raw"}, **kwargs)


def _render(challenge: Any, seat: Any, form: NextRoundForm, *, status: int = 200, refused: str | None = None) -> Any:
    all_rounds = queries.rounds(challenge.id)
    current = all_rounds[-1] if all_rounds else None
    entries = service.labelled_entries(challenge.id)
    criteria_names = {c.id: c.name for c in challenge.criteria}
    in_current = [entries[cid] for cid in (queries.round_concept_ids(current.id) if current else []) if cid in entries]
    return render_template(
        "judging/rounds.html", challenge=challenge, seat=seat, rounds=all_rounds, current=current, form=form,
        entries=entries, in_current=sorted(in_current, key=lambda e: e.number), criteria_names=criteria_names,
        method_labels=ROUND_METHOD_LABELS, round_state_label=_round_state_label,
        ranking=_ranking_rows(current, entries), refused=refused,
        can_change=ChallengeState(challenge.state) in permissions.SCORING_STATES,
        ranking_limits=(service.RANKING_MIN_ENTRIES, service.RANKING_MAX_ENTRIES)), status


@login_required
def rounds(slug: str) -> Any:
    challenge, seat = jury_challenge(slug, chair=True)
    current = queries.current_round(challenge.id)
    entries = service.labelled_entries(challenge.id)
    if request.method != "POST":
        return _render(challenge, seat, _form(challenge, current, entries, formdata=False))
    form = _form(challenge, current, entries, formdata=True)
    if not form.validate_on_submit():
        return _render(challenge, seat, form, status=400)
    values = form.values()
    by_number = {e.number: cid for cid, e in entries.items()}
    if values["advance"] == "hand":
        missing = [n for n, note in values["picked_numbers"].items() if not note]
        for n in missing:
            form[f"note_{n}"].errors = [*form[f"note_{n}"].errors,
                                        _("Say why %(label)s advances.", label=entries[by_number[n]].label)]
        if missing:
            return _render(challenge, seat, form, status=400)
    picked = {by_number[n]: note for n, note in values.pop("picked_numbers").items() if n in by_number}
    try:
        made = service.add_next_round(challenge=challenge, data=service.NextRound(**values, picked=picked),
                                      by=current_user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        status = flash_refusal(form, exc)
        return _render(challenge, seat, form, status=status)
    db.session.commit()
    flash(_("%(name)s is open.", name=made.name), "success")
    return redirect(url_for("judging.rounds", slug=challenge.slug))


def round_or_404(challenge_id: int, number: int) -> JudgingRound:
    found = next((r for r in queries.rounds(challenge_id) if r.position == number), None)
    if found is None:
        abort(404)
    return found
