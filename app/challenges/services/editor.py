"""Challenge editor rules: create, edit, the rubric, publishing, and the public change log.

Services check everything, then change; they never commit (the view does, once). After
publishing, a change to what participants rely on (timeline, prize, who may enter, team rules,
rubric) needs a reason, is written to the public change log with old and new values, audited and
emailed to followers through the outbox, all in the caller's transaction.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_decimal, format_percent
from flask_babel import force_locale, get_locale
from slugify import slugify
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.challenges import lifecycle
from app.challenges.models import (
    CHALLENGE_LANGUAGES,
    CHANGE_FIELD_LABELS,
    CONCEPT_PUBLICATION_LABELS,
    CURRENCIES,
    ELIGIBILITY_LABELS,
    LICENCE_SHORT,
    SDG_LABELS,
    Challenge,
    ChallengeSDG,
    ChallengeState,
    ChangeLogEntry,
    ConceptPublication,
    Criterion,
    Eligibility,
    Licence,
    Tag,
)
from app.core.audit import record_event
from app.core.lix import Readability, lix
from app.core.markdown import plain_text
from app.db import db
from app.errors import DomainError, Problem
from app.i18n import _, _l
from app.i18n_setup import format_money
from app.organisations.models import Organisation

MAX_BRIEF_CHARS = 20_000
MAX_TAGS = 10
MAX_TAG_CHARS = 40
MAX_PRIZE_COUNT = 10
# prize_minor is a 32-bit integer column: 20 million in major units stays well inside it.
MAX_PRIZE_MAJOR = 20_000_000
MAX_TEAM_SIZE = 20
MAX_CRITERIA = 20
MAX_CONCEPT_FILES = 20
MAX_CONCEPT_FILE_MB = 50
SLUG_MAX = 100
S = ChallengeState


class EditMode(enum.StrEnum):
    FULL = "full"            # everything may change (after publishing: with a reason where it matters)
    TEXT_ONLY = "text_only"  # the deadline has passed: the rules, deadline and prize are locked
    READ_ONLY = "read_only"  # cancelled or archived


@dataclass
class ChallengeInput:
    """Everything the editor form may set; nothing else reaches a challenge from a request (S20)."""

    title: str
    summary: str = ""
    problem_md: str = ""
    background_md: str = ""
    language: str = "en"
    tags: list[tuple[str, str]] = field(default_factory=list)  # (slug, name)
    sdgs: list[int] = field(default_factory=list)
    cover_hash: str | None = None       # a newly stored image; None keeps the current one
    cover_alt: str | None = None
    remove_cover: bool = False
    prize_minor: int = 0
    currency: str = "DKK"
    prize_count: int = 1
    prize_split: list[int] = field(default_factory=lambda: [100])
    eligibility: list[str] = field(default_factory=lambda: [Eligibility.ANYONE.value])
    allow_individuals: bool = True
    allow_teams: bool = True
    max_team_size: int = 5
    accepted_licences: list[str] = field(
        default_factory=lambda: [Licence.CC_BY.value, Licence.RESERVED_SUMMARY.value])
    concept_publication: str = ConceptPublication.WINNERS.value
    max_concept_files: int = 5
    max_concept_file_mb: int = 10
    allow_multiple_concepts: bool = False
    is_blind: bool = False
    timezone: str = "Europe/Copenhagen"
    opens_at: datetime | None = None
    deadline_at: datetime | None = None
    judging_ends_at: datetime | None = None
    results_at: datetime | None = None

    @classmethod
    def from_challenge(cls, challenge: Challenge) -> ChallengeInput:
        """The challenge's current values (used for the parts a form does not show)."""
        return cls(
            title=challenge.title, summary=challenge.summary, problem_md=challenge.problem_md,
            background_md=challenge.background_md, language=challenge.language,
            tags=[(t.slug, t.name) for t in challenge.tags], sdgs=list(challenge.sdg_numbers),
            cover_alt=challenge.cover_image_alt, prize_minor=challenge.prize_minor, currency=challenge.currency,
            prize_count=challenge.prize_count, prize_split=list(challenge.prize_split or [100]),
            eligibility=list(challenge.eligibility or []), allow_individuals=challenge.allow_individuals,
            allow_teams=challenge.allow_teams, max_team_size=challenge.max_team_size,
            accepted_licences=list(challenge.accepted_licences or []),
            concept_publication=str(challenge.concept_publication),
            max_concept_files=challenge.max_concept_files, max_concept_file_mb=challenge.max_concept_file_mb,
            allow_multiple_concepts=bool(challenge.allow_multiple_concepts), is_blind=bool(challenge.is_blind),
            timezone=challenge.timezone, opens_at=challenge.opens_at, deadline_at=challenge.deadline_at,
            judging_ends_at=challenge.judging_ends_at, results_at=challenge.results_at)


