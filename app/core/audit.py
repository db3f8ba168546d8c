"""Audit events: who did what, when, to which object. Written in the caller's transaction."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import db

from .timeutil import utcnow
from .types import UTCDateTime


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SET NULL: the event outlives an erased account; actor_label keeps a pseudonymous "user #id".
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_label: Mapped[str] = mapped_column(String(80), default="system")
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column()
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


def record_event(*, actor: Any | None, action: str, object_type: str, object_id: int | None,
                 details: dict[str, Any] | None = None) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    actor_id = getattr(actor, "id", None) if actor is not None and getattr(actor, "is_authenticated", True) else None
    event = AuditEvent(actor_id=actor_id, actor_label=f"user #{actor_id}" if actor_id else "system",
                       action=action, object_type=object_type, object_id=object_id, details=details or {},
                       created_at=utcnow())
    db.session.add(event)
    return event
