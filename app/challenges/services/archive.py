"""Archive import: earlier challenges of an organisation, brought into the public archive from JSONL.

One JSON object per line (the keys are in KEYS, documented in the README under "Importing an
archive"). `plan_archive` reads the file and decides, line by line, what it would create and what
it refuses and why; it changes nothing, which is the dry run. `import_archive` makes the same plan
and creates its challenges: archived, public, marked imported, each through the lifecycle's one
import step (`lifecycle.record_import`), with an audit event for the whole import. Neither commits.

The file is read a line at a time with a byte limit (`readline(limit)`), so a line far over the
limit is skipped in pieces and never held in memory whole, and reading stops after MAX_LINES
lines: a 100 MB file costs the time to skim it, not its size in memory. Nothing longer than a
column allows is cut to fit: such a line is refused with the limit it broke.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import IO, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.numbers import get_currency_precision
from slugify import slugify
from sqlalchemy import select

from app.accounts.models import User
from app.challenges import lifecycle
from app.challenges.models import (
    CHALLENGE_LANGUAGES,
    CURRENCIES,
    SDG_LABELS,
    SOURCE_URL_MAX,
    Challenge,
    ChallengeSDG,
    ChallengeState,
    ConceptPublication,
)
from app.challenges.services.editor import (
    MAX_BRIEF_CHARS,
    MAX_PRIZE_MAJOR,
    MAX_TAG_CHARS,
    MAX_TAGS,
    unique_slug,
)
from app.challenges.services.editor import _tags_for as tags_for  # the one way tags become rows
from app.core.audit import record_event
from app.core.files import document_path
from app.core.uploads import write_atomically
from app.db import db
from app.errors import DomainError, Problem
from app.i18n import _l
from app.organisations.models import Country, Organisation, OrganisationStatus

MAX_LINE_BYTES = 1024 * 1024
MAX_LINES = 1000
MAX_WINNERS = 20
EARLIEST_YEAR = 1900
# The column limits, read from the model so that the two never drift apart.
TITLE_MAX = Challenge.__table__.c.title.type.length
SUMMARY_MAX = Challenge.__table__.c.summary.type.length
WINNER_MAX = TITLE_MAX

REQUIRED = ("title", "summary", "body_md", "language", "tags", "sdgs", "opened", "closed")
OPTIONAL = ("organisation", "prize", "currency", "url", "winners")
KEYS = frozenset(REQUIRED + OPTIONAL)
TEXT_KEYS = ("organisation", "title", "summary", "body_md", "language", "opened", "closed", "prize", "currency", "url")
COUNTRY_CURRENCY = {Country.DK: "DKK", Country.NO: "NOK", Country.SE: "SEK"}
# The noon of a day in the organisation's zone stands for that day: it exists on every day of the
# year (no clock change happens at noon) and lands on the same date in every Nordic zone.
NOON = time(12)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PRIZE_RE = re.compile(r"^\d{1,12}(\.\d{1,6})?$")
_SHOWN = 60  # how much of a value from the file a message repeats


@dataclass
class PlannedChallenge:
    """A line that would become a challenge."""

    line: int
    organisation: Organisation
    title: str
    summary: str
    body_md: str
    language: str
    tags: list[tuple[str, str]]
    sdgs: list[int]
    opened: date
    closed: date
    opens_at: datetime
    deadline_at: datetime
    prize_minor: int
    currency: str
    url: str | None
    winners: list[str]


@dataclass
class RefusedLine:
    """A line that creates nothing, with every reason found, translated in the current locale."""

    line: int
    reasons: list[Any]
    title: str | None = None

    def __post_init__(self) -> None:
        # Plain text, never the lazy string: flask_babel's LazyString declares __html__, so a template
        # would print it unescaped, and these messages repeat values from the file (S28).
        self.reasons = [str(reason) for reason in self.reasons]


@dataclass
class ArchivePlan:
    challenges: list[PlannedChallenge] = field(default_factory=list)
    refused: list[RefusedLine] = field(default_factory=list)
    lines: int = 0  # non-blank lines read
    created: list[Challenge] = field(default_factory=list)  # filled by import_archive


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


# ---------------------------------------------------------------- reading
_OVERSIZE = object()


def read_lines(stream: IO[bytes], *, max_line_bytes: int = MAX_LINE_BYTES,
               max_lines: int = MAX_LINES) -> Iterator[tuple[int, Any]]:
    """(line number, bytes) for each non-blank line; _OVERSIZE for a line over the limit (skipped in
    pieces of at most `max_line_bytes`, never held whole); None once more than `max_lines` were
    read, after which nothing more is read."""
    number = read = 0
    while True:
        raw = stream.readline(max_line_bytes + 1)
        if not raw:
            return
        number += 1
        if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
            rest = raw
            while rest and not rest.endswith(b"\n"):
                rest = stream.readline(max_line_bytes)
            content: Any = _OVERSIZE
        else:
            content = raw
            if not raw.strip():
                continue
        read += 1
        if read > max_lines:
            yield number, None
            return
        yield number, content


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(name)  # NaN, Infinity: not JSON


def _decode(raw: bytes, number: int) -> tuple[Any, Any]:
    """(object, None) or (None, reason)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, _l("The line is not UTF-8 text.")
    if number == 1:
        text = text.lstrip("\ufeff")
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constants)
    except _DuplicateKeyError as exc:
        return None, _l("The key “%(key)s” appears twice in the line.", key=_shown(exc.key))
    except (ValueError, RecursionError):
        return None, _l("The line is not valid JSON.")
    if not isinstance(value, dict):
        return None, _l("The line is valid JSON but not an object: write one {…} object per line.")
    return value, None


