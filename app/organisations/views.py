"""Organisations: apply, public list and page, logo, profile edits, members and invitations."""
from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from app.accounts.decorators import verified_required
from app.core.downloads import send_stored_image
from app.core.pagecache import public_page
from app.core.pagination import page_args, paginate
from app.core.timeutil import clock
from app.core.uploads import UploadError, store_image
from app.core.web import flash_refusal, render_error
from app.db import db
from app.errors import DomainError
from app.extensions import client_ip, limiter
from app.i18n import _

from . import permissions as perms
from . import queries, services, signals
from .forms import ActionForm, InviteForm, OrganisationEditForm, OrganisationForm, RoleForm
from .models import (
    COUNTRY_LABELS,
    ORGANISATION_KIND_LABELS,
    ORGANISATION_STATUS_LABELS,
    ROLE_LABELS,
    Country,
    Invitation,
    Membership,
    Organisation,
    OrganisationKind,
)

# No url_prefix: invitations live at /invitations/<token>, next to /organisations/...
bp = Blueprint("organisations", __name__)

PER_PAGE = 20
# Room for the text fields of a multipart form next to the logo itself.
FORM_OVERHEAD = 256 * 1024
UPLOAD_ENDPOINTS = frozenset({"organisations.apply", "organisations.edit"})
# Invitations email any address with text an owner chose (organisation and display name): cap them
# per owner so a freshly registered organisation cannot be used to send mail in bulk.
DEFAULT_INVITE_LIMIT = "40 per day"


def _invite_limit() -> str:
    return str(current_app.config.get("INVITE_LIMIT_PER_USER", DEFAULT_INVITE_LIMIT))


def _user_key() -> str:
    return f"invite:user:{current_user.id}" if current_user.is_authenticated else f"invite:ip:{client_ip()}"


@bp.url_value_preprocessor
def _limit_uploads(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # Runs before any before_request handler (CSRF reads the form there), so the body of an
    # upload form is capped at the logo limit: a larger request gets the app's 413 page (S34).
    if endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        request.max_content_length = current_app.config["LOGO_MAX_BYTES"] + FORM_OVERHEAD


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"KIND_LABELS": ORGANISATION_KIND_LABELS, "COUNTRY_LABELS": COUNTRY_LABELS,
            "STATUS_LABELS": ORGANISATION_STATUS_LABELS, "ROLE_LABELS": ROLE_LABELS, "org_perms": perms}


def logo_url(organisation: Organisation) -> str | None:
    """The logo's address, versioned by content so it can be cached for a long time."""
    if not organisation.logo_hash:
        return None
    return url_for("organisations.logo", slug=organisation.slug, v=organisation.logo_hash[:16])


def _load(slug: str) -> Organisation:
    """The organisation, or 404 when it does not exist or the user may not know it does."""
    organisation = queries.organisation_by_slug(slug)
    if organisation is None or not perms.can_view_organisation(current_user, organisation):
        abort(404)
    if not organisation.is_approved:
        g.private_response = True
    return organisation


def _load_for_members(slug: str) -> Organisation:
    organisation = _load(slug)
    if not perms.can_view_members(current_user, organisation):
        abort(404)
    return organisation


def _require_manager(organisation: Organisation) -> None:
    if not perms.can_manage_members(current_user, organisation):
        abort(403)


def _choice_arg(name: str, allowed: set[str]) -> str | None:
    """A filter value from the query string: absent/empty -> None; not on the allowlist -> 400 (S31)."""
    value = request.args.get(name, "")
    if value == "":
        return None
    if value not in allowed:
        abort(400)
    return value


def _store_logo(form: OrganisationForm) -> str | None:
    upload = form.logo.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    try:
        return store_image(upload, max_bytes=current_app.config["LOGO_MAX_BYTES"],
                           upload_dir=current_app.config["UPLOAD_DIR"])
    except UploadError as exc:
        exc.field = "logo"
        raise


def _profile_fields(form: OrganisationForm) -> dict[str, Any]:
    return {"name": form.name.data, "kind": form.kind.data, "country": form.country.data,
            "website": form.website.data, "description": form.description.data,
            "contact_email": form.contact_email.data, "timezone": form.timezone.data}


# ---------------------------------------------------------------- public pages
@bp.route("/organisations/")
@public_page
def index() -> Any:
    kind = _choice_arg("kind", {k.value for k in OrganisationKind})
    country = _choice_arg("country", {c.value for c in Country})
    pagination = paginate(queries.approved_organisations(kind=kind, country=country), per_page=PER_PAGE)
    return render_template("organisations/index.html", pagination=pagination, kind=kind, country=country,
                           page_args=page_args())


