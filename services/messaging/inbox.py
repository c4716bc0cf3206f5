"""Deliveries already handled, so one delivered twice changes nothing twice."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import InboxEntry
from services.sql import dialect_insert


async def record_delivery(
    session: AsyncSession, channel: str, delivery_id: str, now: datetime
) -> bool:
    """Claim ``delivery_id`` on ``channel`` in the current transaction; False when it was
    handled before.

    The row commits or rolls back with the delivery's effects, so one whose handling
    failed is not marked as handled. The claim is an insert that does nothing on conflict,
    made before anything else: when two replicas get the same delivery at once, the second
    waits on the first's row (PostgreSQL) and, once that commits, finds it and skips
    quietly, instead of handling it again and failing at commit.
    """
    result = await session.exec(
        dialect_insert(session, InboxEntry)
        .values(channel=channel, delivery_id=delivery_id, received_at=now)
        .on_conflict_do_nothing(index_elements=["channel", "delivery_id"])
    )
    return bool(result.rowcount)
