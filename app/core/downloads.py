"""Serving stored files and exports as downloads, the one way every feature does it (S37).

- `Content-Disposition: attachment` with a plain-ASCII `filename=` for old clients and the real
  name in `filename*` (RFC 6266), so a browser never renders an uploaded file in our origin;
- `X-Content-Type-Options: nosniff`, a sandboxing CSP and `Cross-Origin-Resource-Policy`;
- private files are `no-store` (the caller re-checks permission on every fetch: the URL is no
  bearer token); public ones may be cached briefly.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from urllib.parse import quote

from flask import Response, abort, current_app, request, send_file

from app.core.files import document_path
from app.core.web import CSP

DOWNLOAD_CSP = f"{CSP}; sandbox"
PUBLIC_MAX_AGE = 300


def ascii_filename(name: str) -> str:
    """The plain-ASCII `filename=` for old clients; modern ones read `filename*` (RFC 6266)."""
    simple = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    simple = re.sub(r"[^A-Za-z0-9._ ()-]", "_", simple).strip(" .")
    stem, dot, ext = simple.rpartition(".")
    if not dot:
        return simple if simple.strip("_") else "attachment"
    return f"{stem if stem.strip('_') else 'attachment'}.{ext}"


def as_download(response: Response, name: str, *, public: bool = False) -> Response:
    """Add the download headers to `response` (an export or a stored file)."""
    response.headers.set("Content-Disposition", "attachment", filename=ascii_filename(name),
                         **{"filename*": "UTF-8''" + quote(name, safe="!#$&+-.^_`|~")})
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return _cache(response, public=public, max_age=PUBLIC_MAX_AGE)


def _cache(response: Response, *, public: bool, max_age: int) -> Response:
    """Public files may be cached a while; anything else is private and never stored."""
    response.cache_control.no_cache = None
    if public:
        response.cache_control.public = True
        response.cache_control.max_age = max_age
    else:
        response.cache_control.public = False
        response.cache_control.private = True
        response.cache_control.no_store = True
    return response


def send_stored_document(*, content_hash: str, mimetype: str, filename: str, last_modified: datetime | None = None,
                         public: bool = False, what: str = "file") -> Response:
    """The stored bytes of `content_hash` as a download named `filename`; 404 when they are missing."""
    try:
        path = document_path(current_app.config["UPLOAD_DIR"], content_hash)
    except ValueError:
        abort(404)
    if not path.is_file():
        current_app.logger.error("%s: stored file %s is missing", what, content_hash)
        abort(404)
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=filename, conditional=True,
                         etag=content_hash, last_modified=last_modified, max_age=None)
    return as_download(response, filename, public=public)


IMMUTABLE_MAX_AGE = 365 * 24 * 3600


def send_stored_image(content_hash: str, *, public: bool = False, max_age: int = 3600,
                      version: str | None = None) -> Response:
    """A stored (re-encoded, metadata-free) image shown inline; 404 when missing. A public image asked
    for by its versioned URL (`version`, the ?v= of the link, is the hash's first 16 characters) never
    changes at that URL, so it may be kept for a year."""
    from app.core.uploads import STORED_MIMETYPE, image_path

    try:
        data = image_path(current_app.config["UPLOAD_DIR"], content_hash).read_bytes()
    except (ValueError, OSError):
        abort(404)
    response = Response(data, mimetype=STORED_MIMETYPE)
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.set_etag(content_hash)
    versioned = public and version is not None and version == content_hash[:16]
    _cache(response, public=public, max_age=IMMUTABLE_MAX_AGE if versioned else max_age)
    if versioned:
        response.cache_control.immutable = True
    return response.make_conditional(request)
