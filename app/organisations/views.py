"""Organisations: apply, public page, members and invitations. (Being built.)"""
from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    abort(404)


@bp.route("/<slug>")
def detail(slug: str):  # type: ignore[no-untyped-def]
    abort(404)
