"""Telegram update ids already handled, so a re-delivered update changes nothing twice."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import InboxUpdate
from services.sql import dialect_insert


async def record_update(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """Claim ``update_id`` in the current transaction; False when it was handled before.

    The row commits or rolls back with the update's effects, so an update whose handling
    failed is not marked as handled. The claim is an insert that does nothing on conflict,
    made before anything else: when two replicas get the same update at once, the second
    waits on the first's row (PostgreSQL) and, once that commits, finds it and skips
    quietly, instead of handling the update again and failing at commit.
    """
    result = await session.exec(
        dialect_insert(session, InboxUpdate)
        .values(update_id=update_id, received_at=now)
        .on_conflict_do_nothing(index_elements=["update_id"])
    )
    return bool(result.rowcount)