@dataclass
class CriterionInput:
    id: int | None
    name: str
    description: str
    weight: int
    scale_min: int
    scale_max: int
    anchors: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------- checks shared with the forms
def timeline_errors(*, opens_at: datetime | None = None, deadline_at: datetime | None = None,
                    judging_ends_at: datetime | None = None, results_at: datetime | None = None) -> dict[str, Any]:
    """The order of the timeline, checked on the dates given: {field: message}."""
    errors: dict[str, Any] = {}
    if opens_at and deadline_at and deadline_at <= opens_at:
        errors["deadline_at"] = _l("The submission deadline must be after the opening.")
    if deadline_at and judging_ends_at and judging_ends_at <= deadline_at:
        errors["judging_ends_at"] = _l("Judging must end after the submission deadline.")
    if judging_ends_at and results_at and results_at < judging_ends_at:
        errors["results_at"] = _l("The results can be announced when judging ends or later, not before.")
    return errors


def edit_mode(challenge: Challenge, now: datetime) -> EditMode:
    """How much of the challenge may still change at `now`."""
    state = lifecycle.effective_state(challenge, now)
    if state in (S.CANCELLED, S.ARCHIVED):
        return EditMode.READ_ONLY
    if state in (S.DRAFT, S.SCHEDULED, S.OPEN):
        return EditMode.FULL
    return EditMode.TEXT_ONLY


def rubric_locked(challenge: Challenge, now: datetime) -> bool:
    """Once judging starts (and in results, archived, cancelled) the rubric can no longer change."""
    return lifecycle.effective_state(challenge, now) in (S.JUDGING, S.RESULTS, S.ARCHIVED, S.CANCELLED)


def rubric_needs_reason(challenge: Challenge) -> bool:
    """A published or frozen rubric changes only by a logged amendment with a reason (S21)."""
    return challenge.rubric_frozen_at is not None or challenge.is_published


# ---------------------------------------------------------------- change log values
# What participants rely on: a change to any of these after publishing needs a reason, a public
# change-log entry and an email to followers. Everything else is cosmetic.
_KINDS = {"opens_at": "datetime", "deadline_at": "datetime", "judging_ends_at": "datetime",
          "results_at": "datetime", "prize": "money", "prize_count": "int", "prize_split": "percent_list",
          "eligibility": "eligibility", "allow_individuals": "bool", "allow_teams": "bool",
          "max_team_size": "int", "accepted_licences": "licences", "concept_publication": "publication",
          "max_concept_files": "int", "max_concept_file_mb": "int", "allow_multiple_concepts": "bool",
          "rubric": "rubric"}
