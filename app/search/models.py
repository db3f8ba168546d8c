"""The queue of index changes, written in the same transaction as the change itself."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.timeutil import utcnow
from app.core.types import UTCDateTime
from app.db import db


class IndexChange(db.Model):
    """A row some committed change touched: (kind, ref_id), e.g. ("challenge", 12). The worker
    re-derives every document the row decides from the database and writes it to the index; the
    row stays (applied_at set) for an hour so a rebuild can replay what changed while it ran."""

    __tablename__ = "search_changes"
    __table_args__ = (Index("ix_search_changes_pending", "applied_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[int] = mapped_column()
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
