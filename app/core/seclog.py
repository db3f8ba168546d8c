"""Security event logging (S40): UTC time, actor, no secrets, CR/LF escaped."""
from __future__ import annotations

import logging
from typing import Any

from .timeutil import utcnow

log = logging.getLogger("concept_arena.security")


def _clean(value: Any) -> str:
    text = str(value)
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def security_event(event: str, **fields: Any) -> None:
    """Log one security event as key=value pairs; callers never pass passwords or tokens."""
    parts = [f"time={utcnow().isoformat()}", f"event={_clean(event)}"]
    parts += [f"{k}={_clean(v)}" for k, v in sorted(fields.items())]
    log.warning(" ".join(parts))
