"""Telegram update ids already handled, so a re-delivered update changes nothing twice."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import InboxUpdate


async def record_update(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """Note ``update_id`` in the current transaction; False when it was handled before.

    The row commits or rolls back together with the update's effects, so an update whose
    handling failed is not marked as handled. Two replicas racing on one update meet at
    the primary key when they commit: one wins, the other's transaction fails whole.
    """
    if await session.get(InboxUpdate, update_id) is not None:
        return False
    session.add(InboxUpdate(update_id=update_id, received_at=now))
    return True