@bp.route("/organisations/mine")
@login_required
def mine() -> Any:
    return render_template("organisations/mine.html", memberships=queries.memberships_of(current_user.id))


@bp.route("/organisations/new", methods=["GET", "POST"])
@verified_required
def apply() -> Any:
    form = OrganisationForm()
    status = 200
    if form.validate_on_submit():
        try:
            logo_hash = _store_logo(form)
            organisation = services.apply_for_organisation(
                applicant=current_user, **_profile_fields(form), logo_hash=logo_hash, now=clock.now())
        except DomainError as exc:
            db.session.rollback()
            status = flash_refusal(form, exc)
        else:
            db.session.commit()
            flash(_("Thank you. Your application has been sent: an administrator will review it, and we "
                    "will email you when it has been decided."), "success")
            return redirect(url_for(".detail", slug=organisation.slug))
    elif form.errors:
        status = 400
    return render_template("organisations/apply.html", form=form), status


@bp.route("/organisations/<slug>")
@public_page
def detail(slug: str) -> Any:
    organisation = _load(slug)
    # Features above this one add to the page (challenges: the organisation's challenges, following).
    extra: dict[str, Any] = {}
    for _receiver, context in signals.page_requested.send(organisation, viewer=current_user):
        extra.update(context)
    return render_template("organisations/detail.html", organisation=organisation, **extra)


@bp.route("/organisations/<slug>/logo")
def logo(slug: str) -> Any:
    organisation = _load(slug)
    if not organisation.logo_hash:
        abort(404)
    # A pending organisation's logo is private: never kept by a shared cache.
    return send_stored_image(organisation.logo_hash, public=organisation.is_approved, version=request.args.get("v"))


