"""Read queries of the outbox page: the messages an admin filters by state and recipient."""
from __future__ import annotations

from sqlalchemy import Select, select

from .models import OutboxMessage, OutboxStatus


def _like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` literally anywhere (wildcards escaped; bound as a parameter)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def outbox_messages(*, state: OutboxStatus | None, recipient: str) -> Select[tuple[OutboxMessage]]:
    """Outbox rows in `state` (any when None) whose address contains `recipient`, newest first."""
    stmt = select(OutboxMessage)
    if state is not None:
        stmt = stmt.where(OutboxMessage.status == state)
    if recipient:
        stmt = stmt.where(OutboxMessage.to_addr.ilike(_like_pattern(recipient), escape="\\"))
    return stmt.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())

