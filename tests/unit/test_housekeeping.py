"""Old deliveries and settled replies are forgotten; notices and fresh rows are kept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import OutboxState
from models.tables import InboxEntry
from models.workflow import OutboxMessage
from services.clock import FixedClock
from services.messaging import housekeeping, outbox
from services.messaging.inbox import record_delivery


async def _count(session: AsyncSession, table: type) -> int:
    return int((await session.exec(select(func.count()).select_from(table))).one())


async def test_old_deliveries_and_rode_replies_go_and_the_rest_stays(
    session: AsyncSession, clock: FixedClock, monkeypatch: object
) -> None:
    now = clock.now()
    old = now - housekeeping.KEEP - timedelta(hours=1)
    for n in range(7):
        await record_delivery(session, "telegram", f"old{n}", old)
    await record_delivery(session, "dingtalk", "fresh", now)
    for key, when, state in [
        ("reply:telegram:1:0", old, OutboxState.SENT),  # rode a webhook answer long ago
        ("reply:telegram:2:0", old, OutboxState.PENDING),  # still to be sent: kept
        ("reply:telegram:3:0", now, OutboxState.SENT),  # recent: Telegram may redeliver
    ]:
        await outbox.enqueue(
            session, key=key, chat_id="1", template="reply",
            params={"text": "x", "buttons": []}, now=when, channel="telegram",
        )  # fmt: skip
        row = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.dedup_key == key))
        ).one()
        row.state = state
        session.add(row)
    await outbox.enqueue(
        session, key="notice", chat_id="1", template="reply",
        params={"text": "x", "buttons": []}, now=old, channel="telegram",
    )  # fmt: skip
    await session.commit()
    # Batches smaller than the backlog: the loop must go round.
    monkeypatch.setattr(housekeeping, "BATCH", 3)  # type: ignore[attr-defined]

    assert await housekeeping.forget_old_deliveries(session, now) == 8
    left = await session.exec(select(InboxEntry.delivery_id))
    assert set(left.all()) == {"fresh"}
    keys = set((await session.exec(select(OutboxMessage.dedup_key))).all())
    assert keys == {"reply:telegram:2:0", "reply:telegram:3:0", "notice"}
    assert await housekeeping.forget_old_deliveries(session, now) == 0
    assert await _count(session, InboxEntry) == 1