MATERIAL_FIELDS = tuple(k for k in _KINDS if k != "rubric")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def material_values(source: Challenge | ChallengeInput) -> dict[str, Any]:
    """The participant-relevant values as JSON-ready raw values, for comparing and logging."""
    if isinstance(source, Challenge):
        prize_minor, split, eligibility = source.prize_minor, list(source.prize_split or []), source.eligibility
    else:
        prize_minor, split, eligibility = source.prize_minor, list(source.prize_split), source.eligibility
    return {
        "opens_at": _iso(source.opens_at), "deadline_at": _iso(source.deadline_at),
        "judging_ends_at": _iso(source.judging_ends_at), "results_at": _iso(source.results_at),
        "prize": {"minor": prize_minor, "currency": source.currency},
        "prize_count": source.prize_count, "prize_split": split,
        "eligibility": sorted(eligibility or []), "allow_individuals": bool(source.allow_individuals),
        "allow_teams": bool(source.allow_teams), "max_team_size": source.max_team_size,
        "accepted_licences": sorted(source.accepted_licences or []),
        "concept_publication": str(source.concept_publication),
        "max_concept_files": source.max_concept_files, "max_concept_file_mb": source.max_concept_file_mb,
        "allow_multiple_concepts": bool(source.allow_multiple_concepts),
    }


def rubric_snapshot(criteria: list[Criterion] | list[CriterionInput]) -> list[dict[str, Any]]:
    return [{"name": c.name, "description": c.description or "", "weight": c.weight, "scale_min": c.scale_min,
             "scale_max": c.scale_max, "anchors": dict(sorted((c.anchors or {}).items()))} for c in criteria]


def display_value(kind: str, raw: Any, tz: str | None = None) -> str:
    """A raw change-log value as text in the current locale (dates in the challenge's zone, named)."""
    if raw is None or raw == []:
        return _("not set")
    locale = str(get_locale() or "en")
    if kind == "datetime":
        zone = ZoneInfo(tz or "UTC")
        local = datetime.fromisoformat(raw).astimezone(zone)
        pattern = str(Locale.parse(locale).datetime_formats["medium"])
        text = pattern.replace("{1}", format_skeleton("yMMMd", local, locale=locale)) \
            .replace("{0}", format_skeleton("Hm", local, locale=locale))
        return f"{text} ({tz or 'UTC'})"
    if kind == "money":
        return format_money(int(raw["minor"]), raw["currency"])
    if kind == "percent_list":
        return ", ".join(format_percent(Decimal(p) / 100, locale=locale) for p in raw)
    if kind == "eligibility":
        labels = {e.value: label for e, label in ELIGIBILITY_LABELS.items()}
        return ", ".join(str(labels.get(v, v)) for v in raw)
    if kind == "licences":
        short = {lic.value: label for lic, label in LICENCE_SHORT.items()}
        return ", ".join(str(short.get(v, v)) for v in raw)
    if kind == "publication":
        labels = {p.value: label for p, label in CONCEPT_PUBLICATION_LABELS.items()}
        return str(labels.get(raw, raw))
    if kind == "bool":
        return _("Yes") if raw else _("No")
    if kind == "int":
        return format_decimal(raw, locale=locale)
    if kind == "rubric":
        return "; ".join(_("%(name)s (%(weight)s, scale %(min)d to %(max)d)", name=c["name"],
                           weight=format_percent(Decimal(c["weight"]) / 100, locale=locale),
                           min=c["scale_min"], max=c["scale_max"]) for c in raw) or _("none")
    return str(raw)


def _change(field_name: str, old: Any, new: Any, tz: str) -> dict[str, Any]:
    kind = _KINDS[field_name]
    return {"label": str(CHANGE_FIELD_LABELS[field_name]), "kind": kind, "tz": tz, "raw_old": old, "raw_new": new,
            "old": display_value(kind, old, tz), "new": display_value(kind, new, tz)}


