"""Jury pages (issue 10, item 1): staff manage the jury of a challenge; invitees answer the link
from their email; each juror chooses how the published jury list names them.

The staff page is for the posting organisation's owners and editors only (404 to anyone who may
not see the challenge, 403 to anyone else: S16, S17). Invitation links carry the credential in the
token; an unknown token is 404 and a used, declined, revoked or expired one 410, each with a page
that says so. A juror's own page needs an active seat (404 otherwise, also at once after removal).
"""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.accounts.models import User
from app.challenges.models import Challenge
from app.core.timeutil import clock
from app.core.web import flash_refusal, http_status
from app.db import db
from app.extensions import limiter
from app.i18n import _
from app.judging import queries
from app.judging.forms.jury import InviteJurorForm, JuryActionForm, MySeatForm, RemoveJurorForm
from app.judging.models import JuryInvitation, JurySeat
from app.judging.services import jury
from app.judging.views._load import jury_challenge, jury_manager_challenge, staff_challenge

# Each invitation emails an address a staff member typed: cap them per user, so an organisation
# account cannot be used to send mail in bulk (as for team invitations).


def _invite_limit() -> str:
    return str(current_app.config["JURY_INVITE_LIMIT_PER_USER"])


def _user_key() -> str:
    return f"jury-invite:user:{getattr(current_user, 'id', None)}"


def _render_jury(challenge: Challenge, *, invite_form: InviteJurorForm | None = None, status: int = 200,
                 staff: bool = True) -> Any:
    now = clock.now()
    changeable = jury.jury_changeable(challenge, now)
    seats = queries.seats(challenge.id, include_removed=True)
    active = [s for s in seats if s.is_active]
    return render_template(
        "judging/jury.html", challenge=challenge, active=active, removed=[s for s in seats if not s.is_active],
        chairs=sum(1 for s in active if s.is_chair), invitations=jury.pending_invitations(challenge, now),
        changeable=changeable, staff=staff, seat_actions=changeable and staff,
        invite_form=invite_form or InviteJurorForm(formdata=None),
        action_form=JuryActionForm(), invitation_days=max(1, jury.invitation_ttl().days)), status


def _back(challenge: Challenge) -> Any:
    return redirect(url_for("judging.jury", slug=challenge.slug))


def _act(challenge: Challenge, action: Any, *, staff: bool = True) -> Any:
    """A button's action: refuse with the service's status, else commit and go back to the list."""
    if not JuryActionForm().validate_on_submit():
        abort(400)
    try:
        message = action()
    except jury.JuryError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_jury(challenge, status=http_status(exc), staff=staff)
    db.session.commit()
    if message:
        flash(message, "success")
    return _back(challenge)


def _seat(challenge: Challenge, seat_id: int) -> JurySeat:
    seat = db.session.get(JurySeat, seat_id)
    if seat is None or seat.challenge_id != challenge.id:
        abort(404)
    return seat


@login_required
def jury_page(slug: str) -> Any:
    challenge, staff = jury_manager_challenge(slug)
    return _render_jury(challenge, staff=staff)


@limiter.limit(_invite_limit, key_func=_user_key, methods=["POST"])
@login_required
def invite(slug: str) -> Any:
    challenge, staff = jury_manager_challenge(slug)
    form = InviteJurorForm()
    if not form.validate_on_submit():
        return _render_jury(challenge, invite_form=form, status=400, staff=staff)
    try:
        # A chair grows the jury; only the organisation's staff name chairs.
        jury.invite_juror(challenge=challenge, by=current_user, email=form.email.data,
                          as_chair=bool(form.as_chair.data) and staff, now=clock.now())
    except jury.JuryError as exc:
        db.session.rollback()
        status = flash_refusal(form, exc)
        return _render_jury(challenge, invite_form=form, status=status, staff=staff)
    db.session.commit()
    flash(_("An invitation has been sent to %(email)s.", email=form.email.data), "success")
    return _back(challenge)


@login_required
def revoke_invitation(slug: str, invitation_id: int) -> Any:
    challenge, staff = jury_manager_challenge(slug)
    invitation = db.session.get(JuryInvitation, invitation_id)
    if invitation is None or invitation.challenge_id != challenge.id:
        abort(404)
    email = invitation.email

    def act() -> str:
        jury.revoke_invitation(challenge=challenge, invitation=invitation, by=current_user, now=clock.now())
        return _("The invitation to %(email)s has been withdrawn.", email=email)
    return _act(challenge, act, staff=staff)


def _chair(slug: str, seat_id: int, chair: bool) -> Any:
    challenge = staff_challenge(slug)
    seat = _seat(challenge, seat_id)
    name = seat.user.display_name

    def act() -> str | None:
        if not jury.set_chair(challenge=challenge, seat=seat, chair=chair, by=current_user, now=clock.now()):
            return None
        return (_("%(name)s now chairs the jury.", name=name) if chair
                else _("%(name)s is no longer a chair of the jury.", name=name))
    return _act(challenge, act)


@login_required
def make_chair(slug: str, seat_id: int) -> Any:
    return _chair(slug, seat_id, True)


@login_required
def end_chair(slug: str, seat_id: int) -> Any:
    return _chair(slug, seat_id, False)


