"""Forms for the outbox admin page."""
from __future__ import annotations

from flask_wtf import FlaskForm


class RetryForm(FlaskForm):
    """No fields: the button and its CSRF token (a state change is always a POST)."""