def _changes_in_language(challenge: Challenge, pairs: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    """The entry's `changes`, with display values and labels in the challenge's own language."""
    with force_locale(challenge.language if challenge.language in CHALLENGE_LANGUAGES else "en"):
        return {name: _change(name, old, new, challenge.timezone) for name, (old, new) in pairs.items()}


def change_rows(entry: ChangeLogEntry) -> list[tuple[str, str, str]]:
    """(label, old, new) for each change of an entry, in the current locale: for pages and emails."""
    rows = []
    for name, change in (entry.changes or {}).items():
        label = str(CHANGE_FIELD_LABELS[name]) if name in CHANGE_FIELD_LABELS else change.get("label", name)
        kind = change.get("kind")
        if kind and "raw_old" in change:
            tz = change.get("tz")
            rows.append((label, display_value(kind, change["raw_old"], tz), display_value(kind, change["raw_new"], tz)))
        else:
            rows.append((label, str(change.get("old", "")), str(change.get("new", ""))))
    return rows


def _notify_change(challenge: Challenge, entry: ChangeLogEntry, by: User) -> int:
    from app.challenges.services.follows import notify_followers
    from app.mail.services import external_url

    return notify_followers(challenge, template="challenges/changed", exclude=by,
                            subject=_l("“%(title)s” has changed", title=challenge.title), entry=entry,
                            describe=change_rows, challenge_url=external_url("challenges.detail", slug=challenge.slug))


# ---------------------------------------------------------------- create and edit
def unique_slug(title: str) -> str:
    """A URL slug for `title` that no challenge uses yet: base, base-2, base-3 ..."""
    base = slugify(title, max_length=SLUG_MAX, word_boundary=True) or "challenge"
    taken = set(db.session.scalars(select(Challenge.slug).where(
        or_(Challenge.slug == base, Challenge.slug.startswith(base + "-", autoescape=True)))))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _check_input(data: ChallengeInput) -> None:
    """The rules a form also checks, enforced here for every caller. Raises DomainError."""
    if not data.title or not data.title.strip():
        raise DomainError(_l("Enter a title."), field="title")
    for name in ("problem_md", "background_md"):
        if len(getattr(data, name) or "") > MAX_BRIEF_CHARS:
            raise DomainError(_l("This text is too long: at most %(max)d characters.", max=MAX_BRIEF_CHARS),
                              field=name)
    if data.language not in CHALLENGE_LANGUAGES:
        raise DomainError(_l("Choose one of the listed languages."), field="language")
    if data.currency not in CURRENCIES:
        raise DomainError(_l("Choose one of the listed currencies: %(list)s.", list=", ".join(CURRENCIES)),
                          field="currency")
    if data.prize_minor < 0:
        raise DomainError(_l("The prize money cannot be negative."), field="prize_amount")
    if not 1 <= data.prize_count <= MAX_PRIZE_COUNT or len(data.prize_split) != data.prize_count \
            or sum(data.prize_split) != 100 or any(p < 1 for p in data.prize_split):
        raise DomainError(_l("Enter one percentage for each prize, adding up to 100."), field="prize_split")
    if not data.eligibility or any(e not in set(Eligibility) for e in data.eligibility):
        raise DomainError(_l("Choose at least one group of people who may enter."), field="eligibility")
    if not (data.allow_individuals or data.allow_teams):
        raise DomainError(_l("Allow individuals, teams or both."), field="allow_individuals")
    if not 1 <= data.max_team_size <= MAX_TEAM_SIZE:
        raise DomainError(_l("Enter a team size from 1 to %(max)d.", max=MAX_TEAM_SIZE), field="max_team_size")
    if not data.accepted_licences or any(v not in set(Licence) for v in data.accepted_licences):
        raise DomainError(_l("Choose at least one licence that teams may use."), field="accepted_licences")
    if data.concept_publication not in set(ConceptPublication):
        raise DomainError(_l("Choose what is published after the results."), field="concept_publication")
    if not 0 <= data.max_concept_files <= MAX_CONCEPT_FILES:
        raise DomainError(_l("Enter a number of files from 0 to %(max)d.", max=MAX_CONCEPT_FILES),
                          field="max_concept_files")
    if not 1 <= data.max_concept_file_mb <= MAX_CONCEPT_FILE_MB:
        raise DomainError(_l("Enter a file size from 1 to %(max)d megabytes.", max=MAX_CONCEPT_FILE_MB),
                          field="max_concept_file_mb")
    if len(data.tags) > MAX_TAGS:
        raise DomainError(_l("Use at most %(max)d tags.", max=MAX_TAGS), field="tags")
    if any(n not in SDG_LABELS for n in data.sdgs):
        raise DomainError(_l("Choose goals from the list."), field="sdgs")
    errors = timeline_errors(opens_at=data.opens_at, deadline_at=data.deadline_at,
                             judging_ends_at=data.judging_ends_at, results_at=data.results_at)
    for name, message in errors.items():
        raise DomainError(message, field=name)


def _tags_for(pairs: list[tuple[str, str]]) -> list[Tag]:
    slugs = [slug for slug, _name in pairs]
    existing = {t.slug: t for t in db.session.scalars(select(Tag).where(Tag.slug.in_(slugs)))} if slugs else {}
    tags = []
    for slug, name in pairs:
        tag = existing.get(slug)
        if tag is None:
            tag = Tag(slug=slug, name=name[:60])
            try:
                # A savepoint: if another editor created the same tag a moment ago, use theirs.
                with db.session.begin_nested():
                    db.session.add(tag)
            except IntegrityError:
                tag = db.session.scalars(select(Tag).where(Tag.slug == slug)).one()
            existing[slug] = tag
        tags.append(tag)
    return tags


def _apply(challenge: Challenge, data: ChallengeInput) -> None:
    for name in ("title", "summary", "problem_md", "background_md", "language", "prize_minor", "currency",
                 "prize_count", "allow_individuals", "allow_teams", "max_team_size", "timezone", "opens_at",
                 "deadline_at", "judging_ends_at", "results_at", "max_concept_files", "max_concept_file_mb",
                 "allow_multiple_concepts", "is_blind"):
        value = getattr(data, name)
        if getattr(challenge, name) != value:
            setattr(challenge, name, value)
    if list(challenge.prize_split or []) != data.prize_split:
        challenge.prize_split = list(data.prize_split)
    if list(challenge.eligibility or []) != data.eligibility:
        challenge.eligibility = list(data.eligibility)
    # Narrowing the licences later leaves submitted versions alone: each keeps the licence it chose.
    if list(challenge.accepted_licences or []) != data.accepted_licences:
        challenge.accepted_licences = list(data.accepted_licences)
    if str(challenge.concept_publication) != data.concept_publication:
        challenge.concept_publication = ConceptPublication(data.concept_publication)
    if [t.slug for t in challenge.tags] != sorted(slug for slug, _name in data.tags):
        challenge.tags = _tags_for(data.tags)
    if challenge.sdg_numbers != sorted(set(data.sdgs)):
        keep = {s.goal: s for s in challenge.sdgs}
        challenge.sdgs = [keep.get(goal) or ChallengeSDG(goal=goal) for goal in sorted(set(data.sdgs))]
    if data.cover_hash:
        challenge.cover_image_hash = data.cover_hash
    elif data.remove_cover:
        challenge.cover_image_hash = None
    challenge.cover_image_alt = (data.cover_alt or None) if challenge.cover_image_hash else None


def _check_cover(challenge: Challenge | None, data: ChallengeInput) -> None:
    has_cover = bool(data.cover_hash) or (challenge is not None and challenge.cover_image_hash and not data.remove_cover)
    if has_cover and not (data.cover_alt or "").strip():
        raise DomainError(_l("Describe the cover image in a sentence for people who cannot see it."),
                          field="cover_alt")


def create_challenge(*, organisation: Organisation, by: User, data: ChallengeInput, now: datetime) -> Challenge:
    """A new draft challenge of `organisation`. Raises DomainError."""
    if not organisation.is_approved:
        raise DomainError(_l("Your organisation must be approved before it can post challenges."))
    _check_input(data)
    _check_cover(None, data)
    if data.deadline_at is not None and data.deadline_at <= now:
        raise DomainError(_l("The submission deadline is in the past. Choose a later time."), field="deadline_at")
    challenge = Challenge(organisation_id=organisation.id, slug=unique_slug(data.title), state=S.DRAFT,
                          state_changed_at=now, created_by_id=by.id, created_at=now, updated_at=now,
                          title=data.title)
    db.session.add(challenge)
    _apply(challenge, data)
    db.session.flush()
    record_event(actor=by, action="challenge.created", object_type="challenge", object_id=challenge.id,
                 details={"organisation_id": organisation.id, "title": challenge.title})
    return challenge


def update_challenge(*, challenge: Challenge, by: User, data: ChallengeInput, reason: str | None,
                     now: datetime) -> ChangeLogEntry | None:
    """Save the editor's changes. After publishing, changes that matter to participants need a
    reason and are logged publicly and emailed to followers; returns that entry, if any.

    Raises DomainError (read-only challenge, locked rules after the deadline, bad timeline, no reason).
    """
    mode = edit_mode(challenge, now)
    if mode is EditMode.READ_ONLY:
        raise DomainError(_l("This challenge is cancelled or archived and can no longer be edited."))
    _check_input(data)
    _check_cover(challenge, data)
    if bool(data.is_blind) != bool(challenge.is_blind) and challenge.rubric_frozen_at is not None:
        # S19: teams submitted under one promise about who reads their names; it cannot change.
        raise DomainError(_l("Blind judging is fixed once the first concept has been submitted."),
                          field="is_blind", kind=Problem.CONFLICT)
    old, new = material_values(challenge), material_values(data)
    changed = [name for name in MATERIAL_FIELDS if old[name] != new[name]]
    # The time zone only changes how the stored moments are read, not the moments themselves.
    if mode is EditMode.TEXT_ONLY and changed:
        field_name = {"prize": "prize_amount"}.get(changed[0], changed[0])
        raise DomainError(_l("The submission deadline has passed: the timeline, prize and rules can no longer "
                             "change."), field=field_name)
    if "deadline_at" in changed and data.deadline_at is not None and data.deadline_at <= now:
        raise DomainError(_l("The submission deadline is in the past. Choose a later time."), field="deadline_at")
    state = lifecycle.effective_state(challenge, now)
    if state is S.OPEN and "opens_at" in changed and (data.opens_at is None or data.opens_at > now):
        raise DomainError(_l("The challenge is already open, so its opening cannot move into the future."),
                          field="opens_at")
    if challenge.is_published and state is not S.DRAFT:
        for name in ("opens_at", "deadline_at", "judging_ends_at", "results_at"):
            if getattr(data, name) is None:
                raise DomainError(_l("A published challenge needs the whole timeline."), field=name)
    reason = (reason or "").strip()
    material = challenge.is_published and bool(changed)
    if material and not reason:
        raise DomainError(_l("You changed what participants rely on (%(fields)s). Please give a reason: it is "
                             "shown in the public change log and emailed to followers.",
                             fields=", ".join(str(CHANGE_FIELD_LABELS[n]) for n in changed)), field="reason")
    text_fields = [n for n in ("title", "summary", "problem_md", "background_md", "language", "timezone", "is_blind")
                   if getattr(challenge, n) != getattr(data, n)]
    _apply(challenge, data)
    challenge.updated_at = now
    entry = None
    if material:
        entry = ChangeLogEntry(challenge_id=challenge.id, reason=reason[:1000], is_rubric_amendment=False,
                               actor_id=by.id, created_at=now,
                               changes=_changes_in_language(challenge, {n: (old[n], new[n]) for n in changed}))
        db.session.add(entry)
        db.session.flush()
        record_event(actor=by, action="challenge.amended", object_type="challenge", object_id=challenge.id,
                     details={"fields": changed, "reason": reason[:1000], "change_id": entry.id,
                              "old": {n: old[n] for n in changed}, "new": {n: new[n] for n in changed}})
        _notify_change(challenge, entry, by)
    else:
        record_event(actor=by, action="challenge.updated", object_type="challenge", object_id=challenge.id,
                     details={"fields": changed + text_fields})
    return entry


# ---------------------------------------------------------------- rubric
def rubric_problems(rows: list[CriterionInput]) -> dict[str, Any]:
    """Whole-rubric problems: {"criteria": message} for no rows, {"weights": message} for the sum."""
    if not rows:
        return {"criteria": _l("Add at least one criterion with a name.")}
    total = sum(r.weight for r in rows)
    if total != 100:
        return {"weights": _l("The weights must add up to 100 percent; now they add up to %(sum)d.", sum=total)}
    return {}


def save_rubric(*, challenge: Challenge, by: User, rows: list[CriterionInput], reason: str | None,
                now: datetime) -> ChangeLogEntry | None:
    """Replace the rubric with `rows`. A frozen or published rubric changes only by an amendment with a
    reason, recorded publicly and audited (S21); returns that entry, if any. Raises DomainError."""
    if rubric_locked(challenge, now):
        raise DomainError(_l("Judging has started, so the judging criteria can no longer change."))
    if len(rows) > MAX_CRITERIA:
        raise DomainError(_l("Use at most %(max)d criteria.", max=MAX_CRITERIA), field="criteria")
    for name, message in rubric_problems(rows).items():
        raise DomainError(message, field=name)
    for row in rows:
        if not row.name.strip() or not 1 <= row.weight <= 100 or row.scale_min >= row.scale_max:
            raise DomainError(_l("Each criterion needs a name, a weight from 1 to 100 and a scale whose lowest "
                                 "score is below its highest."), field="criteria")
        if any(not (row.scale_min <= int(level) <= row.scale_max) for level in row.anchors):
            raise DomainError(_l("A level text is outside its scale."), field="criteria")
    old, new = rubric_snapshot(challenge.criteria), rubric_snapshot(rows)
    if old == new:
        return None
    reason = (reason or "").strip()
    amendment = rubric_needs_reason(challenge)
    if amendment and not reason:
        message = (_l("The judging criteria are frozen because concepts have been submitted. Give a reason "
                      "for this amendment: it is shown in the public change log.")
                   if challenge.rubric_frozen_at is not None else
                   _l("The challenge is published. Give a reason for changing the judging criteria: it is "
                      "shown in the public change log and emailed to followers."))
        raise DomainError(message, field="reason")
    by_id = {c.id: c for c in challenge.criteria}
    criteria = []
    for position, row in enumerate(rows):
        criterion = by_id.pop(row.id, None) if row.id is not None else None
        criterion = criterion or Criterion()
        criterion.position = position
        criterion.name = row.name.strip()
        criterion.description = row.description or ""
        criterion.weight = row.weight
        criterion.scale_min = row.scale_min
        criterion.scale_max = row.scale_max
        criterion.anchors = dict(row.anchors)
        criteria.append(criterion)
    challenge.criteria = criteria
    challenge.updated_at = now
    entry = None
    if amendment:
        entry = ChangeLogEntry(challenge_id=challenge.id, reason=reason[:1000], is_rubric_amendment=True,
                               actor_id=by.id, created_at=now,
                               changes=_changes_in_language(challenge, {"rubric": (old, new)}))
        db.session.add(entry)
        db.session.flush()
        record_event(actor=by, action="challenge.rubric_amended", object_type="challenge", object_id=challenge.id,
                     details={"reason": reason[:1000], "change_id": entry.id, "old": old, "new": new,
                              "frozen": challenge.rubric_frozen_at is not None})
        if challenge.is_published:
            _notify_change(challenge, entry, by)
    else:
        record_event(actor=by, action="challenge.rubric_saved", object_type="challenge", object_id=challenge.id,
                     details={"criteria": len(rows)})
    return entry


# ---------------------------------------------------------------- publishing
@dataclass(frozen=True)
class PublishItem:
    """One thing a challenge needs before it is published; `key` names where it is fixed (the views map it to a field)."""

    key: str
    label: str
    done: bool


def publish_items(challenge: Challenge, now: datetime) -> list[PublishItem]:
    """What a challenge needs before it is published, each marked done or not, in the current locale."""
    times = (challenge.opens_at, challenge.deadline_at, challenge.judging_ends_at, challenge.results_at)
    timeline_complete = all(t is not None for t in times) and not timeline_errors(
        opens_at=challenge.opens_at, deadline_at=challenge.deadline_at,
        judging_ends_at=challenge.judging_ends_at, results_at=challenge.results_at)
    total = sum(c.weight for c in challenge.criteria)
    split_ok = len(challenge.prize_split or []) == challenge.prize_count and sum(challenge.prize_split or []) == 100
    return [
        PublishItem("title", _("A title"), bool((challenge.title or "").strip())),
        PublishItem("summary", _("A summary for lists"), bool((challenge.summary or "").strip())),
        PublishItem("problem", _("A problem statement"), bool((challenge.problem_md or "").strip())),
        PublishItem("prize", _("Prize money, with a split that adds up to 100 percent"),
                    challenge.prize_minor > 0 and split_ok),
        PublishItem("timeline", _("The whole timeline, in order: opening, deadline, end of judging, results"),
                    timeline_complete),
        PublishItem("deadline", _("A submission deadline in the future"),
                    challenge.deadline_at is not None and challenge.deadline_at > now),
        PublishItem("rubric", _("Judging criteria whose weights add up to 100 percent (now %(sum)d)", sum=total),
                    bool(challenge.criteria) and total == 100),
        PublishItem("eligibility", _("Who may enter, individually or in teams"),
                    bool(challenge.eligibility) and (challenge.allow_individuals or challenge.allow_teams)),
        PublishItem("cover_alt", _("A text alternative for the cover image"),
                    not challenge.cover_image_hash or bool(challenge.cover_image_alt)),
        PublishItem("organisation", _("An approved organisation"), challenge.organisation.is_approved),
    ]


def publish_checklist(challenge: Challenge, now: datetime) -> list[tuple[str, bool]]:
    """What a challenge needs before it is published: (what, done) in the current locale."""
    return [(item.label, item.done) for item in publish_items(challenge, now)]


def publish_problems(challenge: Challenge, now: datetime) -> list[str]:
    return [label for label, done in publish_checklist(challenge, now) if not done]


def publish_challenge(*, challenge: Challenge, by: User, now: datetime) -> ChallengeState:
    """Publish a complete draft: scheduled if it opens later, open if the opening has come. Raises DomainError."""
    if challenge.state != S.DRAFT:
        raise DomainError(_l("This challenge has already been published."))
    missing = publish_problems(challenge, now)
    if missing:
        raise DomainError(_l("The challenge is not ready to publish yet. Missing: %(items)s.",
                             items="; ".join(missing)))
    assert challenge.opens_at is not None  # noqa: S101  (checked by the list above)
    target = S.SCHEDULED if challenge.opens_at > now else S.OPEN
    lifecycle.transition(challenge, target, actor=by, now=now)
    challenge.published_at = now
    record_event(actor=by, action="challenge.published", object_type="challenge", object_id=challenge.id,
                 details={"state": target.value})
    return target


# ---------------------------------------------------------------- readability
def brief_readability(challenge: Challenge) -> Readability | None:
    """LIX of the problem statement and background as plain text (None when too short to judge)."""
    text = "\n\n".join(t for t in (plain_text(challenge.problem_md), plain_text(challenge.background_md)) if t)
    return lix(text)
