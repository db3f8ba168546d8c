"""Team pages: members, invitations, leaving and removing, the team name and name consent (issue 5, part B).

The team page is the team's own: anyone else gets 404 (S17), whether organiser, admin or
another participant. Actions only the lead may take answer 403 to other members, who can see
the page. Invitation links from email carry the credential in the token; the page explains
what to do to anonymous visitors and to someone logged in with another address.
"""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.concepts import queries
from app.concepts.forms.teams import NameConsentForm, TeamActionForm, TeamInviteForm, TeamNameForm
from app.concepts.models import (
    MEMBER_ROLE_LABELS,
    Concept,
    ConceptMember,
    ConceptState,
    MemberRole,
    TeamInvitation,
)
from app.concepts.permissions import can_manage_team, is_team_lead
from app.concepts.services import teams
from app.concepts.services.common import (
    ConceptError,
    eligibility_problem,
    grace_seconds,
    max_team_size,
    slot_problem,
)
from app.concepts.views._load import team_concept
from app.core.timeutil import clock
from app.core.web import flash_refusal, http_status
from app.db import db
from app.extensions import client_ip, limiter
from app.i18n import _

# Invitations email any address with text a participant chose (team and display name): cap them
# per user so a throwaway account cannot be used to send mail in bulk.
DEFAULT_TEAM_INVITE_LIMIT = "40 per day"


def _invite_limit() -> str:
    return str(current_app.config.get("TEAM_INVITE_LIMIT_PER_USER", DEFAULT_TEAM_INVITE_LIMIT))


def _user_key() -> str:
    return f"team-invite:user:{current_user.id}" if current_user.is_authenticated else f"team-invite:ip:{client_ip()}"


def _require_lead(concept: Concept) -> None:
    if not is_team_lead(current_user, concept):
        abort(403)


def _render_team(concept: Concept, *, invite_form: TeamInviteForm | None = None,
                 name_form: TeamNameForm | None = None, status: int = 200) -> Any:
    now = clock.now()
    me = concept.member_for(current_user)
    members = sorted(concept.members, key=lambda m: (m.role != MemberRole.OWNER, m.joined_at, m.id))
    lead = is_team_lead(current_user, concept)
    writable = concept.is_writable(now, grace_seconds())
    return render_template(
        "concepts/team.html", concept=concept, challenge=concept.challenge, members=members, me=me,
        invitations=teams.pending_invitations(concept, now), places=teams.team_places(concept, now),
        is_lead=lead, can_manage=can_manage_team(current_user, concept, now, grace_seconds()),
        writable=writable, withdrawn=concept.state == ConceptState.WITHDRAWN,
        invite_form=invite_form or TeamInviteForm(formdata=None),
        name_form=name_form or TeamNameForm(formdata=None, team_name=concept.team_name or ""),
        consent_form=NameConsentForm(formdata=None, show_name_publicly=bool(me and me.show_name_publicly)),
        action_form=TeamActionForm(), role_labels=MEMBER_ROLE_LABELS,
        invitation_days=max(1, teams.invitation_ttl().days),
        workspace_url=url_for("concepts.edit", concept_id=concept.id),
        overview_url=url_for("concepts.overview", concept_id=concept.id),
        challenge_url=url_for("challenges.detail", slug=concept.challenge.slug)), status


def _act(concept: Concept, action: Any) -> Any:
    """Run a button's action: CSRF already checked by the app; refuse with the service's status."""
    if not TeamActionForm().validate_on_submit():
        abort(400)
    try:
        message = action()
    except ConceptError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_team(concept, status=http_status(exc))
    db.session.commit()
    if message:
        flash(message, "success")
    return redirect(url_for("concepts.team", concept_id=concept.id))


@login_required
def team(concept_id: int) -> Any:
    return _render_team(team_concept(concept_id))


