"""The local demo mailbox (demo mode only). (Being built.)"""
from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("mail", __name__, url_prefix="/dev/mailbox")


@bp.route("/")
def mailbox():  # type: ignore[no-untyped-def]
    abort(404)


@bp.route("/<int:message_id>")
def mailbox_message(message_id: int):  # type: ignore[no-untyped-def]
    abort(404)
