"""What organisers see of concepts (issue 5, part E1): counts before the deadline; after it, the
counting submitted versions of entered concepts, ineligibility, per-team extensions and exports.

Every list and export goes through `entries_select` so they all obey the same rule (S17): a
concept is shown only when it is entered (a submitted version counts, not withdrawn) and its
team's own deadline (the challenge's, or an extension) and the grace period have passed. What
is shown is the frozen ConceptVersion, never the live draft.
"""
from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask_babel import format_datetime
from sqlalchemy import Select, and_, case, cast, false, func, or_, select
from sqlalchemy import Text as SAText
from sqlalchemy.orm import contains_eager, selectinload

from app.accounts.models import User
from app.challenges.lifecycle import effective_state
from app.challenges.models import Challenge, ChallengeState
from app.concepts.models import (
    WRITABLE_CHALLENGE_STATES,
    Concept,
    ConceptExtension,
    ConceptState,
    ConceptVersion,
    reference,
)
from app.concepts.queries import last_extension_end
from app.concepts.services.common import ConceptError, grace_seconds, lock_concept
from app.core.audit import record_event
from app.core.exports import csv_bytes  # S30: the one formula-safe CSV writer
from app.core.files import clean_filename, document_path
from app.core.formatting import iso_utc
from app.db import db
from app.errors import Problem
from app.i18n import _l
from app.mail.services import external_url, queue_mail

MAX_EXTENSION = timedelta(days=14)
REASON_MAX = 1000
_REFERENCE_RE = re.compile(r"^\s*(?:[Cc]\s*-?\s*)?([0-9]{1,9})\s*$")


def parse_reference(text: str | None) -> int | None:
    """"C-123", "c123" or "123" -> 123; anything else -> None."""
    match = _REFERENCE_RE.match(text or "")
    return int(match.group(1)) if match else None


def challenge_deadline_passed(challenge: Challenge, now: datetime) -> bool:
    """Has the challenge's own deadline (plus grace) passed, so that entries may be read?"""
    if challenge.deadline_at is None:
        return effective_state(challenge, now) not in WRITABLE_CHALLENGE_STATES
    return now >= challenge.deadline_at + timedelta(seconds=grace_seconds())


# ---------------------------------------------------------------- counts
def _count_columns() -> tuple[Any, Any]:
    live = Concept.state != ConceptState.WITHDRAWN
    drafts = func.coalesce(func.sum(case((and_(live, Concept.submitted_version_no.is_(None)), 1), else_=0)), 0)
    entered = func.coalesce(func.sum(case((Concept.is_entered, 1), else_=0)), 0)
    return drafts, entered


def concept_counts(challenge_ids: Any) -> dict[int, tuple[int, int]]:
    """{challenge id: (drafts, submitted)} in one grouped query; `challenge_ids` is a list or a subquery.

    Drafts are concepts not withdrawn that have no counting version; submitted = Concept.is_entered.
    """
    drafts, entered = _count_columns()
    rows = db.session.execute(select(Concept.challenge_id, drafts, entered)
                              .where(Concept.challenge_id.in_(challenge_ids)).group_by(Concept.challenge_id))
    return {cid: (int(d), int(s)) for cid, d, s in rows}


def counts_for_dashboard(sender: Any, *, challenge_ids: Any) -> dict[int, tuple[int, int]]:
    """Receiver of challenges.signals.concept_counts_requested (the dashboard and manage page)."""
    return concept_counts(challenge_ids)


def counts_for(challenge: Challenge) -> tuple[int, int]:
    return concept_counts([challenge.id]).get(challenge.id, (0, 0))


# ---------------------------------------------------------------- the list
SORTS = ("submitted", "title")
ELIGIBILITY = ("all", "eligible", "ineligible")
TEAM_KINDS = ("team", "individual")


@dataclass(frozen=True)
class EntryFilters:
    eligibility: str = "all"
    language: str | None = None
    tag: str | None = None
    team: str | None = None
    q: str | None = None
    sort: str = "submitted"

    @property
    def any(self) -> bool:
        return bool(self.eligibility != "all" or self.language or self.tag or self.team or self.q)


