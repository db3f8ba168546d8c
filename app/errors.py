"""Domain errors: a broken business rule, raised by services and shown by views.

An error says what went wrong in the domain's words (its `kind`), never which HTTP status to
answer: views map kinds to statuses in one place (app.core.web.http_status).
"""
from __future__ import annotations

import enum
from typing import Any


class Problem(enum.StrEnum):
    INVALID = "invalid"  # what was sent breaks a rule (a value, a missing item)
    FORBIDDEN = "forbidden"  # this person may not do this to something they may see
    MISSING = "missing"  # the thing is not there, or not there for this person
    CONFLICT = "conflict"  # the current state does not allow it (a deadline passed, already submitted)
    EXPIRED = "expired"  # a link or invitation that can no longer be used
    TOO_LARGE = "too_large"  # an upload over its size limit


class DomainError(Exception):
    """A service refused the action; `message` is (lazily) translated and safe to show the user.

    `field` optionally names the form field the message belongs to, so a view can show it there;
    `kind` says what sort of refusal it is (a class default, or given per raise).
    """

    kind: Problem = Problem.INVALID

    def __init__(self, message: Any, *, field: str | None = None, kind: Problem | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if kind is not None:
            self.kind = kind

    def __str__(self) -> str:
        return str(self.message)
