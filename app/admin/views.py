"""Platform admin: review organisation applications, find and manage users, read the audit log."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_login import current_user

from app.accounts.decorators import admin_required
from app.accounts.models import User
from app.challenges.models import CHALLENGE_STATE_LABELS, ChallengeState
from app.core.audit import AuditEvent
from app.core.pagination import page_args, paginate
from app.core.timeutil import clock
from app.db import db
from app.errors import DomainError
from app.i18n import _, _n
from app.organisations import services as org_services
from app.organisations.models import (
    COUNTRY_LABELS,
    ORGANISATION_KIND_LABELS,
    ORGANISATION_STATUS_LABELS,
    ROLE_LABELS,
    Organisation,
)

from . import queries, services
from .forms import ActionForm, AuditFilterForm, RejectForm
from .labels import (
    ACTION_LABELS,
    OBJECT_TYPE_LABELS,
    action_label,
    detail_label,
    object_type_label,
    reference_kind,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 25
QUERY_MAX = 100
STATUS_FILTERS = ("pending", "approved", "rejected", "all")


@bp.before_request
def _private() -> None:
    g.private_response = True  # admin pages are never cached (S27)


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"KIND_LABELS": ORGANISATION_KIND_LABELS, "COUNTRY_LABELS": COUNTRY_LABELS,
            "STATUS_LABELS": ORGANISATION_STATUS_LABELS, "ROLE_LABELS": ROLE_LABELS,
            # The outbox page belongs to the mail feature, below this one.
            "outbox_endpoint": "mail.outbox_admin",
            "action_label": action_label, "object_type_label": object_type_label, "detail_label": detail_label,
            "reference_kind": reference_kind}


@bp.route("/")
@admin_required
def index() -> Any:
    # "This month" is the viewer's month, as every time on the page is in the viewer's zone.
    now = clock.now().astimezone(get_timezone())
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    data = queries.overview(month_start=month_start.astimezone(UTC))
    return render_template("admin/index.html", data=data, month=month_start,
                           challenge_states=list(ChallengeState), state_labels=CHALLENGE_STATE_LABELS)


# ---------------------------------------------------------------- organisation applications
@bp.route("/organisations")
@admin_required
def organisations() -> Any:
    status = request.args.get("status", "pending") or "pending"
    if status not in STATUS_FILTERS:
        abort(400)
    pagination = paginate(queries.organisations(status), per_page=PER_PAGE)
    return render_template("admin/organisations.html", pagination=pagination, status=status,
                           statuses=STATUS_FILTERS, page_args=page_args())


def _render_organisation(organisation: Organisation, reject_form: RejectForm | None = None,
                         status: int = 200) -> Any:
    owners = [m for m in organisation.memberships if m.role == "owner"]
    applicant = db.session.get(User, organisation.created_by_id) if organisation.created_by_id else None
    return render_template("admin/organisation_detail.html", organisation=organisation, owners=owners,
                           applicant=applicant, reject_form=reject_form or RejectForm(formdata=None),
                           action_form=ActionForm()), status


@bp.route("/organisations/<int:org_id>")
@admin_required
def organisation_detail(org_id: int) -> Any:
    return _render_organisation(db.get_or_404(Organisation, org_id))


@bp.route("/organisations/<int:org_id>/approve", methods=["POST"])
@admin_required
def approve(org_id: int) -> Any:
    organisation = db.get_or_404(Organisation, org_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        org_services.approve_organisation(organisation=organisation, by=current_user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_organisation(organisation, status=409)
    db.session.commit()
    flash(_("%(name)s has been approved and the applicant has been told.", name=organisation.name), "success")
    return redirect(url_for(".organisations"))


@bp.route("/organisations/<int:org_id>/reject", methods=["POST"])
@admin_required
def reject(org_id: int) -> Any:
    organisation = db.get_or_404(Organisation, org_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _render_organisation(organisation, form, 400)
    try:
        org_services.reject_organisation(organisation=organisation, by=current_user, reason=form.reason.data,
                                         now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        if exc.field == "reason":
            form.reason.errors = [*form.reason.errors, str(exc)]
            return _render_organisation(organisation, form, 400)
        flash(str(exc), "error")
        return _render_organisation(organisation, status=409)
    db.session.commit()
    flash(_("%(name)s has been rejected and the applicant has been told why.", name=organisation.name), "success")
    return redirect(url_for(".organisations"))


# ---------------------------------------------------------------- users
@bp.route("/users")
@admin_required
def users() -> Any:
    q = (request.args.get("q") or "").strip()
    if len(q) > QUERY_MAX:
        abort(400)
    pagination = paginate(queries.users(q), per_page=PER_PAGE)
    return render_template("admin/users.html", pagination=pagination, q=q, query_max=QUERY_MAX,
                           page_args=page_args())


def _render_user(user: User, status: int = 200) -> Any:
    record = queries.user_record(user)
    return render_template("admin/user_detail.html", user=user, memberships=record.memberships, events=record.events,
                           action_form=ActionForm()), status


@bp.route("/users/<int:user_id>")
@admin_required
def user_detail(user_id: int) -> Any:
    return _render_user(db.get_or_404(User, user_id))


def _user_action(user_id: int, action: Callable[..., None], message: Callable[[str], str]) -> Any:
    user = db.get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action(user=user, by=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_user(user, status=400)
    db.session.commit()
    flash(message(user.display_name), "success")
    return redirect(url_for(".user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/suspend", methods=["POST"])
@admin_required
def suspend_user(user_id: int) -> Any:
    return _user_action(user_id, services.suspend_user,
                        lambda name: _("%(name)s has been suspended and logged out everywhere.", name=name))


@bp.route("/users/<int:user_id>/unsuspend", methods=["POST"])
@admin_required
def unsuspend_user(user_id: int) -> Any:
    return _user_action(user_id, services.unsuspend_user, lambda name: _("The suspension of %(name)s has been lifted.", name=name))


@bp.route("/users/<int:user_id>/grant-admin", methods=["POST"])
@admin_required
def grant_admin(user_id: int) -> Any:
    return _user_action(user_id, services.grant_admin, lambda name: _("%(name)s is now an administrator.", name=name))


@bp.route("/users/<int:user_id>/revoke-admin", methods=["POST"])
@admin_required
def revoke_admin(user_id: int) -> Any:
    return _user_action(user_id, services.revoke_admin, lambda name: _("%(name)s is no longer an administrator.", name=name))


# ---------------------------------------------------------------- audit log
AUDIT_PER_PAGE = 50
_PAGE_RE = re.compile(r"^[0-9]{1,6}$")


def _day_start(day: date) -> datetime:
    """The first moment of `day` in the viewer's time zone, in UTC (the log's dates are the viewer's)."""
    return datetime.combine(day, time.min, tzinfo=get_timezone()).astimezone(UTC)