def entries_select(challenge: Challenge, now: datetime) -> Select[Any]:
    """The counting versions of the challenge's readable entries (see the module docstring), with their concept.

    Before the challenge deadline this selects nothing, so a caller cannot leak an entry by mistake.
    """
    stmt = (select(ConceptVersion)
            .join(Concept, and_(Concept.id == ConceptVersion.concept_id,
                                ConceptVersion.number == Concept.submitted_version_no))
            .where(Concept.challenge_id == challenge.id, Concept.is_entered)
            .options(contains_eager(ConceptVersion.concept), selectinload(ConceptVersion.files)))
    if not challenge_deadline_passed(challenge, now):
        return stmt.where(false())
    # The challenge deadline has passed; a team with a later extension is readable once it passed too.
    closes_before = now - timedelta(seconds=grace_seconds())
    return stmt.where(or_(Concept.extension_until.is_(None), Concept.extension_until <= closes_before))


def filtered_entries(challenge: Challenge, filters: EntryFilters, now: datetime) -> Select[Any]:
    stmt = entries_select(challenge, now)
    if filters.eligibility == "eligible":
        stmt = stmt.where(~Concept.is_ineligible)
    elif filters.eligibility == "ineligible":
        stmt = stmt.where(Concept.is_ineligible)
    if filters.language:
        stmt = stmt.where(ConceptVersion.language == filters.language)
    if filters.tag:
        # tag_names is a JSON list: match the serialised name, quotes included, so "bin" does not match "bins".
        stmt = stmt.where(cast(ConceptVersion.tag_names, SAText).contains(json.dumps(filters.tag), autoescape=True))
    if filters.team:
        size = func.json_array_length(ConceptVersion.member_ids)
        stmt = stmt.where(size > 1 if filters.team == "team" else size <= 1)
    if filters.q:
        stmt = stmt.where(or_(ConceptVersion.title.icontains(filters.q, autoescape=True),
                              ConceptVersion.summary.icontains(filters.q, autoescape=True)))
    if filters.sort == "title":
        return stmt.order_by(func.lower(ConceptVersion.title), ConceptVersion.id)
    return stmt.order_by(ConceptVersion.submitted_at, ConceptVersion.id)


def filter_options(challenge: Challenge, now: datetime) -> tuple[list[str], list[str]]:
    """The languages and tags that occur among the readable entries (for the filter form)."""
    languages: set[str] = set()
    tags: set[str] = set()
    stmt = entries_select(challenge, now).with_only_columns(ConceptVersion.language, ConceptVersion.tag_names)
    for language, tag_names in db.session.execute(stmt):
        languages.add(language)
        tags.update(tag_names or [])
    return sorted(languages), sorted(tags, key=str.lower)


def running_extensions(challenge: Challenge, now: datetime) -> list[Concept]:
    """Concepts whose own extended deadline has not passed yet: listed by reference only, no content."""
    closes_before = now - timedelta(seconds=grace_seconds())
    stmt = (select(Concept).where(Concept.challenge_id == challenge.id, Concept.state != ConceptState.WITHDRAWN,
                                  Concept.extension_until.is_not(None), Concept.extension_until > closes_before)
            .order_by(Concept.extension_until, Concept.id))
    if challenge.deadline_at is not None:
        stmt = stmt.where(Concept.extension_until > challenge.deadline_at)
    return list(db.session.scalars(stmt))


def entry_version(challenge: Challenge, concept_id: int, now: datetime) -> ConceptVersion | None:
    """One readable entry's counting version, or None (draft, withdrawn, another challenge, too early)."""
    return db.session.scalar(entries_select(challenge, now).where(Concept.id == concept_id))


def all_entries(challenge: Challenge, now: datetime) -> list[ConceptVersion]:
    return list(db.session.scalars(entries_select(challenge, now).order_by(Concept.id)))


def member_users(version: ConceptVersion) -> list[User]:
    """The team at submit time, in the order recorded; erased accounts are left out."""
    ids = [int(i) for i in version.member_ids or []]
    if not ids:
        return []
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    return [users[i] for i in ids if i in users]


def version_count(concept: Concept) -> int:
    return int(db.session.scalar(select(func.count()).select_from(ConceptVersion)
                                 .where(ConceptVersion.concept_id == concept.id)) or 0)


# ---------------------------------------------------------------- ineligibility
def _team(concept: Concept) -> list[User]:
    return [m.user for m in concept.members if m.user is not None]


def _overview_url(concept: Concept) -> str:
    return external_url("concepts.overview", concept_id=concept.id)


def _require_readable(concept: Concept, now: datetime) -> None:
    if not concept.is_entered or not concept.deadline_passed(now, grace_seconds()):
        raise ConceptError(_l("This concept can be judged eligible or not only after its deadline, and only if "
                              "it was submitted."), kind=Problem.CONFLICT)


