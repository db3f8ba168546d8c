"""Public challenge pages: the filtered list, the challenge page, its cover image, follow and unfollow.

Also the template helpers every challenge template uses (the state at the clock's now, times in the
viewer's and the organiser's time zones, the countdown), registered app-wide so the home page and
the organisation page can show challenge cards too.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_date, format_time, get_datetime_format, get_timezone_name
from babel.lists import format_list
from babel.numbers import format_percent
from babel.units import format_unit
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.accounts.decorators import verified_required
from app.core.pagination import page_args
from app.core.timeutil import as_utc, clock, zone
from app.core.uploads import STORED_MIMETYPE, image_path
from app.core.web import render_error
from app.db import db
from app.i18n import _, _l, _n
from app.organisations.models import Organisation

from . import follows, queries
from .lifecycle import effective_state
from .models import (
    CHALLENGE_STATE_LABELS,
    CONCEPT_PUBLICATION_LABELS,
    ELIGIBILITY_LABELS,
    LICENCE_SHORT,
    QUESTION_STATUS_LABELS,
    SDG_LABELS,
    Challenge,
    ChallengeState,
)
from .permissions import can_view_challenge, is_staff_of_challenge
from .public_forms import ChallengeFilterForm
from .views import bp

PER_PAGE = 20
MAX_PAGE_DIGITS = 6
COVER_CACHE_SECONDS = 365 * 24 * 3600

# Display names for the fields a change log entry may mention; unknown keys are shown as they are.
CHANGE_FIELD_LABELS = {
    "title": _l("Title"),
    "summary": _l("Summary"),
    "problem_md": _l("Problem statement"),
    "background_md": _l("Background"),
    "language": _l("Language"),
    "prize_minor": _l("Prize money"),
    "prize": _l("Prize money"),
    "currency": _l("Currency"),
    "prize_count": _l("Number of prizes"),
    "prize_split": _l("Prize split"),
    "eligibility": _l("Who may take part"),
    "allow_individuals": _l("Individual entries"),
    "allow_teams": _l("Team entries"),
    "max_team_size": _l("Largest team"),
    "accepted_licences": _l("Licences teams may choose"),
    "concept_publication": _l("What is published after the results"),
    "max_concept_files": _l("Most files per concept"),
    "max_concept_file_mb": _l("Largest file, in megabytes"),
    "allow_multiple_concepts": _l("A person may be on several concepts"),
    "timezone": _l("Time zone"),
    "opens_at": _l("Opens"),
    "deadline_at": _l("Deadline"),
    "judging_ends_at": _l("Judging ends"),
    "results_at": _l("Results announced"),
    "rubric": _l("Judging criteria"),
    "criteria": _l("Judging criteria"),
}


# ---------------------------------------------------------------- template helpers
def _locale() -> Any:
    return get_locale() or "en"


@bp.app_template_global()
def challenge_state(challenge: Challenge) -> ChallengeState:
    """The effective state at the clock's now, computed on read (no write: S24)."""
    return effective_state(challenge, clock.now())


@bp.app_template_global()
def challenge_state_label(state: Any) -> str:
    return str(CHALLENGE_STATE_LABELS.get(ChallengeState(state), state))


@bp.app_template_global()
def percent(value: int | float) -> str:
    """A whole percentage (60 -> "60 %" in Danish, "60%" in English)."""
    return format_percent(value / 100, locale=_locale())


@bp.app_template_global()
def format_moment(value: datetime | None, tzname: str | None = None) -> str:
    """Weekday, date and time (no seconds) in `tzname`, or in the viewer's time zone."""
    if value is None:
        return ""
    tz = zone(tzname) if tzname else get_timezone()
    local = as_utc(value).astimezone(tz)
    locale = _locale()
    return (get_datetime_format("long", locale=locale).replace("'", "")
            .replace("{0}", format_time(local, "short", tzinfo=tz, locale=locale))
            .replace("{1}", format_date(local, "full", locale=locale)))


@bp.app_template_global()
def zone_label(value: datetime | None, tzname: str | None = None) -> str:
    """The time zone's name at that moment, in words ("Central European Summer Time")."""
    tz = zone(tzname) if tzname else get_timezone()
    moment = as_utc(value).astimezone(tz) if value is not None else clock.now().astimezone(tz)
    return get_timezone_name(moment, "long", locale=_locale())


@bp.app_template_global()
def other_zone(value: datetime | None, tzname: str) -> bool:
    """Whether the organiser's zone shows `value` differently from the viewer's."""
    if value is None:
        return False
    moment = as_utc(value)
    return moment.astimezone(zone(tzname)).utcoffset() != moment.astimezone(get_timezone()).utcoffset()


