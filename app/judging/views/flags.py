"""The chair's review of the platform's conflict flags: confirm or dismiss each, with a note;
the conflicts jurors declared are listed beside them (P09). In a blind challenge the page names
entries by label and title only: never what matched, never a team."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.challenges.models import ChallengeState
from app.concepts.models import Concept
from app.core.timeutil import clock
from app.core.web import http_status
from app.db import db
from app.errors import DomainError
from app.i18n import _
from app.judging import permissions, queries
from app.judging.forms.flags import FlagDecisionForm
from app.judging.models import FLAG_KIND_LABELS, Conflict, ConflictOrigin, EntryLabel, FlagKind
from app.judging.services import flags as service
from app.judging.services.rounds import labelled_entries
from app.judging.views._load import jury_challenge


def _status_label(status: str) -> str:
    return {"suggested": _("Waiting for your decision"), "confirmed": _("Confirmed: in force"),
            "dismissed": _("Dismissed"), "declared": _("Declared by the juror: in force")}.get(status, status)


def _render(challenge: Any, seat: Any, *, form: FlagDecisionForm | None = None, failed_id: int | None = None,
            refused: str | None = None, status: int = 200) -> Any:
    blind = permissions.hides_identities(challenge)
    entries = labelled_entries(challenge.id)
    seats = {s.id: s for s in queries.seats(challenge.id, include_removed=True)}
    rows = list(db.session.scalars(select(Conflict).where(Conflict.challenge_id == challenge.id)
                                   .order_by(Conflict.id)))
    teams = {} if blind else dict(db.session.execute(
        select(Concept.id, Concept.team_name).where(Concept.challenge_id == challenge.id)).all())

    def kinds(conflict: Conflict) -> list[str]:
        out = []
        for kind in conflict.flag.get("kinds", []):
            if kind in FlagKind.__members__.values():
                text = str(FLAG_KIND_LABELS[FlagKind(kind)])
                detail = (conflict.flag.get("detail") or {}).get(kind)
                out.append(text if blind or not detail else _("%(kind)s: %(detail)s", kind=text, detail=detail))
        return out

    def describe(conflict: Conflict) -> dict[str, Any]:
        entry = entries.get(conflict.concept_id)
        juror = seats.get(conflict.seat_id)
        return {"id": conflict.id, "label": entry.label if entry else "", "title": entry.title if entry else "",
                "team": teams.get(conflict.concept_id) or "", "juror": juror.shown_name() if juror else "",
                "kinds": kinds(conflict), "status": str(conflict.status), "status_label": _status_label(str(conflict.status)),
                "reason": conflict.reason or "", "note": conflict.decision_note or "",
                "decided_at": conflict.decided_at}

    suggested = [describe(c) for c in rows if c.origin == ConflictOrigin.FLAGGED]
    declared = [describe(c) for c in rows if c.origin == ConflictOrigin.DECLARED]
    identifying = [entries[cid] for cid, mentions in db.session.execute(
        select(EntryLabel.concept_id, EntryLabel.mentions).where(EntryLabel.challenge_id == challenge.id))
        if mentions and cid in entries]
    return render_template(
        "judging/conflict_flags.html", challenge=challenge, seat=seat, blind=blind, suggested=suggested,
        declared=declared, identifying=sorted(identifying, key=lambda e: e.number), form=form, failed_id=failed_id,
        refused=refused, current=queries.current_round(challenge.id),
        can_change=ChallengeState(challenge.state) in service.DECIDING_STATES), status


@login_required
def conflict_flags(slug: str) -> Any:
    challenge, seat = jury_challenge(slug, chair=True)
    if request.method != "POST":
        return _render(challenge, seat)
    form = FlagDecisionForm()
    raw_id = str(form.conflict.data or "")
    failed_id = int(raw_id) if raw_id.isdigit() else None
    if not form.validate_on_submit() or form.decision.data not in ("confirm", "dismiss") or failed_id is None:
        return _render(challenge, seat, form=form, failed_id=failed_id,
                       refused=None if form.note.errors else _("Choose Confirm or Dismiss on one of the flags."),
                       status=400)
    try:
        conflict = service.flagged_conflict(challenge, failed_id)
        service.decide_flag(conflict=conflict, confirm=form.decision.data == "confirm", note=form.note.data or "",
                            by=current_user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        return _render(challenge, seat, form=form, failed_id=failed_id, refused=str(exc), status=http_status(exc))
    db.session.commit()
    flash(_("The conflict is confirmed: the juror no longer sees that concept.") if form.decision.data == "confirm"
          else _("The flag is dismissed."), "success")
    return redirect(url_for("judging.conflict_flags", slug=challenge.slug))