@login_required
def remove_juror(slug: str, seat_id: int) -> Any:
    """GET: the confirmation with the reason field; POST: the removal."""
    challenge = staff_challenge(slug)
    seat = _seat(challenge, seat_id)
    if not seat.is_active and request.method == "GET":
        flash(_("This juror has already been removed."), "info")
        return _back(challenge)
    form = RemoveJurorForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                jury.remove_juror(challenge=challenge, seat=seat, by=current_user, reason=form.reason.data,
                                  now=clock.now())
            except jury.JuryError as exc:
                db.session.rollback()
                status = flash_refusal(form, exc, "reason")
            else:
                db.session.commit()
                flash(_("%(name)s has been removed from the jury. Their scores stay in the record.",
                        name=seat.user.display_name), "success")
                return _back(challenge)
        else:
            status = 400
    return render_template("judging/remove_juror.html", challenge=challenge, seat=seat, form=form,
                           last_chair=seat.is_chair and jury.active_chairs(challenge) <= 1), status


# ---------------------------------------------------------------- the juror's own seat
def _own_seat(slug: str) -> tuple[Challenge, JurySeat]:
    """jury_challenge(), except that a juror also reaches their seat while the challenge is still a
    draft (staff may invite jurors before publishing): the seat is what grants access here."""
    challenge = db.session.scalar(select(Challenge).where(Challenge.slug == slug))
    seat = queries.active_seat(current_user.id, challenge.id) if challenge is not None else None
    if challenge is None or seat is None:
        return jury_challenge(slug)  # 404, as for anyone without a seat
    g.private_response = True
    return challenge, seat


@login_required
def my_seat(slug: str) -> Any:
    challenge, seat = _own_seat(slug)
    if request.method == "POST":
        form = MySeatForm()
        status = 400
        if form.validate_on_submit():
            try:
                changed = jury.set_public_listing(seat=seat, user=current_user, public_name=form.public_name.data,
                                                  public_title=form.public_title.data,
                                                  show_publicly=form.show_publicly.data)
            except jury.JuryError as exc:
                db.session.rollback()
                status = flash_refusal(form, exc, "public_name")
            else:
                db.session.commit()
                flash(_("Your entry in the jury list has been saved.") if changed
                      else _("Nothing has changed."), "success" if changed else "info")
                return redirect(url_for("judging.my_seat", slug=slug))
    else:
        form = MySeatForm(formdata=None, public_name=seat.shown_name(), public_title=seat.public_title or "",
                          show_publicly=seat.show_publicly)
        status = 200
    preview_name = (form.public_name.data or "").strip() or current_user.display_name
    preview_title = (form.public_title.data or "").strip()
    return render_template("judging/my_seat.html", challenge=challenge, seat=seat, form=form,
                           preview_name=preview_name, preview_title=preview_title,
                           preview_shown=bool(form.show_publicly.data)), status


# ---------------------------------------------------------------- invitation links from email
def _load_invitation(token: str) -> JuryInvitation | None:
    g.private_response = True  # reached through a secret link: never cached
    return jury.find_invitation(token)


def _render_invitation(invitation: JuryInvitation | None, token: str, *, error: str | None = None,
                       problem: str | None = None, status: int = 200) -> Any:
    seat = conflict = None
    if invitation is not None and current_user.is_authenticated:
        seat = queries.active_seat(current_user.id, invitation.challenge_id)
        if not (problem or error or seat):
            conflict = jury.team_conflict(current_user, invitation.challenge)
    inviter = db.session.get(User, invitation.invited_by_id) if invitation and invitation.invited_by_id else None
    return render_template(
        "judging/invitation.html", invitation=invitation, challenge=invitation.challenge if invitation else None,
        token=token, form=JuryActionForm(), error=error, problem=problem, seat=seat, conflict=conflict,
        inviter_name=inviter.display_name if inviter is not None else "",
        unverified=current_user.is_authenticated and not current_user.is_verified,
        next_path=request.path), status


def invitation(token: str) -> Any:
    found = _load_invitation(token)
    if found is None:
        return _render_invitation(None, token, problem=_("This invitation link is not valid. Check that you "
                                                           "copied the whole link from the email."), status=404)
    problem = jury.invitation_problem(found, clock.now())
    if problem:
        return _render_invitation(found, token, problem=problem, status=410)
    return _render_invitation(found, token)


def _answer(token: str, action: Any, done: Any) -> Any:
    found = _load_invitation(token)
    if found is None:
        return invitation(token)
    if not JuryActionForm().validate_on_submit():
        abort(400)
    try:
        result = action(found)
    except jury.JuryError as exc:
        db.session.rollback()
        if jury.invitation_problem(found, clock.now()):
            return _render_invitation(found, token, problem=str(exc), status=http_status(exc))
        return _render_invitation(found, token, error=str(exc), status=http_status(exc))
    db.session.commit()
    return done(found, result)


@login_required
def accept_invitation(token: str) -> Any:
    def act(found: JuryInvitation) -> bool:
        # Only the token decides which jury and role: nothing else in the form is read (S20).
        _seat, created = jury.accept_invitation(invitation=found, user=current_user, now=clock.now())
        return created

    def done(found: JuryInvitation, created: bool) -> Any:
        if created:
            flash(_("Welcome to the jury of %(challenge)s. Choose here how the published jury list names you.",
                    challenge=found.challenge.title), "success")
        else:
            flash(_("You are already on this jury."), "info")
        return redirect(url_for("judging.my_seat", slug=found.challenge.slug))
    return _answer(token, act, done)


@login_required
def decline_invitation(token: str) -> Any:
    def act(found: JuryInvitation) -> None:
        jury.decline_invitation(invitation=found, user=current_user, now=clock.now())

    def done(_found: JuryInvitation, _result: None) -> Any:
        flash(_("You have declined the invitation."), "info")
        return redirect(url_for("pages.home"))
    return _answer(token, act, done)
