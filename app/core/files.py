"""Document uploads: PDFs, images and office files, checked by name and content, stored by hash.

Shared by every feature that takes attachments (challenge briefings, concepts). The rules come
from CHECKLIST S34-S36 and R05:

- at most `max_bytes` are ever read: more is a 413, nothing is a 400 (S34);
- the extension and the content (magic bytes, via `filetype`) must both name the same allowed
  type; zip-based office files are judged by their central directory, which is read without
  extracting anything: too many entries, too much unpacked data, a suspicious compression ratio or
  an entry path that could escape a folder ("../", "/abs", "C:", backslashes) is refused before any
  other processing (S35);
- the bytes are stored under UPLOAD_DIR/files/<ab>/<sha256>: a name the server chose, outside any
  static folder, so a client never picks a path and identical content is stored once (S36); the
  original name is cleaned and kept only as metadata;
- the file is written atomically (temporary file in the same folder + os.replace) before the
  database commit; if the commit then fails, the content-addressed file is an orphan that
  `sweep_orphans` removes later (R05).

This module knows no feature: callers pass the allowlist and the limits.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import struct
import unicodedata
import warnings
import zipfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import filetype
from babel.units import format_unit
from PIL import Image, UnidentifiedImageError

from app.errors import Problem
from app.i18n import _l

from .timeutil import utcnow
from .uploads import MAX_PIXELS, TMP_PREFIX, UploadError, write_atomically

# Marks a column that names stored bytes by their SHA-256: mapped_column(String(64), info=STORED_FILE).
# The orphan sweep (app.core.sweep) keeps every file such a column refers to, and removes the rest.
STORED_FILE = {"stored_file": True}

__all__ = [
    "DOCUMENT_TYPES", "DocumentType", "StoredFile", "UploadError", "accepted_extensions", "clean_filename",
    "document_path", "format_size", "inspect_zip", "store_document", "sweep_orphans", "type_label",
]

MIB = 1024 * 1024
FILENAME_MAX = 150
FALLBACK_NAME = "attachment"
# Zip-based office files (S35): refuse archive bombs from what the central directory declares.
ZIP_MAX_ENTRIES = 1_000
ZIP_MAX_UNPACKED = 100 * MIB
ZIP_MAX_RATIO = 100
# Small entries may compress very well (repetitive XML) without being a threat; the ratio rule
# applies from this unpacked size on, the total above bounds the rest.
ZIP_RATIO_FROM = 1 * MIB
# Metadata members we read to tell the office formats apart: tiny in any real file.
ZIP_META_MAX = 1 * MIB
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
_EXT_RE = re.compile(r"^[A-Za-z0-9]{1,10}$")
_ZIP_LOCAL = b"PK\x03\x04"
_ZIP_EMPTY = b"PK\x05\x06"
_ZIP_EOCD = struct.Struct("<4s4H2LH")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


@dataclass(frozen=True)
class DocumentType:
    key: str                      # the canonical extension, used in allowlists
    mimetype: str
    extensions: frozenset[str]    # lowercase, without the dot
    label: Any                    # lazily translated, e.g. "PDF document"
    family: str                   # "pdf", "image", "ooxml" or "odf"
    pil_format: str | None = None


def _type(key: str, mimetype: str, label: Any, family: str, *, extensions: Iterable[str] = (),
          pil_format: str | None = None) -> DocumentType:
    return DocumentType(key, mimetype, frozenset({key, *extensions}), label, family, pil_format)


DOCUMENT_TYPES: dict[str, DocumentType] = {t.key: t for t in (
    _type("pdf", "application/pdf", _l("PDF document"), "pdf"),
    _type("png", "image/png", _l("PNG image"), "image", pil_format="PNG"),
    _type("jpeg", "image/jpeg", _l("JPEG image"), "image", extensions=("jpg",), pil_format="JPEG"),
    _type("webp", "image/webp", _l("WebP image"), "image", pil_format="WEBP"),
    _type("gif", "image/gif", _l("GIF image"), "image", pil_format="GIF"),
    _type("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          _l("Word document"), "ooxml"),
    _type("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          _l("Excel spreadsheet"), "ooxml"),
    _type("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
          _l("PowerPoint presentation"), "ooxml"),
    _type("odt", "application/vnd.oasis.opendocument.text", _l("OpenDocument text"), "odf"),
    _type("ods", "application/vnd.oasis.opendocument.spreadsheet", _l("OpenDocument spreadsheet"), "odf"),
    _type("odp", "application/vnd.oasis.opendocument.presentation", _l("OpenDocument presentation"), "odf"),
)}
_BY_MIME = {t.mimetype: t for t in DOCUMENT_TYPES.values()}
# OOXML: the content type of the main part, declared in [Content_Types].xml, and the folder that
# holds it. Macro-enabled variants (.docm etc.) declare other types and are therefore refused.
_OOXML_MAIN = {
    "docx": (b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "word/"),
    "xlsx": (b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "xl/"),
    "pptx": (b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml", "ppt/"),
}


@dataclass(frozen=True)
class StoredFile:
    content_hash: str   # SHA-256 hex digest: the stored name
    size: int           # bytes
    mimetype: str       # from the sniffed type, never from the client
    filename: str       # the cleaned original name: metadata only (S36)


# ---------------------------------------------------------------- names, types, sizes
def _allowed_types(allowed: Collection[str]) -> list[DocumentType]:
    wanted = {a.lower().lstrip(".") for a in allowed}
    return [t for t in DOCUMENT_TYPES.values() if t.key in wanted or t.extensions & wanted]


def accepted_extensions(allowed: Collection[str]) -> list[str]:
    """The file name extensions an allowlist accepts, e.g. [".pdf", ".png", ...], for hints and `accept`."""
    return [f".{ext}" for t in _allowed_types(allowed) for ext in sorted(t.extensions)]


def type_label(mimetype: str) -> str:
    """A readable, translated name for a stored mimetype ("PDF document")."""
    kind = _BY_MIME.get(mimetype)
    return str(kind.label) if kind else mimetype


def format_size(num_bytes: int, locale: Any = None) -> str:
    """A file size for people, in the current locale: "820 kB", "1,5 MB" (binary multiples)."""
    if locale is None:
        locale = "en"
        with contextlib.suppress(RuntimeError, AttributeError, KeyError):
            from flask_babel import get_locale

            locale = get_locale() or "en"
    if num_bytes < 1024:
        return format_unit(num_bytes, "digital-byte", length="long", locale=locale)  # "589 bytes"
    if num_bytes < MIB:
        return format_unit(round(num_bytes / 1024), "digital-kilobyte", length="short", locale=locale)
    return format_unit(num_bytes / MIB, "digital-megabyte", length="short", locale=locale, format="#,##0.#")


def _visible(text: str) -> str:
    """Drop control and format characters (bidi overrides, zero-width), line separators; fold spaces."""
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if category[0] == "C" or category in ("Zl", "Zp"):
            continue
        if category == "Zs":
            ch = " "
        elif ch in '<>:"|?*':  # refused by Windows; quotes would also need escaping in headers
            ch = "_"
        out.append(ch)
    return " ".join("".join(out).split())


def clean_filename(name: str | None, fallback: str = FALLBACK_NAME) -> str:
    """A safe display/download name from a client-supplied one: metadata only, never a path (S36).

    Keeps letters of any script; removes folders, control and bidi characters and leading dots;
    at most 150 characters with the extension kept; `fallback` when nothing is left.
    """
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", name or ""))[-1]
    stem, dot, ext = base.rpartition(".")
    ext = _visible(ext)
    if not dot or not _EXT_RE.match(ext):
        stem, ext = base, ""
    stem = _visible(stem).strip(". ")
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    stem = stem or fallback
    room = FILENAME_MAX - (len(ext) + 1 if ext else 0)
    stem = stem[:room].rstrip(". ") or fallback
    return f"{stem}.{ext}" if ext else stem


def document_path(upload_dir: str | os.PathLike[str], content_hash: str) -> Path:
    """Where the document with this hash lives. Raises ValueError for anything but a SHA-256 hex digest."""
    if not _HASH_RE.match(content_hash or ""):
        raise ValueError("not a content hash")
    return Path(upload_dir) / "files" / content_hash[:2] / content_hash


# ---------------------------------------------------------------- checks
def _read_limited(file_storage: Any, max_bytes: int) -> bytes:
    stream = getattr(file_storage, "stream", file_storage)
    with contextlib.suppress(AttributeError, OSError):
        stream.seek(0)
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadError(_l("The file is larger than %(size)s. Please choose a smaller file.",
                             size=format_size(max_bytes)), kind=Problem.TOO_LARGE)
    return data


def _looks_like_zip(data: bytes) -> bool:
    return data[:4] in (_ZIP_LOCAL, _ZIP_EMPTY)


def _unsafe_member_name(name: str) -> bool:
    if not name or "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return True
    if any(unicodedata.category(ch)[0] == "C" for ch in name):
        return True
    return ".." in name.split("/")


def inspect_zip(data: bytes, *, max_entries: int = ZIP_MAX_ENTRIES, max_unpacked: int = ZIP_MAX_UNPACKED,
                max_ratio: int = ZIP_MAX_RATIO) -> zipfile.ZipFile:
    """Open a zip from its central directory only, refusing bombs and escaping paths (S35).

    Nothing is decompressed here. Raises UploadError.
    """
    unreadable = UploadError(_l("The file could not be read: it is damaged or not a real document."))
    # The end record gives the entry count before the central directory is even parsed.
    eocd = data.rfind(b"PK\x05\x06", max(0, len(data) - (_ZIP_EOCD.size + 0xFFFF)))
    if eocd < 0 or len(data) - eocd < _ZIP_EOCD.size:
        raise unreadable
    _sig, disk, cd_disk, _here, entries, _cd_size, cd_offset, _comment = _ZIP_EOCD.unpack_from(data, eocd)
    if disk or cd_disk or entries == 0xFFFF or cd_offset == 0xFFFFFFFF:
        raise unreadable  # multi-volume or ZIP64: never needed for a document of our size
    too_many = UploadError(_l("The document contains too many parts (more than %(num)d). Please save it "
                              "again or export it as PDF.", num=max_entries))
    if entries > max_entries:
        raise too_many
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, struct.error, OSError, EOFError,
            NotImplementedError, UnicodeDecodeError):
        raise unreadable from None
    bomb = UploadError(_l("The document unpacks to far more data than its size suggests, so it was refused "
                          "for safety. Please save it again or export it as PDF."))
    try:
        infos = archive.infolist()
        if len(infos) > max_entries:
            raise too_many
        seen: set[str] = set()
        total = 0
        for info in infos:
            if (_unsafe_member_name(info.filename) or _unsafe_member_name(info.orig_filename)
                    or info.filename in seen):
                raise UploadError(_l("The document contains a part with an unsafe name, so it was refused. "
                                     "Please save it again or export it as PDF."))
            seen.add(info.filename)
            if info.flag_bits & 0x1:
                raise UploadError(_l("The document contains encrypted parts. Please remove the password "
                                     "and upload it again."))
            total += info.file_size
            if total > max_unpacked:
                raise bomb
            if info.file_size >= ZIP_RATIO_FROM and info.file_size > max_ratio * max(info.compress_size, 1):
                raise bomb
        if total >= ZIP_RATIO_FROM and total > max_ratio * max(len(data), 1):
            raise bomb
    except BaseException:
        archive.close()
        raise
    return archive


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > ZIP_META_MAX:
        return None
    try:
        with archive.open(info) as fh:
            return fh.read(ZIP_META_MAX + 1)[:ZIP_META_MAX]
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError, RuntimeError):
        return None


def _office_type(archive: zipfile.ZipFile) -> DocumentType | None:
    """Which office format a (checked) zip is, from its `mimetype` or [Content_Types].xml part."""
    names = archive.namelist()
    mimetype = _read_member(archive, "mimetype")
    if mimetype is not None:
        kind = _BY_MIME.get(mimetype.strip().decode("ascii", "replace"))
        return kind if kind is not None and kind.family == "odf" else None
    content_types = _read_member(archive, "[Content_Types].xml")
    if content_types is None:
        return None
    for key, (main_type, folder) in _OOXML_MAIN.items():
        if main_type in content_types and any(n.startswith(folder) for n in names):
            return DOCUMENT_TYPES[key]
    return None


def _sniff(data: bytes) -> DocumentType | None:
    """The document type the bytes really are, or None. Raises UploadError for unsafe archives."""
    if _looks_like_zip(data):
        with inspect_zip(data) as archive:
            return _office_type(archive)
    kind = filetype.guess(data)
    if kind is None:
        return None
    found = _BY_MIME.get(kind.mime)
    if found is None or found.family not in ("pdf", "image"):
        return None
    if found.family == "pdf" and not data.startswith(b"%PDF-"):
        return None
    return found


def _check_image(data: bytes, kind: DocumentType) -> None:
    """Images must really decode as what they claim, within a sane size. Raises UploadError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=[kind.pil_format or ""]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise Image.DecompressionBombError("too many pixels")
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadError(_l("The image is too large in width and height. Please make it smaller.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error):
        raise UploadError(_l("The image could not be read. Please save it again.")) from None


def _type_names(types: Iterable[DocumentType]) -> str:
    return ", ".join(f".{t.key}" for t in types)


# ---------------------------------------------------------------- storing
def store_document(file_storage: Any, *, allowed: Collection[str], max_bytes: int,
                   upload_dir: str | os.PathLike[str]) -> StoredFile:
    """Check an uploaded document against the allowlist (type keys or extensions) and store it.

    Raises UploadError (a DomainError): status 413 when larger than `max_bytes`, else 400.
    """
    data = _read_limited(file_storage, max_bytes)
    if not data:
        raise UploadError(_l("The file is empty. Please choose another file."))
    types = _allowed_types(allowed)
    filename = clean_filename(getattr(file_storage, "filename", None))
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    claimed = next((t for t in types if ext in t.extensions), None)
    if claimed is None:
        if ext:
            raise UploadError(_l("Files of type .%(ext)s cannot be uploaded here. Accepted types: %(types)s.",
                                 ext=ext, types=_type_names(types)))
        raise UploadError(_l("The file name has no type at its end (such as .pdf). Accepted types: %(types)s.",
                             types=_type_names(types)))
    actual = _sniff(data)  # zip archives are checked here, before anything else reads them
    if actual is None or actual.key != claimed.key:
        raise UploadError(_l("The content of this file does not match its name: it is not a real %(kind)s "
                             "(.%(ext)s). Please save it again in that format.", kind=claimed.label, ext=ext))
    if actual.family == "image":
        _check_image(data, actual)
    digest = hashlib.sha256(data).hexdigest()
    target = document_path(upload_dir, digest)
    if target.exists():
        # Same content already stored: refresh its age so a running sweep does not take it
        # between now and the caller's commit.
        os.utime(target)
    else:
        write_atomically(target, data)
    return StoredFile(content_hash=digest, size=len(data), mimetype=actual.mimetype, filename=filename)


def sweep_orphans(upload_dir: str | os.PathLike[str], referenced_hashes: Collection[str],
                  older_than: timedelta, *, now: datetime | None = None) -> list[str]:
    """Delete stored documents no row refers to, and stale temporary files, older than `older_than` (R05).

    The age guard protects files written for a transaction that has not committed yet. Returns
    the content hashes (and temporary file names) removed.
    """
    root = Path(upload_dir) / "files"
    if not root.is_dir():
        return []
    cutoff = (now or utcnow()).timestamp() - older_than.total_seconds()
    referenced = set(referenced_hashes)
    removed: list[str] = []
    for shard in sorted(root.iterdir()):
        if not shard.is_dir() or len(shard.name) != 2:
            continue
        for path in sorted(shard.iterdir()):
            name = path.name
            is_orphan = bool(_HASH_RE.match(name)) and name.startswith(shard.name) and name not in referenced
            if not (is_orphan or name.startswith(TMP_PREFIX)):
                continue
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed.append(name)
            except FileNotFoundError:
                continue
    return removed