# ---------------------------------------------------------------- checking one line
class _Organisations:
    """Organisations by slug, each looked up once per file; and each one's challenges already there."""

    def __init__(self) -> None:
        self._by_slug: dict[str, Organisation | None] = {}
        self._existing: dict[int, set[tuple[str, date]]] = {}

    def get(self, slug: str) -> Organisation | None:
        if slug not in self._by_slug:
            self._by_slug[slug] = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
        return self._by_slug[slug]

    def existing(self, organisation: Organisation) -> set[tuple[str, date]]:
        """(normalised title, opening date in the organisation's zone) of its challenges."""
        if organisation.id not in self._existing:
            zone = ZoneInfo(organisation.timezone)
            rows = db.session.execute(select(Challenge.title, Challenge.opens_at).where(
                Challenge.organisation_id == organisation.id, Challenge.opens_at.is_not(None)))
            self._existing[organisation.id] = {(same_title(title), opens_at.astimezone(zone).date())
                                               for title, opens_at in rows}
        return self._existing[organisation.id]


def same_title(title: str) -> str:
    """A title as compared for duplicates: Unicode-normalised, spaces collapsed, case folded."""
    return " ".join(unicodedata.normalize("NFC", title).split()).casefold()


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _check_types(obj: dict[str, Any], reasons: list[Any]) -> None:
    for key in TEXT_KEYS:
        if key in obj and not isinstance(obj[key], str):
            if key == "prize":
                reasons.append(_l("“prize” must be a decimal number written as text, for example \"50000.00\"."))
            else:
                reasons.append(_l("“%(key)s” must be text.", key=key))
    for key in ("tags", "winners"):
        if key in obj and not _is_text_list(obj[key]):
            reasons.append(_l("“%(key)s” must be a list of texts.", key=key))
    if "sdgs" in obj and not (isinstance(obj["sdgs"], list)
                              and all(isinstance(v, int) and not isinstance(v, bool) for v in obj["sdgs"])):
        reasons.append(_l("“sdgs” must be a list of whole numbers from 1 to 17."))


def _text(obj: dict[str, Any], key: str, limit: int, reasons: list[Any], *, one_line: bool = False) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        return ""
    value = " ".join(value.split()) if one_line else value.strip()
    if not value:
        reasons.append(_l("“%(key)s” is empty.", key=key))
    elif len(value) > limit:
        reasons.append(_l("“%(key)s” is too long: %(length)d characters, at most %(max)d are allowed.",
                          key=key, length=len(value), max=limit))
    return value


