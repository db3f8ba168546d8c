"""Public challenge pages: the filtered list, the challenge page, its cover image, follow and unfollow.

Also the template helpers every challenge template uses (the state at the clock's now, times in the
viewer's and the organiser's time zones, the countdown), registered app-wide so the home page and
the organisation page can show challenge cards too.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.accounts.decorators import verified_required
from app.challenges import queries, signals
from app.challenges.forms.public import ALL_STATUSES, ChallengeFilterForm
from app.challenges.lifecycle import FINISHED_STATES
from app.challenges.models import CURRENCIES, ChallengeState
from app.challenges.permissions import is_staff_of_challenge
from app.challenges.services import follows
from app.challenges.templating import challenge_state
from app.challenges.views._load import visible_challenge
from app.core import pagecache
from app.core.downloads import send_stored_image
from app.core.money import whole_to_minor
from app.core.pagecache import public_page
from app.core.pagination import known_page, page_args, page_of
from app.core.timeutil import clock
from app.core.web import render_error
from app.db import db
from app.errors import DomainError
from app.i18n import _, _n
from app.i18n_setup import format_money
from app.organisations.models import Organisation

PER_PAGE = 20
MAX_PAGE_DIGITS = 6

# ---------------------------------------------------------------- loading
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
        status=ChallengeState(status) if status and status != ALL_STATUSES else None,
        include_cancelled=status == ALL_STATUSES, organisation=form.value("organisation"),
        country=form.value("country"), kind=form.value("kind"), tag=form.value("tag"),
        sdg=int(sdg) if sdg else None, language=form.value("language"), currency=form.value("currency"),
        prize_min=form.prize_min.data, prize_max=form.prize_max.data, sort=form.value("sort") or "closing",
        rates=current_app.config["PRIZE_EXCHANGE_RATES"])


# ---------------------------------------------------------------- the list
# The filters a chip above the results can remove, in the order of the form (the sort is no filter).
CHIP_FIELDS = ("status", "organisation", "country", "kind", "tag", "sdg", "language", "currency",
               "prize_min", "prize_max")


@dataclass(frozen=True)
class Chip:
    """One chosen filter above the results, with the address of the same list without it."""

    label: str
    value: str
    url: str


def _chips(form: ChallengeFilterForm, args: dict[str, Any], reference: str) -> list[Chip]:
    chips = []
    for name in CHIP_FIELDS:
        if name not in args:
            continue
        field = form[name]
        if name in ("prize_min", "prize_max"):
            currency = form.value("currency") or reference
            value = format_money(whole_to_minor(field.data, currency), currency)
        else:
            value = str(dict(field.choices).get(field.data, field.data))
        chips.append(Chip(str(field.label.text), value,
                          url_for(".index", **{k: v for k, v in args.items() if k != name})))
    return chips


def _rates_note(reference: str) -> str:
    rates = current_app.config["PRIZE_EXCHANGE_RATES"]
    pairs = [f"1 {code} = {format_decimal(Decimal(str(rates[code])))} {reference}"
             for code in CURRENCIES if code != reference and code in rates]
    return _("Prizes in other currencies are converted to %(currency)s at fixed, indicative rates: %(rates)s.",
             currency=reference, rates=", ".join(pairs))


def _list_page(form: ChallengeFilterForm, args: dict[str, Any], *, pagination: Any = None,
               filters: queries.ChallengeFilters | None = None, page_error: str | None = None) -> str:
    reference = current_app.config["PRIZE_REFERENCE_CURRENCY"]
    valid = not form.errors
    # The first page of the same list, without any value that was refused.
    first_page_url = url_for(".index", **{k: v for k, v in args.items() if k not in form.errors})
    return render_template(
        "challenges/list.html", form=form, pagination=pagination, filters=filters, page_args=args,
        load_cards=queries.cards_by_ids,
        filtered=queries.any_filter(filters) if filters else bool(args), page_error=page_error,
        chips=_chips(form, args, reference) if valid else [], first_page_url=first_page_url,
        clear_url=url_for(".index", **{k: v for k, v in args.items() if k == "sort" and v != queries.DEFAULT_SORT}),
        rates_note=_rates_note(reference))


@public_page
def index() -> Any:
    # The choices, the page's ids and the total are the same for every reader until a public
    # change or the clock: kept like public pages, so a signed-in reader's list costs little more.
    organisations, tag_groups = pagecache.cached_value(("challenge-filter-choices",), queries.filter_choices)
    form = ChallengeFilterForm(formdata=request.args, organisations=organisations, tag_groups=tag_groups,
                               reference_currency=current_app.config["PRIZE_REFERENCE_CURRENCY"])
    args = page_args()
    page = _page_number()
    if not form.validate():
        # S31: an unknown filter or sort value is a request error, shown at its field with the other
        # values kept; nothing is queried.
        return _list_page(form, args), 400
    if page is None:
        return _list_page(form, args, page_error=_("The page number must be a whole number from 1 upwards.")), 400
    filters = _filters(form)
    stmt = queries.public_challenges(filters, now=clock.now(), ids_only=True)
    ids, total = pagecache.cached_value(("challenge-list-page", repr(filters), page),
                                        lambda: page_of(stmt, page=page, per_page=PER_PAGE))
    pagination = known_page(page=page, per_page=PER_PAGE, items=ids, total=total)
    if page > 1 and page > pagination.pages:
        return _list_page(form, args, filters=filters, page_error=_n(
            "There is no page %(page)d: this list has only %(num)d page.",
            "There is no page %(page)d: this list has only %(num)d pages.",
            max(pagination.pages, 1), page=page)), 400
    return _list_page(form, args, pagination=pagination, filters=filters)


# ---------------------------------------------------------------- the challenge page
RELATED_LIMIT = 4


def _related(challenge: Any) -> list[Any]:
    # Search answers (more-like-this over the public index); no answer leaves the section out.
    found = [item for _receiver, items in signals.related_requested.send(challenge, limit=RELATED_LIMIT)
             for item in items or ()]
    return found[:RELATED_LIMIT]


@public_page
def detail(slug: str) -> Any:
    challenge = visible_challenge(slug)
    public = queries.is_public(challenge)
    return render_template(
        "challenges/detail.html", challenge=challenge, public=public,
        state=challenge_state(challenge), finished=ChallengeState(challenge.state) in FINISHED_STATES,
        following=queries.is_following(current_user, challenge=challenge),
        is_staff=is_staff_of_challenge(current_user, challenge),
        related=_related(challenge) if public else [],
        canonical_url=current_app.config["BASE_URL"] + url_for(".detail", slug=challenge.slug))


def cover(slug: str) -> Any:
    challenge = visible_challenge(slug)
    if not challenge.cover_image_hash:
        abort(404)
    # A draft's cover is for its staff only: never kept by a shared cache.
    return send_stored_image(challenge.cover_image_hash, public=queries.is_public(challenge),
                             version=request.args.get("v"))


# ---------------------------------------------------------------- follow
def _commit_follow() -> None:
    try:
        db.session.commit()
    except IntegrityError:
        # Two clicks raced each other: the other one already made the row, which is what was asked.
        db.session.rollback()


@verified_required
def follow(slug: str) -> Any:
    challenge = visible_challenge(slug)
    if not queries.is_public(challenge) or challenge.is_imported:
        # Nobody follows a draft (there is nothing to be told yet) or a challenge imported into the
        # archive (it ended elsewhere, before it came here: there is nothing more to be told).
        abort(404)
    try:
        follows.follow(user=current_user, challenge=challenge)
    except DomainError as exc:
        db.session.rollback()
        return render_error(409, str(exc))
    _commit_follow()
    flash(_("You follow this challenge. We will email you about changes, answers and results."), "success")
    return redirect(url_for(".detail", slug=challenge.slug))


@verified_required
def unfollow(slug: str) -> Any:
    challenge = visible_challenge(slug)
    follows.unfollow(user=current_user, challenge=challenge)
    db.session.commit()
    flash(_("You no longer follow this challenge."), "success")
    return redirect(url_for(".detail", slug=challenge.slug))


def _load_organisation(slug: str) -> Organisation:
    organisation = queries.approved_organisation(slug)
    if organisation is None:
        abort(404)
    return organisation


@verified_required
def follow_organisation(slug: str) -> Any:
    organisation = _load_organisation(slug)
    follows.follow(user=current_user, organisation=organisation)
    _commit_follow()
    flash(_("You follow %(name)s. We will email you about its challenges.", name=organisation.name), "success")
    return redirect(url_for("organisations.detail", slug=organisation.slug))


@verified_required
def unfollow_organisation(slug: str) -> Any:
    organisation = _load_organisation(slug)
    follows.unfollow(user=current_user, organisation=organisation)
    db.session.commit()
    flash(_("You no longer follow %(name)s.", name=organisation.name), "success")
    return redirect(url_for("organisations.detail", slug=organisation.slug))
