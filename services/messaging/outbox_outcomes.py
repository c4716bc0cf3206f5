"""What a relay records about a row it holds: the request going out, and how it ended
(sent, to be retried, refused for good, or unknown). Each write is fenced by the lease
(``outbox_leases``), so a relay that lost a row cannot record over its new holder."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import OutboxState
from models.tables import ChannelAccount
from models.workflow import OutboxMessage
from services.messaging.outbox_leases import NOT_IN_FLIGHT, bulk_update, held_by
from services.roster import accounts

BLOCKED_CASCADE = "not sent: the recipient blocked the bot (row #{row})"


async def mark_sending(
    session: AsyncSession, row_id: int, token: datetime, now: datetime, lease: timedelta
) -> datetime | None:
    """Record that the request is about to go out; commit before sending. Returns the new
    token (the in-flight lease), or None when the row is no longer this relay's to send.
    The lease must outlast the request timeout, or another relay would call it abandoned."""
    until = now + lease
    result = await session.exec(
        bulk_update()
        .where(held_by(row_id, token), NOT_IN_FLIGHT)
        .values(
            sent_at=now,
            not_before=until,
            attempts=col(OutboxMessage.attempts) + 1,
        )
    )
    return until if result.rowcount else None


async def mark_sent(session: AsyncSession, row_id: int, message_id: str, now: datetime) -> None:
    """Telegram answered with the message. A confirmed send wins over any earlier verdict."""
    await session.exec(
        bulk_update()
        .where(
            col(OutboxMessage.id) == row_id,
            col(OutboxMessage.state) != OutboxState.SENT,
        )
        .values(
            state=OutboxState.SENT,
            sent_at=now,
            sent_message_id=message_id,
            last_error="",
        )
    )


async def mark_progress(
    session: AsyncSession,
    row_id: int,
    message_id: str,
    token: datetime,
    now: datetime,
    lease: timedelta,
) -> datetime | None:
    """The first part of a two-part send (the text, before its document) arrived; the row
    stays pending for the second part. Returns the new token, None if the row is lost."""
    until = now + lease
    result = await session.exec(
        bulk_update()
        .where(held_by(row_id, token))
        .values(sent_message_id=message_id, sent_at=None, not_before=until)
    )
    return until if result.rowcount else None


async def mark_retry(session: AsyncSession, row_id: int, not_before: datetime, error: str) -> bool:
    """A definite failure (Telegram answered 429 or 5xx, or no connection was made): due
    again at ``not_before``."""
    result = await session.exec(
        bulk_update()
        .where(
            col(OutboxMessage.id) == row_id,
            col(OutboxMessage.state) == OutboxState.PENDING,
        )
        .values(not_before=not_before, sent_at=None, last_error=error[:500])
    )
    return bool(result.rowcount)


async def retarget(session: AsyncSession, row_id: int, chat_id: str, now: datetime) -> bool:
    """The group became a supergroup with a new id: send the row there, at once."""
    result = await session.exec(
        bulk_update()
        .where(
            col(OutboxMessage.id) == row_id,
            col(OutboxMessage.state) == OutboxState.PENDING,
        )
        .values(chat_id=chat_id, not_before=now, sent_at=None)
    )
    return bool(result.rowcount)


async def mark_dead(
    session: AsyncSession,
    row_id: int,
    reason: str,
    now: datetime,
    *,
    blocked: bool = False,
) -> list[int]:
    """Telegram refused the row for good. With ``blocked`` (a 403 for a private chat: the
    person blocked the bot or never started it) the person is marked so that
    ``outbox.to_person`` stops enqueuing for them, and their other waiting rows die with it:
    nobody keeps trying. Returns the ids made dead."""
    row = await session.get(OutboxMessage, row_id)
    if row is None or row.state in (OutboxState.SENT, OutboxState.DEAD):
        return []
    row.state = OutboxState.DEAD
    row.sent_at = None
    row.last_error = reason[:500]
    session.add(row)
    dead = [row_id]
    if blocked and not row.is_group:
        # Whoever's account writes to that private chat on that channel is marked.
        await accounts.set_blocked(
            session,
            (col(ChannelAccount.channel) == row.channel)
            & (col(ChannelAccount.chat_id) == row.chat_id),
            blocked=True,
            now=now,
        )
        others = await session.exec(
            bulk_update()
            .where(
                col(OutboxMessage.channel) == row.channel,
                col(OutboxMessage.chat_id) == row.chat_id,
                col(OutboxMessage.state) == OutboxState.PENDING,
                col(OutboxMessage.id) != row_id,
                NOT_IN_FLIGHT,
            )
            .values(state=OutboxState.DEAD, last_error=BLOCKED_CASCADE.format(row=row_id))
            .returning(col(OutboxMessage.id))
        )
        dead.extend(sorted(int(i) for i in others.scalars()))
    await session.flush()
    return dead


async def mark_uncertain(session: AsyncSession, row_id: int, error: str) -> None:
    """No answer: the message may have arrived. Kept out of the queue until ``retry``;
    sent_at keeps when the ambiguous attempt went out."""
    await session.exec(
        bulk_update()
        .where(
            col(OutboxMessage.id) == row_id,
            col(OutboxMessage.state) == OutboxState.PENDING,
        )
        .values(state=OutboxState.UNCERTAIN, last_error=error[:500])
    )