@limiter.limit(_invite_limit, key_func=_user_key, methods=["POST"])
@login_required
def invite(concept_id: int) -> Any:
    concept = team_concept(concept_id)
    _require_lead(concept)
    form = TeamInviteForm()
    if not form.validate_on_submit():
        return _render_team(concept, invite_form=form, status=400)
    try:
        teams.invite_team_member(concept=concept, by=current_user, email=form.email.data, now=clock.now())
    except ConceptError as exc:
        db.session.rollback()
        flash_refusal(form, exc, "email")
        return _render_team(concept, invite_form=form, status=http_status(exc))
    db.session.commit()
    flash(_("An invitation has been sent to %(email)s.", email=form.email.data), "success")
    return redirect(url_for("concepts.team", concept_id=concept.id))


@login_required
def revoke_invitation(concept_id: int, invitation_id: int) -> Any:
    concept = team_concept(concept_id)
    _require_lead(concept)
    invitation = db.session.get(TeamInvitation, invitation_id)
    if invitation is None or invitation.concept_id != concept.id:
        abort(404)
    email = invitation.email

    def act() -> str:
        teams.revoke_team_invitation(invitation=invitation, by=current_user, now=clock.now())
        return _("The invitation to %(email)s has been withdrawn.", email=email)
    return _act(concept, act)


def _load_member(concept: Concept, member_id: int) -> ConceptMember:
    member = db.session.get(ConceptMember, member_id)
    if member is None or member.concept_id != concept.id:
        abort(404)
    return member


@login_required
def remove_member(concept_id: int, member_id: int) -> Any:
    concept = team_concept(concept_id)
    _require_lead(concept)
    member = _load_member(concept, member_id)
    name = member.user.display_name

    def act() -> str:
        teams.remove_team_member(concept=concept, member=member, by=current_user, now=clock.now())
        return _("%(name)s is no longer on the team.", name=name)
    return _act(concept, act)


@login_required
def make_lead(concept_id: int, member_id: int) -> Any:
    concept = team_concept(concept_id)
    _require_lead(concept)
    member = _load_member(concept, member_id)
    name = member.user.display_name

    def act() -> str:
        teams.make_team_lead(concept=concept, member=member, by=current_user, now=clock.now())
        return _("%(name)s now leads the team.", name=name)
    return _act(concept, act)


@login_required
def leave(concept_id: int) -> Any:
    concept = team_concept(concept_id)
    if not TeamActionForm().validate_on_submit():
        abort(400)
    try:
        teams.leave_team(concept=concept, user=current_user, now=clock.now())
    except ConceptError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_team(concept, status=http_status(exc))
    db.session.commit()
    flash(_("You have left the team. You no longer have access to its concept."), "success")
    return redirect(url_for("concepts.mine"))


@login_required
def team_name(concept_id: int) -> Any:
    concept = team_concept(concept_id)
    _require_lead(concept)
    form = TeamNameForm()
    if not form.validate_on_submit():
        return _render_team(concept, name_form=form, status=400)
    try:
        changed = teams.rename_team(concept=concept, by=current_user, team_name=form.team_name.data,
                                    now=clock.now())
    except ConceptError as exc:
        db.session.rollback()
        flash_refusal(form, exc, "team_name")
        return _render_team(concept, name_form=form, status=http_status(exc))
    db.session.commit()
    if changed:
        flash(_("The team name has been saved."), "success")
    return redirect(url_for("concepts.team", concept_id=concept.id))


@login_required
def name_consent(concept_id: int) -> Any:
    concept = team_concept(concept_id)
    form = NameConsentForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = teams.set_name_consent(concept=concept, user=current_user, show=form.show_name_publicly.data)
    except ConceptError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_team(concept, status=http_status(exc))
    db.session.commit()
    if changed:
        if form.show_name_publicly.data:
            flash(_("Your name will be shown if this concept is published."), "success")
        else:
            flash(_("Your name will not be shown if this concept is published."), "success")
    return redirect(url_for("concepts.team", concept_id=concept.id))


