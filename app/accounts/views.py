"""Accounts: sign-up, verification, login, logout, password reset, profile. (Being built.)"""
from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("accounts", __name__, url_prefix="/account")


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    abort(404)


@bp.route("/signup", methods=["GET", "POST"])
def signup():  # type: ignore[no-untyped-def]
    abort(404)


@bp.route("/logout", methods=["POST"])
def logout():  # type: ignore[no-untyped-def]
    abort(404)


@bp.route("/", methods=["GET"])
def profile():  # type: ignore[no-untyped-def]
    abort(404)


@bp.route("/terms", methods=["GET", "POST"])
def accept_terms():  # type: ignore[no-untyped-def]
    abort(404)