@bp.app_template_global()
def sorted_anchors(anchors: dict[str, str] | None) -> list[tuple[str, str]]:
    """Anchor texts by level, in numeric order ("2" before "10")."""
    def key(item: tuple[str, str]) -> tuple[int, str]:
        level = item[0]
        return (int(level), level) if level.lstrip("-").isdigit() else (10**9, level)
    return sorted((anchors or {}).items(), key=key)


@bp.app_template_global()
def iso_utc(value: datetime | None) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else ""


def duration_text(delta: timedelta) -> str:
    """ "3 days, 4 hours" / "5 hours, 12 minutes" / "7 minutes", in the current language."""
    locale = _locale()
    minutes = max(1, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        parts = [(days, "duration-day"), (hours, "duration-hour")]
    elif hours:
        parts = [(hours, "duration-hour"), (mins, "duration-minute")]
    else:
        parts = [(mins, "duration-minute")]
    return format_list([format_unit(n, unit, length="long", locale=locale) for n, unit in parts if n],
                       style="unit", locale=locale)


@dataclass(frozen=True)
class Countdown:
    text: str  # "Closes in 3 days, 4 hours"
    template: str  # the same sentence with {time} in place of the duration, for countdown.js
    target: datetime


@bp.app_template_global()
def countdown(challenge: Challenge) -> Countdown | None:
    """The time left until the challenge opens or closes, rendered on the server."""
    now = clock.now()
    state = effective_state(challenge, now)
    if state is ChallengeState.SCHEDULED and challenge.opens_at is not None:
        target = as_utc(challenge.opens_at)
        return Countdown(_("Opens in %(time)s", time=duration_text(target - now)),
                         _("Opens in %(time)s", time="{time}"), target)
    if state is ChallengeState.OPEN and challenge.deadline_at is not None:
        target = as_utc(challenge.deadline_at)
        return Countdown(_("Closes in %(time)s", time=duration_text(target - now)),
                         _("Closes in %(time)s", time="{time}"), target)
    return None


@bp.app_template_global()
def challenge_public_record(challenge: Challenge) -> queries.PublicRecord:
    """Change log, answered questions and announcements (for _detail_body.html when not given)."""
    if challenge.id is None:
        return queries.PublicRecord([], [], [])
    return queries.public_record(challenge)


@bp.app_template_global()
def has_endpoint(name: str) -> bool:
    return name in current_app.view_functions


@dataclass(frozen=True)
class _Labels:
    state: Any
    eligibility: Any
    sdg: Any
    question_status: Any
    change_fields: Any
    licence: Any = None
    publication: Any = None


LABELS = _Labels(state=CHALLENGE_STATE_LABELS, eligibility=ELIGIBILITY_LABELS, sdg=SDG_LABELS,
                 question_status=QUESTION_STATUS_LABELS, change_fields=CHANGE_FIELD_LABELS,
                 licence=LICENCE_SHORT, publication=CONCEPT_PUBLICATION_LABELS)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    # App-wide, under one name: the home page, the organisation page and the editor's preview
    # render challenge partials outside this module's views.
    return {"challenge_labels": LABELS}


# ---------------------------------------------------------------- loading
def _load(slug: str) -> Challenge:
    """The challenge, or 404 when it does not exist or the user may not know it does (drafts)."""
    challenge = db.session.scalar(select(Challenge).where(Challenge.slug == slug)
                                  .options(joinedload(Challenge.organisation, innerjoin=True)))
    if challenge is None or not can_view_challenge(current_user, challenge):
        abort(404)
    return challenge


def _page_number() -> int | None:
    raw = request.args.get("page", "")
    if raw == "":
        return 1
    if not raw.isdigit() or len(raw) > MAX_PAGE_DIGITS or int(raw) < 1:
        return None
    return int(raw)


def _filters(form: ChallengeFilterForm) -> queries.ChallengeFilters:
    status = form.value("status")
    sdg = form.value("sdg")
    return queries.ChallengeFilters(
        status=ChallengeState(status) if status else None, organisation=form.value("organisation"),
        country=form.value("country"), kind=form.value("kind"), tag=form.value("tag"),
        sdg=int(sdg) if sdg else None, language=form.value("language"), currency=form.value("currency"),
        prize_min=form.prize_min.data, prize_max=form.prize_max.data, sort=form.value("sort") or "closing")


# ---------------------------------------------------------------- the list
@bp.route("/challenges/")
def index() -> Any:
    form = ChallengeFilterForm(formdata=request.args, organisations=queries.filter_organisations(),
                               tags=queries.public_tags())
    page = _page_number()
    if page is None:
        return render_error(400, _("The page number must be a whole number from 1 upwards."))
    if not form.validate():
        # S31: an unknown filter or sort value is a request error, shown at its field; nothing is queried.
        return render_template("challenges/list.html", form=form, pagination=None, filters=None,
                               page_args={}, filtered=True), 400
    filters = _filters(form)
    stmt = queries.public_challenges(filters, now=clock.now())
    pagination = db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False, count=True)
    if page > 1 and page > pagination.pages:
        return render_error(400, _n("There is no page %(page)d: this list has only %(num)d page.",
                                    "There is no page %(page)d: this list has only %(num)d pages.",
                                    max(pagination.pages, 1), page=page))
    return render_template("challenges/list.html", form=form, pagination=pagination, filters=filters,
                           page_args=page_args(), filtered=queries.any_filter(filters))


