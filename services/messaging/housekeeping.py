"""What the messaging tables may forget: handled deliveries and replies long past.

The inbox remembers every delivery so that one delivered twice changes nothing twice; a
messenger redelivers for hours, not weeks (Telegram keeps an update 24 hours). The outbox
keeps a reply that rode in a webhook answer in case Telegram delivers its update again
(``bot/relay/replies.py``), for as long. Past ``KEEP`` both are only weight: every update
adds one inbox row. Notices stay: they are the record of who was told what.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import OutboxState
from models.tables import InboxEntry
from models.workflow import OutboxMessage

KEEP = timedelta(days=7)
BATCH = 5_000  # rows per transaction: a year's backlog does not hold the write lock long


async def forget_old_deliveries(session: AsyncSession, now: datetime) -> int:
    """Delete inbox rows and settled reply rows older than ``KEEP``, committing in
    batches. Idempotent: a second run finds nothing. Returns how many went."""
    before = now - KEEP
    inbox = tuple_(col(InboxEntry.channel), col(InboxEntry.delivery_id))
    replies = col(OutboxMessage.id)
    targets: list[tuple[Any, Any, Any]] = [
        (InboxEntry, inbox, col(InboxEntry.received_at) < before),
        (
            OutboxMessage,
            replies,
            (col(OutboxMessage.template) == "reply")
            & (col(OutboxMessage.state) == OutboxState.SENT)
            & (col(OutboxMessage.created_at) < before),
        ),
    ]
    gone = 0
    for table, key, old in targets:
        columns = key.clauses if key is inbox else (key,)
        while True:
            batch = select(*columns).where(old).limit(BATCH)
            result = await session.exec(delete(table).where(key.in_(batch)))
            await session.commit()
            count = int(result.rowcount or 0)
            gone += count
            if count < BATCH:
                break
    return gone