def _date(obj: dict[str, Any], key: str, reasons: list[Any]) -> date | None:
    value = obj.get(key)
    if not isinstance(value, str):
        return None
    try:
        if not _DATE_RE.match(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        reasons.append(_l("“%(key)s” must be a date written as YYYY-MM-DD, for example 2023-03-01; it is “%(value)s”.",
                          key=key, value=_shown(value)))
        return None
    if day.year < EARLIEST_YEAR:
        reasons.append(_l("“%(key)s” is before %(year)d.", key=key, year=EARLIEST_YEAR))
        return None
    return day


def _tags(values: list[str], reasons: list[Any]) -> list[tuple[str, str]]:
    tags: dict[str, str] = {}
    for raw in values:
        name = " ".join(raw.split())
        if not name:
            continue
        if len(name) > MAX_TAG_CHARS:
            reasons.append(_l("The tag “%(tag)s” is too long: a tag has at most %(max)d characters.",
                              tag=_shown(name), max=MAX_TAG_CHARS))
            continue
        slug = slugify(name, max_length=60)
        if not slug:
            reasons.append(_l("The tag “%(tag)s” needs at least one letter or digit.", tag=_shown(name)))
            continue
        tags.setdefault(slug, name)
    if len(tags) > MAX_TAGS:
        reasons.append(_l("There are %(count)d tags: at most %(max)d are allowed.", count=len(tags), max=MAX_TAGS))
    return list(tags.items())


def _prize(obj: dict[str, Any], organisation: Organisation | None, reasons: list[Any]) -> tuple[int, str]:
    currency = obj.get("currency")
    prize = obj.get("prize")
    if isinstance(currency, str) and currency not in CURRENCIES:
        reasons.append(_l("The currency “%(currency)s” is not one we accept: use one of %(list)s.",
                          currency=_shown(currency), list=", ".join(CURRENCIES)))
        currency = None
    elif not isinstance(currency, str):
        currency = None
    if not isinstance(prize, str):
        default = COUNTRY_CURRENCY.get(Country(organisation.country), "EUR") if organisation else "EUR"
        return 0, currency or default
    if "currency" not in obj:
        reasons.append(_l("A prize needs its “currency”: one of %(list)s.", list=", ".join(CURRENCIES)))
        return 0, "EUR"
    if not _PRIZE_RE.match(prize):
        reasons.append(_l("“prize” must be an amount such as \"50000\" or \"50000.00\": digits with a point "
                          "before the decimals, no spaces or thousands separators; it is “%(value)s”.",
                          value=_shown(prize)))
        return 0, currency or "EUR"
    amount = Decimal(prize)
    if currency is None:
        return 0, "EUR"
    digits = get_currency_precision(currency)
    minor = amount.scaleb(digits)
    if minor != minor.to_integral_value():
        reasons.append(_l("The prize has more decimals than %(currency)s has: at most %(digits)d.",
                          currency=currency, digits=digits))
    elif amount > MAX_PRIZE_MAJOR:
        reasons.append(_l("The prize is larger than %(max)s.", max=f"{MAX_PRIZE_MAJOR:,}"))
    else:
        return int(minor), currency
    return 0, currency


def _url(obj: dict[str, Any], reasons: list[Any]) -> str | None:
    value = obj.get("url")
    if not isinstance(value, str):
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
        valid = (parts.scheme in ("http", "https") and bool(parts.hostname) and parts.username is None
                 and not any(c.isspace() or unicodedata.category(c)[0] == "C" for c in value))
    except ValueError:
        valid = False
    if not valid:
        reasons.append(_l("“url” must be the address of the original page, starting with https:// or http://."))
        return None
    if len(value) > SOURCE_URL_MAX:
        reasons.append(_l("“%(key)s” is too long: %(length)d characters, at most %(max)d are allowed.",
                          key="url", length=len(value), max=SOURCE_URL_MAX))
        return None
    return value


def _winners(values: list[str], reasons: list[Any]) -> list[str]:
    winners = [" ".join(v.split()) for v in values]
    if any(not w for w in winners):
        reasons.append(_l("A winner in “winners” has an empty title."))
    if len(winners) > MAX_WINNERS:
        reasons.append(_l("There are %(count)d winners: at most %(max)d are allowed.",
                          count=len(winners), max=MAX_WINNERS))
    for winner in winners:
        if len(winner) > WINNER_MAX:
            reasons.append(_l("The winner “%(title)s” is too long: at most %(max)d characters.",
                              title=_shown(winner), max=WINNER_MAX))
    return [w for w in winners if w]


def _noon_utc(day: date, zone_name: str) -> datetime:
    return datetime.combine(day, NOON, tzinfo=ZoneInfo(zone_name)).astimezone(UTC)


@dataclass
class _Context:
    orgs: _Organisations
    override: Organisation | None
    for_organisation: Organisation | None
    now: datetime
    seen: dict[tuple[int, str, date], int] = field(default_factory=dict)


def _organisation(obj: dict[str, Any], ctx: _Context, reasons: list[Any]) -> Organisation | None:
    if ctx.override is not None:
        return ctx.override
    slug = obj.get("organisation")
    if slug is None and "organisation" not in obj:
        if ctx.for_organisation is not None:
            return ctx.for_organisation
        reasons.append(_l("Missing keys: %(keys)s.", keys="organisation"))
        return None
    if not isinstance(slug, str):
        return None  # the type check said so
    if ctx.for_organisation is not None and slug != ctx.for_organisation.slug:
        reasons.append(_l("The line is for another organisation (“%(slug)s”): here you import challenges of "
                          "%(name)s only.", slug=_shown(slug), name=ctx.for_organisation.name))
        return None
    organisation = ctx.orgs.get(slug)
    if organisation is None:
        reasons.append(_l("No organisation has the address name “%(slug)s”.", slug=_shown(slug)))
        return None
    if organisation.status != OrganisationStatus.APPROVED:
        reasons.append(_l("%(name)s is not an approved organisation: only approved organisations' challenges "
                          "enter the archive.", name=organisation.name))
        return None
    return organisation


def _check(obj: dict[str, Any], number: int, ctx: _Context) -> PlannedChallenge | RefusedLine:
    reasons: list[Any] = []
    missing = [k for k in REQUIRED if k not in obj]
    if missing:
        reasons.append(_l("Missing keys: %(keys)s.", keys=", ".join(missing)))
    unknown = sorted(k for k in obj if k not in KEYS)
    if unknown:
        shown = ", ".join(_shown(k) for k in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        reasons.append(_l("Unknown keys: %(keys)s. The keys are: %(allowed)s.", keys=shown,
                          allowed=", ".join(REQUIRED + OPTIONAL)))
    _check_types(obj, reasons)
    organisation = _organisation(obj, ctx, reasons)
    title = _text(obj, "title", TITLE_MAX, reasons, one_line=True)
    summary = _text(obj, "summary", SUMMARY_MAX, reasons)
    body = _text(obj, "body_md", MAX_BRIEF_CHARS, reasons)
    language = obj.get("language")
    if isinstance(language, str) and language not in CHALLENGE_LANGUAGES:
        reasons.append(_l("The language “%(value)s” is not one we accept: use one of %(list)s.",
                          value=_shown(language), list=", ".join(CHALLENGE_LANGUAGES)))
    tags = _tags(obj["tags"], reasons) if _is_text_list(obj.get("tags")) else []
    sdgs: list[int] = []
    if isinstance(obj.get("sdgs"), list) and all(isinstance(v, int) and not isinstance(v, bool) for v in obj["sdgs"]):
        sdgs = sorted(set(obj["sdgs"]))
        outside = [n for n in sdgs if n not in SDG_LABELS]
        if outside:
            reasons.append(_l("The goals in “sdgs” are numbered 1 to 17; %(numbers)s is not one of them.",
                              numbers=_shown(", ".join(str(n) for n in outside))))
    opened, closed = _date(obj, "opened", reasons), _date(obj, "closed", reasons)
    zone = organisation.timezone if organisation is not None else "UTC"
    opens_at = _noon_utc(opened, zone) if opened else None
    deadline_at = _noon_utc(closed, zone) if closed else None
    if opened and closed and closed <= opened:
        reasons.append(_l("“closed” (%(closed)s) must be after “opened” (%(opened)s).",
                          closed=closed.isoformat(), opened=opened.isoformat()))
    elif deadline_at and deadline_at > ctx.now:
        reasons.append(_l("“closed” (%(closed)s) is not in the past: the archive is for challenges that have ended.",
                          closed=closed.isoformat() if closed else ""))
    prize_minor, currency = _prize(obj, organisation, reasons)
    url = _url(obj, reasons)
    winners = _winners(obj["winners"], reasons) if _is_text_list(obj.get("winners")) else []
    if not reasons and organisation is not None and title and opened:
        key = (organisation.id, same_title(title), opened)
        first = ctx.seen.get(key)
        if first is not None:
            reasons.append(_l("The same challenge (organisation, title and opening date) is on line %(line)d.",
                              line=first))
        elif key[1:] in ctx.orgs.existing(organisation):
            reasons.append(_l("%(name)s already has a challenge with this title that opened on %(date)s.",
                              name=organisation.name, date=opened.isoformat()))
        else:
            ctx.seen[key] = number
    if reasons or organisation is None or opens_at is None or deadline_at is None \
            or opened is None or closed is None or not isinstance(language, str):
        return RefusedLine(line=number, reasons=reasons or [_l("The line is not valid JSON.")], title=title or None)
    return PlannedChallenge(
        line=number, organisation=organisation, title=title, summary=summary, body_md=body, language=language,
        tags=tags, sdgs=sdgs, opened=opened, closed=closed, opens_at=opens_at, deadline_at=deadline_at,
        prize_minor=prize_minor, currency=currency, url=url, winners=winners)


# ---------------------------------------------------------------- the plan and the import
def _approved(slug: str) -> Organisation:
    organisation = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        raise DomainError(_l("No organisation has the address name “%(slug)s”.", slug=_shown(slug)),
                          field="organisation")
    if organisation.status != OrganisationStatus.APPROVED:
        raise DomainError(_l("%(name)s is not an approved organisation: only approved organisations' challenges "
                             "enter the archive.", name=organisation.name), field="organisation")
    return organisation


def plan_archive(*, stream: IO[bytes], now: datetime, organisation_override: str | None = None,
                 for_organisation: Organisation | None = None, max_lines: int = MAX_LINES,
                 max_line_bytes: int = MAX_LINE_BYTES) -> ArchivePlan:
    """What importing `stream` would create, and every line it refuses with the reasons; changes nothing.

    `organisation_override` (a slug) supplies or replaces every line's organisation;
    `for_organisation` (the upload page's) fills a missing one and refuses lines of any other.
    Raises DomainError when the override is unknown or not approved.
    """
    override = _approved(organisation_override) if organisation_override else None
    if override is not None and for_organisation is not None and override.id != for_organisation.id:
        raise DomainError(_l("The lines can only be imported for %(name)s.", name=for_organisation.name),
                          field="organisation")
    ctx = _Context(orgs=_Organisations(), override=override, for_organisation=for_organisation, now=now)
    plan = ArchivePlan()
    for number, raw in read_lines(stream, max_line_bytes=max_line_bytes, max_lines=max_lines):
        if raw is None:
            plan.refused.append(RefusedLine(number, [_l(
                "The file has more than %(max)d lines: this line and the rest of the file were not read. Split "
                "the file into smaller ones.", max=max_lines)]))
            break
        plan.lines += 1
        if raw is _OVERSIZE:
            plan.refused.append(RefusedLine(number, [_l("The line is longer than %(size)d MB.",
                                                        size=max_line_bytes // (1024 * 1024) or 1)]))
            continue
        obj, problem = _decode(raw, number)
        if problem is not None:
            plan.refused.append(RefusedLine(number, [problem]))
            continue
        result = _check(obj, number, ctx)
        if isinstance(result, RefusedLine):
            plan.refused.append(result)
        else:
            plan.challenges.append(result)
    return plan


def import_archive(*, stream: IO[bytes], by: User | None, now: datetime, source: str,
                   organisation_override: str | None = None, for_organisation: Organisation | None = None,
                   max_lines: int = MAX_LINES) -> ArchivePlan:
    """Create the challenges plan_archive() accepts: archived, public, marked imported; the refused
    lines create nothing. `by` is None for the command line. Returns the plan with `created`.

    Raises DomainError (an unknown or unapproved override).
    """
    plan = plan_archive(stream=stream, now=now, organisation_override=organisation_override,
                        for_organisation=for_organisation, max_lines=max_lines)
    for item in plan.challenges:
        challenge = Challenge(
            organisation_id=item.organisation.id, slug=unique_slug(item.title), title=item.title,
            summary=item.summary, problem_md=item.body_md, language=item.language, timezone=item.organisation.timezone,
            opens_at=item.opens_at, deadline_at=item.deadline_at, prize_minor=item.prize_minor,
            currency=item.currency, concept_publication=ConceptPublication.NONE,
            # Published when it opened, so lists and feeds sort it into its own past.
            state=ChallengeState.DRAFT, state_changed_at=now, published_at=item.opens_at,
            imported_at=now, source_url=item.url, imported_winners=list(item.winners),
            created_by_id=by.id if by is not None else None, created_at=now, updated_at=now)
        challenge.tags = tags_for(item.tags)
        challenge.sdgs = [ChallengeSDG(goal=goal) for goal in item.sdgs]
        db.session.add(challenge)
        db.session.flush()
        lifecycle.record_import(challenge, actor=by, now=now)
        plan.created.append(challenge)
    if not plan.created:
        return plan  # nothing happened: nothing to record
    organisations = sorted({c.organisation_id for c in plan.created})
    record_event(actor=by, action="archive.imported", object_type="organisation",
                 object_id=organisations[0] if len(organisations) == 1 else None,
                 details={"source": source, "lines": plan.lines, "created": [c.id for c in plan.created],
                          "refused_lines": [r.line for r in plan.refused][:MAX_LINES],
                          "organisations": organisations})
    return plan


# ---------------------------------------------------------------- the checked file of the upload page
# The upload page keeps the file it checked, so that "Import" needs no second upload: under
# UPLOAD_DIR/files by its SHA-256, like any stored document. No row ever refers to it, so the
# periodic upload sweep (app.core.sweep) removes it once it is older than UPLOAD_ORPHAN_TTL (a
# day by default); the page's signed reference expires well before that (CHECKED_FILE_MAX_AGE).
CHECKED_FILE_MAX_AGE = 3600
UPLOAD_MAX_BYTES = 5 * 1024 * 1024
_CHUNK = 64 * 1024


def keep_checked_file(*, stream: IO[bytes], upload_dir: str, max_bytes: int = UPLOAD_MAX_BYTES) -> str:
    """Store an uploaded file by content hash and return the hash. Raises DomainError (empty, too large)."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(_l("The file is larger than %(size)d MB. Split it into smaller files.",
                             size=max_bytes // (1024 * 1024) or 1), field="file", kind=Problem.TOO_LARGE)
    if not data.strip():
        raise DomainError(_l("The file is empty."), field="file")
    content_hash = hashlib.sha256(data).hexdigest()
    path = document_path(upload_dir, content_hash)
    if path.exists():
        path.touch()  # checked again: the sweep's clock starts over
    else:
        write_atomically(path, data)
    return content_hash


def open_checked_file(*, upload_dir: str, content_hash: str) -> IO[bytes]:
    """The stored file, verified against its hash. Raises DomainError (gone or changed)."""
    try:
        data = document_path(upload_dir, content_hash).read_bytes()
    except (OSError, ValueError):
        data = b""
    if not data or hashlib.sha256(data).hexdigest() != content_hash:
        raise DomainError(_l("The checked file is no longer here. Choose it and check it again."), field="file",
                          kind=Problem.EXPIRED)
    return io.BytesIO(data)
