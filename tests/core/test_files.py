"""app.core.files: document uploads checked by name and content, zip bombs, names, storage, sweeping.

S34 (size), S35 (type allowlist by extension and magic bytes, zip checks), S36 (server-chosen
names outside static folders), R05 (atomic write, orphan sweep). No app or database needed.
"""
from __future__ import annotations

import io
import os
import struct
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from app.core.files import (
    DOCUMENT_TYPES,
    UploadError,
    accepted_extensions,
    clean_filename,
    document_path,
    format_size,
    inspect_zip,
    store_document,
    sweep_orphans,
    type_label,
)
from app.core.timeutil import utcnow
from app.errors import Problem

ALL = set(DOCUMENT_TYPES)
MB = 1024 * 1024
STATIC = Path(__file__).resolve().parents[2] / "app" / "static"


# ---------------------------------------------------------------- sample documents
def pdf_bytes(text: str = "Briefing") -> bytes:
    """A minimal but valid one-page PDF with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 20)).save(out, format=fmt)
    return out.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="{main}"/></Types>')
OOXML = {
    "docx": ("word/document.xml",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
    "docm": ("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml"),
}
RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="{part}"/></Relationships>')


def office_bytes(kind: str = "docx", extra: dict[str, bytes] | None = None) -> bytes:
    """A small OOXML package as Word/Excel/PowerPoint write them, built with zipfile."""
    part, main = OOXML[kind]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES.format(part=part, main=main))
        z.writestr("_rels/.rels", RELS.format(part=part))
        z.writestr(part, '<?xml version="1.0"?><document><body><p>Less cardboard in paper bins</p></body></document>')
        for name, data in (extra or {}).items():
            z.writestr(zipfile.ZipInfo(name), data)
    return out.getvalue()


def odf_bytes(mimetype: str = "application/vnd.oasis.opendocument.text") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>')
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest/>')
    return out.getvalue()


def bomb_bytes(unpacked: int = 30 * MB) -> bytes:
    """A .docx whose document part is `unpacked` bytes of zeros: a few kB on disk."""
    part, main = OOXML["docx"]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES.format(part=part, main=main))
        with z.open(part, "w", force_zip64=False) as fh:
            chunk = b"\0" * MB
            for _ in range(unpacked // MB):
                fh.write(chunk)
    return out.getvalue()


def upload(data: bytes, filename: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename)


def store(tmp_path: Path, data: bytes, filename: str, *, allowed: set[str] = ALL, max_bytes: int = 5 * MB):
    return store_document(upload(data, filename), allowed=allowed, max_bytes=max_bytes, upload_dir=tmp_path)


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


# ---------------------------------------------------------------- accepted
@pytest.mark.parametrize(("data", "filename", "mimetype"), [
    (pdf_bytes(), "Brief.pdf", "application/pdf"),
    (image_bytes("PNG"), "map.png", "image/png"),
    (image_bytes("JPEG"), "photo.JPG", "image/jpeg"),
    (image_bytes("JPEG"), "photo.jpeg", "image/jpeg"),
    (image_bytes("WEBP"), "photo.webp", "image/webp"),
    (image_bytes("GIF"), "chart.gif", "image/gif"),
    (office_bytes("docx"), "Brief.docx", DOCUMENT_TYPES["docx"].mimetype),
    (office_bytes("xlsx"), "Data.xlsx", DOCUMENT_TYPES["xlsx"].mimetype),
    (office_bytes("pptx"), "Slides.pptx", DOCUMENT_TYPES["pptx"].mimetype),
    (odf_bytes(), "Brief.odt", "application/vnd.oasis.opendocument.text"),
    (odf_bytes("application/vnd.oasis.opendocument.spreadsheet"), "Data.ods",
     "application/vnd.oasis.opendocument.spreadsheet"),
    (odf_bytes("application/vnd.oasis.opendocument.presentation"), "Slides.odp",
     "application/vnd.oasis.opendocument.presentation"),
])
def test_real_documents_are_stored_by_content_hash(tmp_path, data, filename, mimetype) -> None:
    # S35, S36: the stored name is the SHA-256 of the bytes, under files/<ab>/, no extension.
    stored = store(tmp_path, data, filename)
    assert stored.mimetype == mimetype
    assert stored.size == len(data)
    assert stored.filename == filename
    path = document_path(tmp_path, stored.content_hash)
    assert path == tmp_path / "files" / stored.content_hash[:2] / stored.content_hash
    assert path.read_bytes() == data
    assert stored_files(tmp_path) == [path]  # no temporary file left behind (R05)


def test_the_allowlist_is_the_callers(tmp_path) -> None:
    # S35: a feature that accepts only PDFs refuses a perfectly good PNG.
    with pytest.raises(UploadError) as exc:
        store(tmp_path, image_bytes(), "map.png", allowed={"pdf"})
    assert exc.value.kind is Problem.INVALID  # answered with 400 (core.web.http_status)
    assert "Accepted types: .pdf" in str(exc.value)
    assert accepted_extensions({"pdf", "jpg"}) == [".pdf", ".jpeg", ".jpg"]
    assert stored_files(tmp_path) == []


# ---------------------------------------------------------------- refused by type (S35)
HTML = b"<!doctype html><html><body><script>fetch('/account/').then(r => r.text())</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><rect/></svg>'


@pytest.mark.parametrize(("data", "filename", "expected"), [
    (HTML, "brief.pdf", "not a real PDF document"),
    (SVG, "logo.png", "not a real PNG image"),
    (b"alert(document.cookie)", "script.pdf", "not a real PDF document"),
    (b"  %PDF-1.4 not at the start", "brief.pdf", "not a real PDF document"),
    (pdf_bytes(), "brief.docx", "not a real Word document"),
    (office_bytes("docx"), "brief.pdf", "not a real PDF document"),
    (office_bytes("docx"), "data.xlsx", "not a real Excel spreadsheet"),
    (office_bytes("docm"), "macros.docx", "not a real Word document"),
    (odf_bytes(), "data.ods", "not a real OpenDocument spreadsheet"),
    (image_bytes("PNG"), "photo.jpg", "not a real JPEG image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20, "broken.png", "could not be read"),
    (HTML, "page.html", "Files of type .html cannot be uploaded"),
    (SVG, "logo.svg", "Files of type .svg cannot be uploaded"),
    (b"MZ\x90\x00" + b"\x00" * 60, "setup.exe", "Files of type .exe cannot be uploaded"),
    (pdf_bytes(), "README", "has no type at its end"),
])
def test_content_and_name_must_agree(tmp_path, data, filename, expected) -> None:
    # S35: extension AND magic bytes; HTML/SVG/JS renamed .pdf or .png are refused.
    with pytest.raises(UploadError) as exc:
        store(tmp_path, data, filename)
    assert exc.value.kind is Problem.INVALID  # answered with 400 (core.web.http_status)
    assert expected in str(exc.value)
    assert stored_files(tmp_path) == []


def test_a_plain_zip_is_not_an_office_document(tmp_path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("notes.txt", "hello")
    with pytest.raises(UploadError, match="not a real Word document"):
        store(tmp_path, out.getvalue(), "notes.docx")


# ---------------------------------------------------------------- zip bombs and paths (S35)
def test_zip_bomb_docx_is_refused_fast_without_unpacking(tmp_path) -> None:
    # S35: 30 MB of zeros packed into a few kB: refused from the central directory alone.
    data = bomb_bytes()
    assert len(data) < 100_000
    started = time.perf_counter()
    with pytest.raises(UploadError, match="unpacks to far more data"):
        store(tmp_path, data, "brief.docx")
    assert time.perf_counter() - started < 0.5
    assert stored_files(tmp_path) == []


def test_declared_sizes_are_believed_before_anything_is_read(tmp_path) -> None:
    # S35: a central directory that claims 150 MB unpacked is refused as it stands.
    data = bytearray(office_bytes("docx"))
    cd = data.rfind(b"PK\x01\x02")  # the last central directory entry: word/document.xml
    compressed = struct.unpack_from("<L", data, cd + 20)[0]
    struct.pack_into("<L", data, cd + 24, max(150 * MB, compressed))
    with pytest.raises(UploadError, match="unpacks to far more data"):
        store(tmp_path, bytes(data), "brief.docx")


def test_total_unpacked_size_is_limited() -> None:
    # S35: many parts that each compress modestly but add up past the limit.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for i in range(5):
            z.writestr(f"xl/part{i}.bin", os.urandom(40_000))
    with inspect_zip(out.getvalue(), max_unpacked=10 * 40_000):
        pass
    with pytest.raises(UploadError, match="unpacks to far more data"):
        inspect_zip(out.getvalue(), max_unpacked=3 * 40_000)


def test_too_many_entries_are_refused(tmp_path) -> None:
    # S35: more than 1,000 entries is refused from the end record, before the directory is parsed.
    extra = {f"word/media/{i}.xml": b"<x/>" for i in range(1_001)}
    with pytest.raises(UploadError, match="too many parts"):
        store(tmp_path, office_bytes("docx", extra), "brief.docx")


@pytest.mark.parametrize("name", ["../../x", "word/../../x", "/etc/passwd", "..\\..\\x", "word\\x.xml",
                                  "C:/Windows/x", "word/a\x01b.xml"])
def test_entries_that_could_escape_a_folder_are_refused(tmp_path, name) -> None:
    # S35: no path in archive entries; nothing is ever extracted, but such a file is refused outright.
    with pytest.raises(UploadError, match="unsafe name"):
        store(tmp_path, office_bytes("docx", {name: b"x"}), "brief.docx")
    assert stored_files(tmp_path) == []


def test_duplicate_and_encrypted_entries_are_refused(tmp_path) -> None:
    data = office_bytes("docx")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        with pytest.warns(UserWarning, match="Duplicate name"):
            dst.writestr("word/document.xml", "<other/>")
    with pytest.raises(UploadError, match="unsafe name"):
        store(tmp_path, out.getvalue(), "brief.docx")
    encrypted = bytearray(data)
    cd = encrypted.rfind(b"PK\x01\x02")
    encrypted[cd + 8] |= 0x01  # general purpose flag bit 0: encrypted
    with pytest.raises(UploadError, match="encrypted"):
        store(tmp_path, bytes(encrypted), "brief.docx")


def test_damaged_zip_is_refused(tmp_path) -> None:
    data = office_bytes("docx")
    with pytest.raises(UploadError, match="damaged"):
        store(tmp_path, data[: len(data) // 2], "brief.docx")


# ---------------------------------------------------------------- sizes (S34)
class EndlessStream:
    """A client that never stops sending: counts what was read."""

    def __init__(self) -> None:
        self.read_total = 0

    def read(self, size: int = -1) -> bytes:
        assert size >= 0, "an unbounded read"
        self.read_total += size
        return b"%PDF-" + b"0" * (size - 5)


def test_at_most_max_bytes_plus_one_are_read(tmp_path) -> None:
    # S34: too big -> 413 with a readable limit; the stream is never read past the limit.
    stream = EndlessStream()
    with pytest.raises(UploadError) as exc:
        store_document(FileStorage(stream=stream, filename="huge.pdf"), allowed=ALL, max_bytes=MB,
                       upload_dir=tmp_path)
    assert exc.value.kind is Problem.TOO_LARGE  # answered with 413
    assert "larger than 1 MB" in str(exc.value)
    assert stream.read_total == MB + 1
    assert stored_files(tmp_path) == []


def test_exactly_the_limit_is_accepted_and_empty_files_are_not(tmp_path) -> None:
    data = pdf_bytes()
    assert store(tmp_path, data, "a.pdf", max_bytes=len(data)).size == len(data)
    with pytest.raises(UploadError) as exc:
        store(tmp_path, data, "a.pdf", max_bytes=len(data) - 1)
    assert exc.value.kind is Problem.TOO_LARGE  # answered with 413
    with pytest.raises(UploadError) as exc:
        store(tmp_path, b"", "empty.pdf")
    assert exc.value.kind is Problem.INVALID  # answered with 400 (core.web.http_status)
    assert "empty" in str(exc.value)


# ---------------------------------------------------------------- names and storage (S36)
@pytest.mark.parametrize(("raw", "clean"), [
    ("../../app.py", "app.py"),
    ("..\\..\\app.pdf", "app.pdf"),
    ("C:\\Users\\Ida\\Desktop\\Brief.pdf", "Brief.pdf"),
    ("/etc/passwd", "passwd"),
    (".htaccess.pdf", "htaccess.pdf"),
    ("...pdf", "attachment.pdf"),
    (".pdf", "attachment.pdf"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),
    ("a\x00b\r\n\tc.pdf", "abc.pdf"),
    ("zero\u200bwidth.pdf", "zerowidth.pdf"),
    ("Årsrapport – Ørestad 2026.pdf", "Årsrapport – Ørestad 2026.pdf"),
    ("Ни\u0301ва  ходьба.docx", "Ни\u0301ва ходьба.docx"),
    ('what "is" <this>?.pdf', "what _is_ _this__.pdf"),
    ("CON.pdf", "_CON.pdf"),
    ("", "attachment"),
    (None, "attachment"),
    ("\u202e\u200f", "attachment"),
])
def test_file_names_are_cleaned_to_metadata(raw, clean) -> None:
    # S36: no folders, control or bidi characters, no hidden files; letters of any script kept.
    assert clean_filename(raw) == clean


def test_long_names_keep_their_extension() -> None:
    name = clean_filename("ø" * 400 + ".pdf")
    assert len(name) == 150
    assert name.endswith("ø.pdf")


def test_a_path_in_the_name_never_chooses_where_the_file_goes(tmp_path) -> None:
    # S36: "../../app.py" is refused (not an allowed type) and nothing is written anywhere;
    # "../../app.pdf" is stored under its hash inside UPLOAD_DIR, the name kept only as metadata.
    uploads = tmp_path / "uploads"
    with pytest.raises(UploadError):
        store(uploads, pdf_bytes(), "../../app.py")
    assert stored_files(tmp_path) == []
    stored = store(uploads, pdf_bytes(), "../../app.pdf")
    assert stored.filename == "app.pdf"
    assert stored_files(tmp_path) == [uploads / "files" / stored.content_hash[:2] / stored.content_hash]
    assert not (tmp_path / "app.pdf").exists()
    # Outside the static folder: the web server never serves it by itself.
    assert STATIC not in document_path(uploads, stored.content_hash).resolve().parents
    with pytest.raises(ValueError, match="not a content hash"):
        document_path(uploads, "../../app.py")


def test_identical_content_is_stored_once(tmp_path) -> None:
    first = store(tmp_path, pdf_bytes(), "one.pdf")
    path = document_path(tmp_path, first.content_hash)
    os.utime(path, (1_000_000, 1_000_000))
    second = store(tmp_path, pdf_bytes(), "two.pdf")
    assert second.content_hash == first.content_hash
    assert second.filename == "two.pdf"
    assert stored_files(tmp_path) == [path]
    assert path.stat().st_mtime > 1_000_000  # refreshed, so a sweep does not take it before the commit


# ---------------------------------------------------------------- sweeping orphans (R05)
def test_sweep_removes_only_old_unreferenced_files_and_stale_temporaries(tmp_path) -> None:
    kept = store(tmp_path, pdf_bytes("kept"), "kept.pdf").content_hash
    orphan = store(tmp_path, pdf_bytes("orphan"), "orphan.pdf").content_hash
    young = store(tmp_path, pdf_bytes("young"), "young.pdf").content_hash
    stale_tmp = document_path(tmp_path, orphan).parent / ".tmp-abandoned"
    stale_tmp.write_bytes(b"half a file")
    old = time.time() - 3 * 3600
    for path in (document_path(tmp_path, kept), document_path(tmp_path, orphan), stale_tmp):
        os.utime(path, (old, old))
    unrelated = tmp_path / "images" / "ab" / "logo.png"  # other kinds of upload are not ours to sweep
    unrelated.parent.mkdir(parents=True)
    unrelated.write_bytes(b"png")
    os.utime(unrelated, (old, old))

    removed = sweep_orphans(tmp_path, {kept}, timedelta(hours=1))

    assert sorted(removed) == sorted([orphan, ".tmp-abandoned"])
    assert document_path(tmp_path, kept).exists()
    assert document_path(tmp_path, young).exists()  # may belong to a transaction still running
    assert not document_path(tmp_path, orphan).exists()
    assert not stale_tmp.exists()
    assert unrelated.exists()
    # Once old enough, the young orphan goes too; the clock the app reads decides "now".
    assert sweep_orphans(tmp_path, {kept}, timedelta(hours=1), now=utcnow() + timedelta(hours=2)) == [young]
    assert sweep_orphans(tmp_path / "nothing-here", set(), timedelta(0)) == []


# ---------------------------------------------------------------- display helpers
def test_sizes_and_types_read_well_per_locale() -> None:
    assert format_size(512, "en") == "512 bytes"
    assert format_size(1, "en") == "1 byte"
    assert format_size(20 * 1024, "en") == "20 kB"
    assert format_size(int(1.5 * MB), "en") == "1.5 MB"
    assert format_size(int(1.5 * MB), "da") == "1,5 MB"
    assert format_size(20 * MB, "sv") == "20 MB"
    assert type_label("application/pdf") == "PDF document"
    assert type_label("application/x-unknown") == "application/x-unknown"
