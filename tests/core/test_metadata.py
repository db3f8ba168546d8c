"""S38: author metadata is stripped from files served to blind readers, under neutral names."""
from __future__ import annotations

import zipfile
from io import BytesIO

import pytest
from PIL import Image, PngImagePlugin
from pypdf import PdfReader, PdfWriter

from app.core.metadata import MetadataError, neutral_filename, strip_author_metadata

MARKER = "ZyxwvAuthorMarker"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"


def _pdf(encrypt: bool = False) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Author": MARKER, "/Creator": MARKER, "/Title": "Concept"})
    if encrypt:
        writer.encrypt("secret")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _docx() -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("docProps/core.xml",
                   '<cp:coreProperties xmlns:cp="x" xmlns:dc="y"><dc:title>Concept</dc:title>'
                   f'<dc:creator>{MARKER}</dc:creator><cp:lastModifiedBy>{MARKER}</cp:lastModifiedBy>'
                   '</cp:coreProperties>')
        z.writestr("docProps/app.xml", f"<Properties><Company>{MARKER}</Company></Properties>")
        z.writestr("word/document.xml", f'<w:document><w:ins w:author="{MARKER}" w:id="1">Text</w:ins></w:document>')
        z.writestr("word/comments.xml", f'<w:comments><w:comment w:author="{MARKER}" w:initials="ZA"/></w:comments>')
    return out.getvalue()


def _odt() -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), ODT)
        z.writestr("meta.xml", f"<office:meta><meta:initial-creator>{MARKER}</meta:initial-creator>"
                               f"<dc:creator>{MARKER}</dc:creator></office:meta>")
        z.writestr("content.xml", "<office:document-content>Text</office:document-content>")
    return out.getvalue()


def _jpeg() -> bytes:
    image = Image.new("RGB", (20, 20), "teal")
    exif = Image.Exif()
    exif[0x013B] = MARKER  # Artist
    out = BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", MARKER)
    out = BytesIO()
    Image.new("RGB", (20, 20), "teal").save(out, "PNG", pnginfo=info)
    return out.getvalue()


@pytest.mark.parametrize(("make", "mimetype"), [
    (_pdf, "application/pdf"), (_docx, DOCX), (_odt, ODT), (_jpeg, "image/jpeg"), (_png, "image/png"),
])
def test_author_marker_is_gone_and_the_file_still_opens(make, mimetype):  # S38
    original = make()
    assert MARKER.encode() in original
    clean = strip_author_metadata(original, mimetype)
    assert MARKER.encode() not in clean
    if mimetype == "application/pdf":
        reader = PdfReader(BytesIO(clean))
        assert len(reader.pages) == 1
        assert not (reader.metadata or {}).get("/Author")
    elif mimetype.startswith("image/"):
        with Image.open(BytesIO(clean)) as image:
            assert image.size == (20, 20)
    else:
        with zipfile.ZipFile(BytesIO(clean)) as z:
            assert z.testzip() is None
            if mimetype == ODT:
                assert z.infolist()[0].filename == "mimetype"
                assert z.infolist()[0].compress_type == zipfile.ZIP_STORED
            else:
                assert b"<dc:title>Concept</dc:title>" in z.read("docProps/core.xml")


def test_a_file_that_cannot_be_cleaned_is_flagged():  # S38: flag rather than serve as clean
    with pytest.raises(MetadataError):
        strip_author_metadata(_pdf(encrypt=True), "application/pdf")
    with pytest.raises(MetadataError):
        strip_author_metadata(b"%PDF-1.4 not really", "application/pdf")
    with pytest.raises(MetadataError):
        strip_author_metadata(b"hello", "text/html")


def test_neutral_filename_says_nothing_about_the_author():  # S38
    assert neutral_filename(42, 1, "Anna Svensson - koncept.PDF") == "submission-42-1.pdf"
    assert neutral_filename(42, 2, "no-extension") == "submission-42-2.bin"
