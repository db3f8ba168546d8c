"""Atom feeds and iCalendar files, read from the features (being built)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("feeds", __name__)