# ---------------------------------------------------------------- invitation links from email
def _load_invitation(token: str) -> TeamInvitation:
    g.private_response = True  # reached through a secret link: never cached
    invitation = teams.find_team_invitation(token)
    if invitation is None:
        abort(404)
    return invitation


def _blocker(invitation: TeamInvitation) -> str | None:
    """What would stop the logged-in invitee from joining now, said before they press Accept."""
    concept, now = invitation.concept, clock.now()
    if not concept.is_writable(now, grace_seconds()):
        return _("The deadline for this concept has passed, so the team takes no new members.")
    challenge = concept.challenge
    problem = eligibility_problem(current_user, challenge) or slot_problem(
        current_user, challenge, exclude_concept_id=concept.id)
    if problem:
        return problem
    if len(concept.members) >= max_team_size(challenge):
        return _("The team is already full. Ask the team lead to make room.")
    return None


def _render_invitation(invitation: TeamInvitation, token: str, *, error: str | None = None,
                       problem: str | None = None, status: int = 200) -> Any:
    concept = invitation.concept
    wrong_account = current_user.is_authenticated and not teams.is_invitee(invitation, current_user)
    unverified = current_user.is_authenticated and not wrong_account and not current_user.is_verified
    blocker = None
    if current_user.is_authenticated and not (wrong_account or unverified or problem or error):
        blocker = _blocker(invitation)
    if wrong_account and status == 200:
        status = 403
    inviter_name = queries.inviter_name(invitation)
    return render_template(
        "concepts/team_invitation.html", invitation=invitation, concept=concept, challenge=concept.challenge,
        token=token, form=TeamActionForm(), wrong_account=wrong_account, unverified=unverified,
        blocker=blocker, error=error, problem=problem, inviter_name=inviter_name,
        team_label=concept.team_name or "", next_path=request.path), status


def _member_redirect(invitation: TeamInvitation) -> Any | None:
    """The invitee who already joined through this link lands on the team page instead of an error."""
    if current_user.is_authenticated and invitation.accepted_by_id == current_user.id \
            and invitation.concept.has_member(current_user):
        flash(_("You are already on this team."), "info")
        return redirect(url_for("concepts.team", concept_id=invitation.concept_id))
    return None


def team_invitation(token: str) -> Any:
    invitation = _load_invitation(token)
    problem = teams.invitation_problem(invitation, clock.now())
    if problem:
        return _member_redirect(invitation) or _render_invitation(invitation, token, problem=problem, status=410)
    return _render_invitation(invitation, token)


def _answer(token: str, action: Any, done: Any) -> Any:
    invitation = _load_invitation(token)
    if not TeamActionForm().validate_on_submit():
        abort(400)
    try:
        result = action(invitation)
    except ConceptError as exc:
        db.session.rollback()
        if teams.invitation_problem(invitation, clock.now()):
            return _member_redirect(invitation) or _render_invitation(invitation, token, problem=str(exc),
                                                                      status=http_status(exc))
        return _render_invitation(invitation, token, error=str(exc), status=http_status(exc))
    db.session.commit()
    return done(invitation, result)


@login_required
def accept_team_invitation(token: str) -> Any:
    def act(invitation: TeamInvitation) -> bool:
        # Only the token decides which team and role: nothing else in the form is read (S20).
        _member, created = teams.accept_team_invitation(invitation=invitation, user=current_user,
                                                        now=clock.now())
        return created

    def done(invitation: TeamInvitation, created: bool) -> Any:
        if created:
            flash(_("You have joined the team. Welcome!"), "success")
        else:
            flash(_("You are already on this team."), "info")
        return redirect(url_for("concepts.team", concept_id=invitation.concept_id))
    return _answer(token, act, done)


@login_required
def decline_team_invitation(token: str) -> Any:
    def act(invitation: TeamInvitation) -> None:
        teams.decline_team_invitation(invitation=invitation, user=current_user, now=clock.now())

    def done(invitation: TeamInvitation, _result: None) -> Any:
        flash(_("You have declined the invitation."), "info")
        return redirect(url_for("pages.home"))
    return _answer(token, act, done)
