"""Static files under content-hashed URLs, cached for a year (issue 13 item 3).

Every `url_for("static", filename=...)` gets `?v=<first 12 hex digits of the file's SHA-256>`, so
a changed file has a new URL and browsers and proxies may keep each URL forever: a request whose
`v` is the file's current hash is answered with `Cache-Control: public, max-age=31536000,
immutable`. An old or made-up `v` still gets the current file, with a short lifetime only. The
hash is recomputed when the file's size or modification time changes (a deploy, or an edit while
developing).
"""
from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request

YEAR = 365 * 24 * 3600
SHORT = 300  # an unhashed or outdated static URL

RECHECK_SECONDS = 1.0  # an edited file (while developing) gets its new URL within a second

_hashes: dict[str, tuple[int, int, str]] = {}
_recent: dict[str, tuple[float, str | None]] = {}
_lock = threading.Lock()


def file_hash(filename: str) -> str | None:
    """The file's content hash (12 hex digits), or None when there is no such static file."""
    folder = current_app.static_folder
    if not folder:
        return None
    path = Path(folder) / filename
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    key = str(path)
    found = _hashes.get(key)
    if found and found[:2] == (st.st_mtime_ns, st.st_size):
        return found[2]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    with _lock:
        _hashes[key] = (st.st_mtime_ns, st.st_size, digest)
    return digest


def versioned(filename: str) -> str | None:
    """file_hash(), looked at once a second at most: a page links a dozen static files."""
    now = time.monotonic()
    found = _recent.get(filename)
    if found and now - found[0] < RECHECK_SECONDS:
        return found[1]
    digest = file_hash(filename)
    _recent[filename] = (now, digest)
    return digest


def _add_version(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" and "v" not in values and (filename := values.get("filename")):
        digest = versioned(str(filename))
        if digest:
            values["v"] = digest


def _cache_headers(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    asked = request.args.get("v")
    filename = (request.view_args or {}).get("filename")
    fresh = bool(asked and filename and asked == file_hash(str(filename)))
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable" if fresh else f"public, max-age={SHORT}"
    return response


def init_app(app: Flask) -> None:
    app.url_defaults(_add_version)
    app.after_request(_cache_headers)