def _audit_filters(form: AuditFilterForm) -> queries.AuditFilters:
    return queries.AuditFilters(
        actor_id=form.actor_user.id if form.actor_user is not None else None,
        action=form.action.data or None, object_type=form.object_type.data or None,
        object_id=form.object_id.data,
        since=_day_start(form.date_from.data) if form.date_from.data else None,
        before=_day_start(form.date_to.data + timedelta(days=1)) if form.date_to.data else None)


def _choices(present: list[str], requested: str, labels: dict[str, Any],
             label: Callable[[str], str]) -> list[tuple[str, str]]:
    """Filter choices: the codes in the log, plus a known code asked for by URL (its list is just empty)."""
    codes = set(present) | ({requested} if requested in labels else set())
    return sorted(((code, label(code)) for code in codes), key=lambda choice: choice[1].casefold())


@bp.route("/audit")
@admin_required
def audit() -> Any:
    form = AuditFilterForm(
        formdata=request.args,
        actions=_choices(queries.audit_values(AuditEvent.action), request.args.get("action", ""),
                         ACTION_LABELS, action_label),
        object_types=_choices(queries.audit_values(AuditEvent.object_type), request.args.get("object_type", ""),
                              OBJECT_TYPE_LABELS, object_type_label))
    context: dict[str, Any] = {"form": form, "pagination": None, "names": {}, "page_args": page_args(),
                               "page_error": None}
    raw_page = request.args.get("page", "")
    # Filters come from allowlists or must name a real account (S31): anything else is a 400 with
    # the message at its field and everything else the admin typed kept.
    if not form.validate():
        return render_template("admin/audit.html", **context), 400
    if raw_page and (not _PAGE_RE.match(raw_page) or int(raw_page) < 1):
        context["page_error"] = _("The page number must be a whole number from 1 upwards.")
        return render_template("admin/audit.html", **context), 400
    page = int(raw_page or 1)
    pagination = db.paginate(queries.audit_events(_audit_filters(form)), page=page, per_page=AUDIT_PER_PAGE,
                             error_out=False, count=True)
    if page > 1 and page > pagination.pages:
        context["page_error"] = _n("There is no page %(page)d: this list has only %(num)d page.",
                                   "There is no page %(page)d: this list has only %(num)d pages.",
                                   max(pagination.pages, 1), page=page)
        return render_template("admin/audit.html", **context), 400
    context.update(pagination=pagination, names=queries.audit_names(list(pagination.items)))
    return render_template("admin/audit.html", **context)
