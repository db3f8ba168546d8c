"""Platform admin: approve organisations, find users, read the audit log. (Being built.)"""
from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    abort(404)
