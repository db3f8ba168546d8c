"""The demo mailbox: sent mail kept as .eml files under MAILBOX_DIR instead of leaving the machine.

One file per message, named `<UTC timestamp>-<outbox id>-<random>.eml`; that stem is the key the
demo mailbox page uses. Keys are checked against a strict pattern and looked up inside the
directory, so a request can never name a file elsewhere.
"""
from __future__ import annotations

import email
import email.policy
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import cast

from markupsafe import Markup, escape

from app.core.timeutil import as_utc

KEY_RE = re.compile(r"^[0-9]{20}-[0-9]{1,12}-[0-9a-f]{8}$")


@dataclass(frozen=True)
class MailboxEntry:
    key: str
    to: str
    subject: str
    sent_at: datetime | None


def write_message(directory: str | Path, message: EmailMessage, *, outbox_id: int, when: datetime) -> str:
    """Write `message` atomically as a new .eml file; returns its key."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    key = f"{as_utc(when):%Y%m%d%H%M%S%f}-{outbox_id:010d}-{secrets.token_hex(4)}"
    tmp = folder / f".{key}.tmp"
    tmp.write_bytes(message.as_bytes())
    # Readers list *.eml only, so they never see a half-written file.
    os.replace(tmp, folder / f"{key}.eml")
    return key


def _parse(path: Path) -> EmailMessage:
    with path.open("rb") as fh:
        return cast(EmailMessage, email.message_from_binary_file(fh, policy=email.policy.default))


def _date(message: EmailMessage) -> datetime | None:
    try:
        return as_utc(parsedate_to_datetime(str(message["Date"])))
    except (TypeError, ValueError):
        return None


def list_messages(directory: str | Path, *, limit: int = 200) -> list[MailboxEntry]:
    """The newest `limit` messages in the mailbox, newest first."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    paths = sorted((p for p in folder.glob("*.eml") if KEY_RE.match(p.stem)), key=lambda p: p.stem,
                   reverse=True)[:limit]
    entries = []
    for path in paths:
        try:
            message = _parse(path)
        except OSError:  # removed meanwhile
            continue
        entries.append(MailboxEntry(key=path.stem, to=str(message["To"] or ""),
                                    subject=str(message["Subject"] or ""), sent_at=_date(message)))
    return entries


def read_message(directory: str | Path, key: str) -> EmailMessage | None:
    """The message stored under `key`, or None if there is no such message."""
    if not KEY_RE.match(key):
        return None
    path = Path(directory) / f"{key}.eml"
    try:
        return _parse(path)
    except OSError:
        return None


def message_date(message: EmailMessage) -> datetime | None:
    return _date(message)


_URL_RE = re.compile(r"https?://[^\s<>\"'`]+")
_TRAILING = ".,;:!?)]}"


def is_own_url(url: str, base_url: str) -> bool:
    """True for links on our canonical address; `http://localhost.evil.example` is not ours."""
    base = base_url.rstrip("/")
    return url == base or url.startswith((base + "/", base + "?", base + "#"))


def linkify(text: str, base_url: str) -> Markup:
    """Escape `text`, turning only links that start with BASE_URL into anchors."""
    parts: list[Markup] = []
    position = 0
    for match in _URL_RE.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        start, end = match.start(), match.start() + len(url)
        parts.append(escape(text[position:start]))
        if is_own_url(url, base_url):
            parts.append(Markup('<a href="{0}">{0}</a>').format(url))
        else:
            parts.append(escape(url))
        position = end
    parts.append(escape(text[position:]))
    return Markup("").join(parts)