# ---------------------------------------------------------------- the challenge page
@bp.route("/challenges/<slug>")
def detail(slug: str) -> Any:
    challenge = _load(slug)
    public = queries.is_public(challenge)
    return render_template(
        "challenges/detail.html", challenge=challenge, public=public,
        state=challenge_state(challenge), record=queries.public_record(challenge),
        following=queries.is_following(current_user, challenge=challenge),
        is_staff=is_staff_of_challenge(current_user, challenge),
        canonical_url=current_app.config["BASE_URL"] + url_for(".detail", slug=challenge.slug))


@bp.route("/challenges/<slug>/cover")
def cover(slug: str) -> Any:
    challenge = _load(slug)
    if not challenge.cover_image_hash:
        abort(404)
    try:
        data = image_path(current_app.config["UPLOAD_DIR"], challenge.cover_image_hash).read_bytes()
    except (ValueError, OSError):
        abort(404)
    response = Response(data, mimetype=STORED_MIMETYPE)
    response.headers["Content-Disposition"] = "inline"
    response.set_etag(challenge.cover_image_hash)
    if queries.is_public(challenge):
        response.cache_control.public = True
        if request.args.get("v") == challenge.cover_image_hash[:16]:
            response.cache_control.max_age = COVER_CACHE_SECONDS
            response.cache_control.immutable = True
        else:
            response.cache_control.max_age = 3600
    else:
        response.cache_control.no_store = True  # a draft's cover is for its staff only
    return response.make_conditional(request)


@bp.app_template_global()
def cover_url(challenge: Challenge) -> str | None:
    if not challenge.cover_image_hash:
        return None
    return url_for("challenges.cover", slug=challenge.slug, v=challenge.cover_image_hash[:16])


# ---------------------------------------------------------------- follow
def _commit_follow() -> None:
    try:
        db.session.commit()
    except IntegrityError:
        # Two clicks raced each other: the other one already made the row, which is what was asked.
        db.session.rollback()


@bp.route("/challenges/<slug>/follow", methods=["POST"])
@verified_required
def follow(slug: str) -> Any:
    challenge = _load(slug)
    if not queries.is_public(challenge):
        abort(404)  # nobody follows a draft: there is nothing to be told yet
    follows.follow(user=current_user, challenge=challenge)
    _commit_follow()
    flash(_("You follow this challenge. We will email you about changes, answers and results."), "success")
    return redirect(url_for(".detail", slug=challenge.slug))


@bp.route("/challenges/<slug>/unfollow", methods=["POST"])
@verified_required
def unfollow(slug: str) -> Any:
    challenge = _load(slug)
    follows.unfollow(user=current_user, challenge=challenge)
    db.session.commit()
    flash(_("You no longer follow this challenge."), "success")
    return redirect(url_for(".detail", slug=challenge.slug))


def _load_organisation(slug: str) -> Organisation:
    organisation = queries.approved_organisation(slug)
    if organisation is None:
        abort(404)
    return organisation


@bp.route("/organisations/<slug>/follow", methods=["POST"])
@verified_required
def follow_organisation(slug: str) -> Any:
    organisation = _load_organisation(slug)
    follows.follow(user=current_user, organisation=organisation)
    _commit_follow()
    flash(_("You follow %(name)s. We will email you about its challenges.", name=organisation.name), "success")
    return redirect(url_for("organisations.detail", slug=organisation.slug))


@bp.route("/organisations/<slug>/unfollow", methods=["POST"])
@verified_required
def unfollow_organisation(slug: str) -> Any:
    organisation = _load_organisation(slug)
    follows.unfollow(user=current_user, organisation=organisation)
    db.session.commit()
    flash(_("You no longer follow %(name)s.", name=organisation.name), "success")
    return redirect(url_for("organisations.detail", slug=organisation.slug))
