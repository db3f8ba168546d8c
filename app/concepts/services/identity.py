"""Does a concept name its own team? The one identity check of blind judging (S19, S38, P09).

Used twice: the submit page of a blind challenge warns the team ("your concept mentions ..."),
and judging stores what it finds in the submitted version on the entry's label when judging
starts, so the chair sees the entries that identify themselves. Both call `identity_mentions`.

Rules: case-insensitive; names match as whole words (so "Ann" does not match "annual"), and a
display name also matches by each of its words of 3 letters or more (a surname alone names a
person); names shorter than 3 letters are ignored; emails and institutions match as substrings.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path
from typing import Any

from app.core.files import document_path
from app.core.metadata import ODF_TYPES, OOXML_TYPES

MIN_NAME_LETTERS = 3
# Files larger than this are not read for text (the check is a warning, not a scan of everything).
MAX_TEXT_BYTES = 20 * 1024 * 1024
_TAG = re.compile(r"<[^>]+>")


def _letters(value: str) -> int:
    return sum(ch.isalpha() for ch in value)


def _name_terms(name: str) -> list[str]:
    name = " ".join((name or "").split())
    if _letters(name) < MIN_NAME_LETTERS:
        return []
    terms = [name]
    words = [w for w in re.split(r"[\s,]+", name) if _letters(w) >= MIN_NAME_LETTERS]
    if len(words) > 1:
        terms += words
    return terms


def _whole_word(term: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE) is not None


def identity_mentions(*, texts: Iterable[str], people: Iterable[Any]) -> list[str]:
    """What in `texts` names one of `people` (objects with display_name, email, institution):
    the matched names, emails and institutions as they are written in the profile, each once,
    in the order of the people."""
    corpus = "\n".join(t for t in texts if t)
    if not corpus.strip():
        return []
    lowered = corpus.lower()
    found: list[str] = []

    def add(value: str) -> None:
        if value not in found:
            found.append(value)

    for person in people:
        for term in _name_terms(getattr(person, "display_name", "") or ""):
            if _whole_word(term, corpus):
                add(term)
        email = (getattr(person, "email", "") or "").strip()
        if email and email.lower() in lowered:
            add(email)
        institution = " ".join((getattr(person, "institution", "") or "").split())
        if _letters(institution) >= MIN_NAME_LETTERS and _whole_word(institution, corpus):
            add(institution)
    return found


def file_text(data: bytes, mimetype: str) -> str:
    """The readable text of a stored file (PDF pages, office and OpenDocument XML); "" otherwise."""
    if len(data) > MAX_TEXT_BYTES:
        return ""
    if mimetype == "application/pdf":
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError

        try:
            reader = PdfReader(BytesIO(data))
            return "\n".join(page.extract_text() or "" for page in reader.pages)
        except (PyPdfError, ValueError, KeyError, TypeError, OSError):
            return ""
    if mimetype in OOXML_TYPES or mimetype in ODF_TYPES:
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                parts = []
                for name in archive.namelist():
                    if name.endswith(".xml") and not name.startswith(("docProps/", "meta")):
                        xml = archive.read(name)[:MAX_TEXT_BYTES].decode("utf-8", "replace")
                        parts.append(_TAG.sub(" ", xml))
                return "\n".join(parts)
        except (zipfile.BadZipFile, OSError, KeyError):
            return ""
    if mimetype.startswith("text/"):
        return data.decode("utf-8", "replace")
    return ""


def _stored_text(upload_dir: str | Path, content_hash: str, mimetype: str) -> str:
    try:
        data = document_path(upload_dir, content_hash).read_bytes()
    except (OSError, ValueError):
        return ""
    return file_text(data, mimetype)


def draft_mentions(concept: Any, *, upload_dir: str | Path) -> list[str]:
    """The identity check on a draft: its title, summary, body and files, against its members."""
    texts = [concept.title or "", concept.summary or "", concept.body_md or ""]
    texts += [_stored_text(upload_dir, a.content_hash, a.mimetype) for a in concept.attachments]
    people = [m.user for m in concept.members if m.user is not None]
    return identity_mentions(texts=texts, people=people)


def version_mentions(version: Any, people: Iterable[Any], *, upload_dir: str | Path) -> list[str]:
    """The identity check on a frozen version (what the jury reads), against `people` (its team)."""
    texts = [version.title or "", version.summary or "", version.body_md or ""]
    texts += [_stored_text(upload_dir, f.content_hash, f.mimetype) for f in version.files]
    return identity_mentions(texts=texts, people=people)
