"""Replies written ahead: each reply an update causes is an outbox row before it is sent.

Both channels' bridges send their replies themselves, right after the update's commit:
that is the fast path. But a reply that exists only in memory is lost when the process
dies between the commit and the send, and the data would then say "saved" to nobody. So
the rows are written in the update's own transaction, held under a lease the relay
respects (``not_before`` a minute ahead, nothing in flight), and then:

  sent directly            the row is deleted: it was only an insurance
  refused or timed out     the row is due at once: the relay retries it like any notice
  the process died         the lease runs out: the relay sends it after the restart
  rode a webhook answer    kept as sent (``RODE_WEBHOOK``): Telegram reports nothing about
                           it, but it redelivers an update whose answer it did not get,
                           and ``resend_riding`` then queues those replies again

A reply the relay sends is a late one; its text says so (handlers/notices.py), so that a
confirmation a crash made arrive twice reads as the same one again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.relay.settings import RelaySettings
from handlers.core.events import Incoming
from handlers.core.views import Document, Edit, Text, View
from models.enums import OutboxState
from models.workflow import OutboxMessage
from services.messaging import outbox
from services.messaging.outbox_leases import NOT_IN_FLIGHT, bulk_update

RODE_WEBHOOK = "rode the webhook answer"
REPLY = "reply"


@dataclass(frozen=True)
class Ahead:
    """One reply's row: its dedup key and the lease the bridge holds it under."""

    key: str
    lease: datetime


def insured(view: View) -> bool:
    """Views worth a row: a new message, a file, or an edit of the pressed message (whose
    retry is a new message). A toast, a menu or an edit of an older message is not: the
    spinner stops by itself, a menu is set at the next start, an older message may be gone."""
    if isinstance(view, Text | Document):
        return True
    return isinstance(view, Edit) and view.text is not None and not view.message_id


def _content(view: View) -> tuple[str, list[Any], tuple[str, bytes] | None]:
    if isinstance(view, Document):
        return view.caption, [], (view.name, view.data)
    assert isinstance(view, Text | Edit) and view.text is not None
    buttons = [[[b.label, b.payload] for b in row] for row in view.buttons]
    return view.text, buttons, None


def hold_for(settings: object) -> timedelta:
    """How long the bridge holds its replies' rows: the relay's lease (``ZHUCUN_RELAY_
    LEASE_SECONDS``), longer than an update's few sends take. What a crash costs: the
    reply arrives this long after it, once a relay runs again."""
    return RelaySettings.from_settings(settings).lease


async def write_ahead(
    session: AsyncSession,
    now: datetime,
    event: Incoming,
    views: list[View],
    prefix: str,
    hold: timedelta,
) -> dict[int, Ahead]:
    """The rows of an update's replies, in its transaction (commit follows), by view
    index. ``prefix`` names the update on its channel (``reply:telegram:123``)."""
    lease = now + hold
    written: dict[int, Ahead] = {}
    for index, view in enumerate(views):
        if not insured(view):
            continue
        text, buttons, document = _content(view)
        key = f"{prefix}:{index}"
        added = await outbox.enqueue(
            session,
            key=key,
            chat_id=event.chat_id,
            template=REPLY,
            params={"text": text, "buttons": buttons},
            now=now,
            is_group=not event.private,
            document=document,
            not_before=lease,
            channel=event.channel,
        )
        if added:
            written[index] = Ahead(key, lease)
    return written


def _held(ahead: Ahead) -> Any:
    """Still the bridge's: pending under its lease, and not taken over by a relay."""
    return (
        (col(OutboxMessage.dedup_key) == ahead.key)
        & (col(OutboxMessage.state) == OutboxState.PENDING)
        & (col(OutboxMessage.not_before) == ahead.lease)
        & NOT_IN_FLIGHT
    )


async def delivered(session: AsyncSession, ahead: Ahead) -> None:
    """Sent directly: the insurance is not needed."""
    await session.exec(delete(OutboxMessage).where(_held(ahead)))


async def rode(session: AsyncSession, ahead: Ahead, now: datetime) -> None:
    """Returned in the webhook's answer: sent as far as anyone can tell."""
    await session.exec(
        bulk_update()
        .where(_held(ahead))
        .values(state=OutboxState.SENT, sent_at=now, last_error=RODE_WEBHOOK)
    )


async def failed(session: AsyncSession, ahead: Ahead, now: datetime, error: str) -> None:
    """Not sent (refused, throttled, timed out): due at once, for the relay to retry."""
    await session.exec(
        bulk_update().where(_held(ahead)).values(not_before=now, last_error=error[:500])
    )


async def resend_riding(session: AsyncSession, prefix: str, now: datetime) -> int:
    """An update delivered again after it was handled: the answer that carried its last
    reply never reached the messenger, so that reply is queued again."""
    result = await session.exec(
        bulk_update()
        .where(
            col(OutboxMessage.dedup_key).startswith(prefix + ":", autoescape=True),
            col(OutboxMessage.state) == OutboxState.SENT,
            col(OutboxMessage.last_error) == RODE_WEBHOOK,
        )
        .values(state=OutboxState.PENDING, sent_at=None, not_before=now, last_error="")
    )
    return int(result.rowcount or 0)