def mark_ineligible(*, concept: Concept, by: User, reason: str, now: datetime) -> None:
    """Mark an entered concept ineligible, with a reason the team sees; emails the team. Raises ConceptError."""
    reason = (reason or "").strip()
    if not reason:
        raise ConceptError(_l("Give the reason: the team will read it."), field="reason")
    if len(reason) > REASON_MAX:
        raise ConceptError(_l("The reason can be at most %(max)d characters.", max=REASON_MAX), field="reason")
    lock_concept(concept)
    _require_readable(concept, now)
    concept.ineligible_at = now
    concept.ineligible_by_id = by.id
    concept.ineligible_reason = reason
    record_event(actor=by, action="concept.ineligible", object_type="concept", object_id=concept.id,
                 details={"reason": reason, "version": concept.submitted_version_no})
    version = concept.current_version()
    for user in _team(concept):
        queue_mail(to=user.email, template="concepts/ineligible", locale=user.locale,
                   subject=_l("Your concept was marked ineligible"), recipient=user, concept=concept,
                   title=version.title if version else concept.title, challenge=concept.challenge,
                   reference=reference(concept.id), reason=reason, overview_url=_overview_url(concept))


def mark_eligible(*, concept: Concept, by: User, now: datetime) -> None:
    """Take back an ineligibility mark; emails the team. Raises ConceptError."""
    lock_concept(concept)
    _require_readable(concept, now)
    if concept.ineligible_at is None:
        return
    record_event(actor=by, action="concept.eligible", object_type="concept", object_id=concept.id,
                 details={"previous_reason": concept.ineligible_reason})
    concept.ineligible_at = None
    concept.ineligible_by_id = None
    concept.ineligible_reason = None
    version = concept.current_version()
    for user in _team(concept):
        queue_mail(to=user.email, template="concepts/eligible_again", locale=user.locale,
                   subject=_l("Your concept takes part again"), recipient=user, concept=concept,
                   title=version.title if version else concept.title, challenge=concept.challenge,
                   reference=reference(concept.id), overview_url=_overview_url(concept))


# ---------------------------------------------------------------- extensions
EXTENSION_STATES = frozenset({ChallengeState.OPEN, ChallengeState.CLOSED})


def grant_extension(*, challenge: Challenge, concept: Concept | None, by: User, until: datetime, reason: str,
                    now: datetime) -> ConceptExtension:
    """Give one team a later deadline, documented with a reason; emails the team. Raises ConceptError."""
    reason = (reason or "").strip()
    if not reason:
        raise ConceptError(_l("Give the reason for the extension: it is kept in the record."), field="reason")
    if len(reason) > REASON_MAX:
        raise ConceptError(_l("The reason can be at most %(max)d characters.", max=REASON_MAX), field="reason")
    if concept is None or concept.challenge_id != challenge.id:
        raise ConceptError(_l("There is no concept with this reference in this challenge."), field="concept")
    lock_concept(concept)  # a withdrawal at the same moment waits for this decision
    if concept.state == ConceptState.WITHDRAWN:
        raise ConceptError(_l("This concept was withdrawn by its team, so it cannot get an extension."),
                           field="concept")
    if effective_state(challenge, now) not in EXTENSION_STATES:
        raise ConceptError(_l("Extensions can be granted only until judging starts."), kind=Problem.CONFLICT)
    deadline = challenge.deadline_at
    if deadline is None:
        raise ConceptError(_l("This challenge has no deadline to extend."), kind=Problem.CONFLICT)
    if until <= deadline:
        raise ConceptError(_l("The new deadline must be after the challenge's deadline."), field="until")
    if until <= now:
        raise ConceptError(_l("The new deadline must be in the future."), field="until")
    if until > deadline + MAX_EXTENSION:
        raise ConceptError(_l("An extension can be at most %(days)d days after the challenge's deadline.",
                              days=MAX_EXTENSION.days), field="until")
    if challenge.judging_ends_at is not None and until >= challenge.judging_ends_at:
        raise ConceptError(_l("The new deadline must be before judging ends."), field="until")
    extension = ConceptExtension(concept_id=concept.id, until=until, reason=reason, granted_by_id=by.id,
                                 created_at=now)
    db.session.add(extension)
    concept.extension_until = until
    db.session.flush()
    record_event(actor=by, action="concept.extension_granted", object_type="concept", object_id=concept.id,
                 details={"until": until.isoformat(), "reason": reason})
    for user in _team(concept):
        queue_mail(to=user.email, template="concepts/extension_granted", locale=user.locale,
                   subject=_l("Your team has a later deadline"), recipient=user, concept=concept,
                   challenge=challenge, reference=reference(concept.id), until=until, reason=reason,
                   overview_url=_overview_url(concept))
    return extension


