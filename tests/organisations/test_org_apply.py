"""Applying for an organisation: validation, mass assignment, slugs, time zones, logo uploads."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from org_helpers import csrf_of, png_bytes
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.db import db


def _data(client, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "csrf_token": csrf_of(client, "/organisations/new"), "name": "Bergen kommune", "kind": "municipality",
        "country": "NO", "website": "https://www.bergen.kommune.no", "description": "Rain and fjords.",
        "contact_email": "personvern@bergen.kommune.no", "timezone": "",
    }
    data.update(overrides)
    return data


def _post(client, **overrides: object):
    return client.post("/organisations/new", data=_data(client, **overrides), content_type="multipart/form-data")


def _orgs(app) -> list:
    from app.organisations.models import Organisation

    with app.app_context():
        return [(o.slug, o.status, o.timezone, o.logo_hash, o.created_by_id)
                for o in db.session.scalars(select(Organisation).order_by(Organisation.id))]


def test_anonymous_and_unverified_users_cannot_apply(client, logged_in) -> None:
    response = client.get("/organisations/new")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    logged_in("unverified")
    response = client.get("/organisations/new")
    assert response.status_code == 302
    assert "/account" in response.headers["Location"]


def test_form_is_accessible_and_marks_the_privacy_contact(client, logged_in) -> None:
    logged_in("user")
    html = client.get("/organisations/new").get_data(as_text=True)
    assert html.count("<h1") == 1
    assert 'enctype="multipart/form-data"' in html
    assert 'autocomplete="organization"' in html
    assert "Contact email for privacy questions" in html  # P07
    assert 'href="/privacy"' in html
    assert 'accept="image/png,image/jpeg,image/webp"' in html


def test_time_zone_defaults_by_country_and_can_be_chosen(app, client, logged_in) -> None:
    logged_in("user")
    assert _post(client, name="Bergen kommune", country="NO").status_code == 302
    assert _post(client, name="Malmö stad", country="SE").status_code == 302
    assert _post(client, name="Odense Kommune", country="DK").status_code == 302
    assert _post(client, name="Helsinki", country="other", timezone="Europe/Helsinki").status_code == 302
    zones = {slug: tz for slug, _, tz, _, _ in _orgs(app)}
    assert zones == {"bergen-kommune": "Europe/Oslo", "malmo-stad": "Europe/Stockholm",
                     "odense-kommune": "Europe/Copenhagen", "helsinki": "Europe/Helsinki"}


@pytest.mark.both_databases
def test_slugs_are_unique_and_never_shadow_routes(app, client, logged_in) -> None:
    logged_in("user")
    for _ in range(3):
        assert _post(client, name="Bergen kommune").status_code == 302
    assert _post(client, name="New").status_code == 302
    assert _post(client, name="!!!").status_code == 302
    slugs = [slug for slug, *_ in _orgs(app)]
    assert slugs == ["bergen-kommune", "bergen-kommune-2", "bergen-kommune-3", "new-2", "organisation"]
    assert client.get("/organisations/new-2").status_code == 200


def test_mass_assignment_is_ignored(app, client, logged_in, make_org) -> None:
    # S20: status, ids, slug, review fields posted alongside the form change nothing.
    uid = logged_in("user")
    other = make_org("Other org")
    response = _post(client, status="approved", created_by_id=str(other["owner"]), slug="hijack",
                     organisation_id=str(other["id"]), role="editor", review_note="ok", logo_hash="a" * 64,
                     is_admin="y")
    assert response.status_code == 302
    from app.organisations.models import Membership, Organisation

    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.name == "Bergen kommune"))
        assert (org.status, org.slug, org.created_by_id, org.logo_hash, org.review_note) == \
            ("pending", "bergen-kommune", uid, None, None)
        assert [(m.user_id, m.role) for m in org.memberships] == [(uid, "owner")]
        assert db.session.scalar(select(func.count()).select_from(Membership)
                                 .where(Membership.organisation_id == other["id"])) == 1


@pytest.mark.parametrize(("field", "value"), [
    ("name", ""), ("name", "x" * 161), ("kind", "embassy"), ("country", "FI"),
    ("website", "javascript:alert(1)"), ("website", "ftp://example.org"), ("website", "https://"),
    ("website", "https://exa mple.org"), ("description", ""), ("description", "x" * 2001),
    ("contact_email", "not-an-email"), ("timezone", "Mars/Olympus"),
])
def test_bad_input_rerenders_with_400_and_keeps_input(app, client, logged_in, field, value) -> None:
    logged_in("user")
    response = _post(client, **{"name": "Bergen kommune", "description": "Rain & fjords <b>bold</b>",
                                field: value})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert 'class="error-message"' in html
    if field != "name":
        assert 'value="Bergen kommune"' in html
    if field != "description":
        assert "Rain &amp; fjords &lt;b&gt;bold&lt;/b&gt;" in html
    assert _orgs(app) == []


def test_png_logo_is_reencoded_without_exif(app, client, logged_in) -> None:
    # S38-style metadata stripping for images; S36 stored under a content hash outside static.
    logged_in("user")
    original = png_bytes((1200, 600), exif_marker="SECRET-AUTHOR-MARKER")
    assert b"SECRET-AUTHOR-MARKER" in original
    response = _post(client, logo=(io.BytesIO(original), "../../app.png"))
    assert response.status_code == 302
    (_, _, _, logo_hash, _), = _orgs(app)
    from app.core.uploads import image_path

    path = image_path(app.config["UPLOAD_DIR"], logo_hash)
    assert path.is_file()
    assert path.parent.parent.name == "images"
    assert path.name == f"{logo_hash}.png"
    stored = path.read_bytes()
    assert b"SECRET-AUTHOR-MARKER" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG"
        assert max(image.size) == 512
        assert image.size == (512, 256)
        assert not image.getexif()
    served = client.get("/organisations/bergen-kommune/logo")
    assert served.status_code == 200
    assert served.data == stored
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("fmt_ext", [("JPEG", "photo.JPG"), ("WEBP", "logo.webp")])
def test_jpeg_and_webp_are_accepted(app, client, logged_in, fmt_ext) -> None:
    fmt, name = fmt_ext
    logged_in("user")
    response = _post(client, logo=(io.BytesIO(png_bytes(fmt=fmt, exif_marker="MARK")), name))
    assert response.status_code == 302


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"<!doctype html><html><script>alert(1)</script></html>", "logo.png", "Only PNG, JPEG or WebP"),
    (b"%PDF-1.4 fake pdf", "logo.png", "Only PNG, JPEG or WebP"),
    (b"GIF89a" + b"\x00" * 50, "logo.gif", "Only PNG, JPEG or WebP"),
    (png_bytes(), "logo.jpg", "does not match its content"),
    (png_bytes(), "logo.html", "does not match its content"),
    (png_bytes()[:60], "logo.png", "could not be read"),
    (b"", "logo.png", "The file is empty"),
])
def test_bad_images_are_refused_with_the_other_fields_kept(app, client, logged_in, content, filename,
                                                           message) -> None:
    # S35: the type comes from the content and must agree with the extension.
    logged_in("user")
    response = _post(client, logo=(io.BytesIO(content), filename))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="Bergen kommune"' in html
    assert "personvern@bergen.kommune.no" in html
    assert "choose the image again" in html
    assert _orgs(app) == []
    assert not list(Path(app.config["UPLOAD_DIR"]).glob("images/*/*"))  # nothing stored


def test_decompression_bomb_and_huge_dimensions_are_refused(app, client, logged_in) -> None:
    # S34: a tiny file that decodes to a huge image.
    logged_in("user")
    bomb = io.BytesIO()
    Image.new("1", (9000, 9000)).save(bomb, format="PNG", optimize=True)
    assert len(bomb.getvalue()) < 200_000
    response = _post(client, logo=(io.BytesIO(bomb.getvalue()), "bomb.png"))
    assert response.status_code == 400
    assert "too large in width or height" in response.get_data(as_text=True)
    wide = io.BytesIO()
    Image.new("1", (20000, 10)).save(wide, format="PNG")
    response = _post(client, logo=(io.BytesIO(wide.getvalue()), "wide.png"))
    assert response.status_code == 400
    assert _orgs(app) == []


def _post_encoded(client, **overrides: object):
    # Encode the multipart body up front: the test client spools big bodies to an unclosed temp file.
    values = {k: FileStorage(stream=v[0], filename=v[1], content_type="image/png") if isinstance(v, tuple) else v
              for k, v in _data(client, **overrides).items()}
    boundary, body = encode_multipart(values)
    return client.post("/organisations/new", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_oversized_upload_gets_413(app, client, logged_in) -> None:
    # S34: over LOGO_MAX_BYTES -> 413, both past the request cap and just over the file limit.
    logged_in("user")
    huge = b"\x89PNG\r\n\x1a\n" + b"\x00" * (3 * 1024 * 1024)
    response = _post_encoded(client, logo=(io.BytesIO(huge), "huge.png"))
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)
    just_over = b"\x89PNG\r\n\x1a\n" + b"\x00" * (app.config["LOGO_MAX_BYTES"] + 10)
    response = _post_encoded(client, logo=(io.BytesIO(just_over), "big.png"))
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "larger than 2 MB" in html
    assert 'value="Bergen kommune"' in html
    assert _orgs(app) == []


def test_csrf_is_required(app, client, logged_in) -> None:
    # S23
    logged_in("user")
    data = _data(client)
    data.pop("csrf_token")
    assert client.post("/organisations/new", data=data).status_code == 400
    assert _orgs(app) == []


def test_admins_are_notified_in_their_language(app, client, logged_in, make_user, send_outbox,
                                               smtp_sink) -> None:
    make_user("admin-a@example.org", admin=True)
    make_user("admin-b@example.org", admin=True, locale="da")
    make_user("admin-c@example.org", admin=True, is_suspended=True)
    logged_in("user", display_name="Ann")
    assert _post(client).status_code == 302
    send_outbox()
    assert len(smtp_sink.to("admin-a@example.org")) == 1
    assert len(smtp_sink.to("admin-b@example.org")) == 1
    assert smtp_sink.to("admin-c@example.org") == []
