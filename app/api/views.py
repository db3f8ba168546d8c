"""/api/v1: the search as open data. Public and anonymous by design: it answers only what the
public index holds (documents.py decides that, S32), the same for everyone, so any origin may
read it (CORS `*`, no credentials) and caches may keep it briefly."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Response, request
from werkzeug.exceptions import HTTPException

from app.db import db
from app.extensions import limiter
from app.search import serialise

log = logging.getLogger("concept_arena.api")
SCHEMA_FILE = Path(__file__).with_name("search.schema.json")


@limiter.shared_limit(serialise.open_data_limit, scope="open-data", on_breach=serialise.json_breach)
def search() -> Response:
    return serialise.answer(request.args, endpoint="api.search")


def search_schema() -> Response:
    response = Response(SCHEMA_FILE.read_bytes(), content_type="application/schema+json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


def not_found(anything: str) -> Response:
    return serialise.error_json(404)


def http_error(exc: HTTPException) -> Response:
    return serialise.error_json(exc.code or 400)


def unexpected_error(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return serialise.error_json(exc.code or 400)
    log.exception("Unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    return serialise.error_json(500)