def extensions_of(challenge: Challenge) -> list[tuple[ConceptExtension, Concept, User | None]]:
    stmt = (select(ConceptExtension, Concept, User).join(Concept, Concept.id == ConceptExtension.concept_id)
            .outerjoin(User, User.id == ConceptExtension.granted_by_id)
            .where(Concept.challenge_id == challenge.id)
            .order_by(ConceptExtension.created_at.desc(), ConceptExtension.id.desc()))
    return [tuple(row) for row in db.session.execute(stmt)]  # type: ignore[misc]


# ---------------------------------------------------------------- exports
CSV_HEADER = ("reference", "version", "title", "team_name", "team_size", "members", "language", "licence",
              "submitted_at_utc", "eligible", "ineligible_reason", "summary", "files", "fingerprint")


def csv_rows(versions: Iterable[ConceptVersion]) -> Iterator[list[Any]]:
    yield list(CSV_HEADER)
    for version in versions:
        concept = version.concept
        members = member_users(version)
        yield [reference(concept.id), version.number, version.title, version.team_name or "",
               len(version.member_ids or []), "; ".join(u.display_name for u in members), version.language,
               version.licence, iso_utc(version.submitted_at), "no" if concept.is_ineligible else "yes",
               concept.ineligible_reason or "", version.summary, "; ".join(f.filename for f in version.files),
               version.fingerprint]


def build_csv(versions: Iterable[ConceptVersion]) -> bytes:
    return csv_bytes(csv_rows(versions))


def _folder_name(version: ConceptVersion) -> str:
    title = clean_filename(version.title, fallback="concept").replace(".", " ").strip()
    title = re.sub(r"\s+", " ", title)[:60].strip() or "concept"
    return clean_filename(f"{reference(version.concept_id)}-{title}", fallback=reference(version.concept_id))


def concept_markdown(version: ConceptVersion, members: list[User]) -> str:
    lines = [f"# {version.title}", "", f"- Reference: {reference(version.concept_id)}",
             f"- Version: {version.number}", f"- Team: {version.team_name or ''}",
             f"- Members: {', '.join(u.display_name for u in members)}", f"- Language: {version.language}",
             f"- Licence: {version.licence}", f"- Submitted (UTC): {iso_utc(version.submitted_at)}",
             f"- Tags: {', '.join(version.tag_names or [])}", f"- SHA-256 fingerprint: {version.fingerprint}",
             "", "## Summary", "", version.summary, "", "## Concept", "", version.body_md, ""]
    return "\n".join(lines)


def write_zip(target: Any, versions: list[ConceptVersion], *, upload_dir: str, csv_name: str) -> list[str]:
    """Write the export ZIP into the binary file `target`; returns the names of files that were missing."""
    missing: list[str] = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(csv_name, build_csv(versions))
        for version in versions:
            folder = _folder_name(version)
            archive.writestr(f"{folder}/concept.md", concept_markdown(version, member_users(version)))
            used: set[str] = {"concept.md"}
            for item in version.files:
                name = clean_filename(item.filename)
                stem, dot, ext = name.rpartition(".")
                n = 2
                while name.lower() in used:
                    name = f"{stem} ({n}).{ext}" if dot else f"{item.filename} ({n})"
                    n += 1
                used.add(name.lower())
                try:
                    path = document_path(upload_dir, item.content_hash)
                except ValueError:
                    missing.append(f"{folder}/{name}")
                    continue
                if not Path(path).is_file():
                    missing.append(f"{folder}/{name}")
                    continue
                archive.write(path, f"{folder}/{name}")
    return missing


def record_export(*, challenge: Challenge, by: User, kind: str, count: int) -> None:
    record_event(actor=by, action=f"concepts.export_{kind}", object_type="challenge", object_id=challenge.id,
                 details={"entries": count})


# ---------------------------------------------------------------- the lifecycle's guard
def refuse_judging_during_extensions(challenge: Challenge, *, target: ChallengeState, now: datetime) -> Any:
    """Judging may not start while a team still has time to write under its extension."""
    if target is not ChallengeState.JUDGING:
        return None
    until = last_extension_end(challenge, now)
    if until is None:
        return None
    return _l("Judging cannot start yet: a team has an extended deadline until %(when)s. Start judging "
              "after that time.", when=format_datetime(until, "long"))