@bp.route("/organisations/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str) -> Any:
    organisation = _load(slug)
    if not perms.can_edit_organisation(current_user, organisation):
        abort(403)
    form = OrganisationEditForm(obj=organisation, current_timezone=organisation.timezone)
    status = 200
    if form.validate_on_submit():
        try:
            logo_hash = _store_logo(form)
            services.update_organisation(organisation=organisation, by=current_user, **_profile_fields(form),
                                         logo_hash=logo_hash, remove_logo=form.remove_logo.data)
        except DomainError as exc:
            db.session.rollback()
            status = flash_refusal(form, exc)
        else:
            db.session.commit()
            flash(_("The profile has been saved."), "success")
            return redirect(url_for(".detail", slug=organisation.slug))
    elif form.errors:
        status = 400
    return render_template("organisations/edit.html", organisation=organisation, form=form), status


# ---------------------------------------------------------------- members
def _render_members(organisation: Organisation, invite_form: InviteForm | None = None, status: int = 200) -> Any:
    now = clock.now()
    memberships = sorted(organisation.memberships,
                         key=lambda m: (m.role != "owner", (m.user.display_name or "").lower(), m.id))
    invitations = sorted((i for i in organisation.invitations if i.is_usable(now)), key=lambda i: i.created_at)
    return render_template("organisations/members.html", organisation=organisation, memberships=memberships,
                           invitations=invitations, invite_form=invite_form or InviteForm(formdata=None),
                           action_form=ActionForm(), role_form=RoleForm(formdata=None),
                           can_manage=perms.can_manage_members(current_user, organisation)), status


@bp.route("/organisations/<slug>/members")
@login_required
def members(slug: str) -> Any:
    organisation = _load_for_members(slug)
    return _render_members(organisation)


@bp.route("/organisations/<slug>/members/invite", methods=["POST"])
@limiter.limit(_invite_limit, key_func=_user_key, methods=["POST"])
@login_required
def invite(slug: str) -> Any:
    organisation = _load_for_members(slug)
    _require_manager(organisation)
    form = InviteForm()
    if not form.validate_on_submit():
        return _render_members(organisation, form, 400)
    try:
        services.invite_member(organisation=organisation, by=current_user, email=form.email.data,
                               role=form.role.data, now=clock.now(), ttl=current_app.config["INVITATION_TTL"])
    except DomainError as exc:
        db.session.rollback()
        status = flash_refusal(form, exc, "email")
        return _render_members(organisation, form, status)
    db.session.commit()
    flash(_("An invitation has been sent to %(email)s.", email=form.email.data), "success")
    return redirect(url_for(".members", slug=organisation.slug))


def _load_membership(organisation: Organisation, membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != organisation.id:
        abort(404)
    return membership


def _after_member_action(organisation: Organisation, action: Any) -> Any:
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        message = action()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_members(organisation, status=400)
    db.session.commit()
    if message:
        flash(message, "success")
    return redirect(url_for(".members", slug=organisation.slug))


@bp.route("/organisations/<slug>/members/<int:membership_id>/role", methods=["POST"])
@login_required
def change_role(slug: str, membership_id: int) -> Any:
    organisation = _load_for_members(slug)
    _require_manager(organisation)
    membership = _load_membership(organisation, membership_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Please choose one of the listed roles."), "error")
        return _render_members(organisation, status=400)

    def act() -> str | None:
        changed = services.change_member_role(membership=membership, role=form.role.data, by=current_user)
        return _("%(name)s is now %(role)s.", name=membership.user.display_name,
                 role=ROLE_LABELS[membership.role]) if changed else None
    return _after_member_action(organisation, act)


@bp.route("/organisations/<slug>/members/<int:membership_id>/remove", methods=["POST"])
@login_required
def remove(slug: str, membership_id: int) -> Any:
    organisation = _load_for_members(slug)
    _require_manager(organisation)
    membership = _load_membership(organisation, membership_id)
    name, removed_self = membership.user.display_name, membership.user_id == current_user.id

    def act() -> str:
        services.remove_member(membership=membership, by=current_user)
        return _("%(name)s is no longer a member.", name=name)
    response = _after_member_action(organisation, act)
    if removed_self and not isinstance(response, tuple):
        # Owners who remove themselves can no longer see the members page.
        return redirect(url_for(".mine"))
    return response


@bp.route("/organisations/<slug>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@login_required
def revoke(slug: str, invitation_id: int) -> Any:
    organisation = _load_for_members(slug)
    _require_manager(organisation)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.organisation_id != organisation.id:
        abort(404)

    def act() -> str:
        services.revoke_invitation(invitation=invitation, by=current_user, now=clock.now())
        return _("The invitation to %(email)s has been withdrawn.", email=invitation.email)
    return _after_member_action(organisation, act)


# ---------------------------------------------------------------- invitations (token links from email)
def _load_invitation(token: str) -> Invitation:
    g.private_response = True  # the page is reached through a secret link: never cache it
    invitation = services.find_invitation(token)
    if invitation is None:
        abort(404)
    return invitation


def _already_member_redirect(invitation: Invitation) -> Any | None:
    organisation = invitation.organisation
    if current_user.is_authenticated and perms.is_member(current_user, organisation) \
            and invitation.accepted_at is not None:
        flash(_("You are already a member of %(name)s.", name=organisation.name), "info")
        return redirect(url_for(".detail", slug=organisation.slug))
    return None


def _render_invitation(invitation: Invitation, token: str, error: str | None = None, status: int = 200) -> Any:
    wrong_account = current_user.is_authenticated and \
        current_user.email.strip().lower() != invitation.email.strip().lower()
    return render_template("organisations/invitation.html", invitation=invitation,
                           organisation=invitation.organisation, token=token, form=ActionForm(),
                           wrong_account=wrong_account, error=error,
                           role_label=ROLE_LABELS[invitation.role]), status


@bp.route("/invitations/<token>")
def invitation(token: str) -> Any:
    invitation = _load_invitation(token)
    problem = services.invitation_problem(invitation, clock.now())
    if problem:
        return _already_member_redirect(invitation) or render_error(400, problem)
    return _render_invitation(invitation, token)


@bp.route("/invitations/<token>/accept", methods=["POST"])
@login_required
def accept_invitation(token: str) -> Any:
    invitation = _load_invitation(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    organisation = invitation.organisation
    try:
        membership, created = services.accept_invitation(invitation=invitation, user=current_user,
                                                          now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        if services.invitation_problem(invitation, clock.now()):
            return render_error(400, str(exc))
        return _render_invitation(invitation, token, error=str(exc), status=400)
    db.session.commit()
    if created:
        flash(_("You have joined %(name)s. Your role: %(role)s.", name=organisation.name,
                role=ROLE_LABELS[membership.role]), "success")
    else:
        flash(_("You are already a member of %(name)s.", name=organisation.name), "info")
    return redirect(url_for(".detail", slug=organisation.slug))


@bp.route("/invitations/<token>/decline", methods=["POST"])
@login_required
def decline_invitation(token: str) -> Any:
    invitation = _load_invitation(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.decline_invitation(invitation=invitation, user=current_user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        if services.invitation_problem(invitation, clock.now()):
            return render_error(400, str(exc))
        return _render_invitation(invitation, token, error=str(exc), status=400)
    db.session.commit()
    flash(_("You have declined the invitation to %(name)s.", name=invitation.organisation.name), "info")
    return redirect(url_for("pages.home"))
