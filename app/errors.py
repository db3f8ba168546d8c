"""Domain errors: a broken business rule, raised by services and shown by views."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A service refused the action; `message` is (lazily) translated and safe to show the user.

    `field` optionally names the form field the message belongs to, so a view can show it there.
    """

    def __init__(self, message: Any, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)
