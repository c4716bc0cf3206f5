"""The outbox: messages to people other than the current sender (docs/architecture.md,
"How a notice flows").

A service that causes a message calls ``enqueue`` in the same transaction as the change, so
the message exists exactly when the change does. The dedup key makes a second enqueue of
the same thing (a sweep run twice, a re-delivered update) a no-op. The relay in ``bot/``
leases due rows (``outbox_leases``), renders each in the recipient's language, sends it and
records how that went (``outbox_outcomes``); ``outbox_status`` is the operator's view.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import OutboxState
from models.tables import ChannelAccount, GroupChat
from models.workflow import OutboxMessage
from services.messaging import templates
from services.roster import accounts
from services.sql import dialect_insert


@dataclass(frozen=True)
class Message:
    """One message for ``enqueue_many``: the arguments ``enqueue`` takes one by one."""

    key: str
    chat_id: str
    template: str
    params: dict[str, Any]
    person_id: int | None = None
    is_group: bool = False
    ref: str | None = None
    # Required: a message without its channel would go out on Telegram whatever the
    # account or group it was meant for.
    channel: str = field(kw_only=True)


def to_group_message(group: GroupChat, key: str, template: str, params: dict[str, Any]) -> Message:
    """A message for ``enqueue_many`` into a bound group, on the group's own channel."""
    return Message(key, group.chat_id, template, params, is_group=True, channel=group.channel)


async def to_group(
    session: AsyncSession,
    group: GroupChat,
    *,
    key: str,
    template: str,
    params: dict[str, Any],
    now: datetime,
) -> bool:
    """A message into a bound group, on the group's own channel. True when it was added."""
    return bool(
        await enqueue_many(session, [to_group_message(group, key, template, params)], now=now)
    )


def _row(
    *,
    key: str,
    channel: str,
    chat_id: str,
    template: str,
    params: dict[str, Any],
    now: datetime,
    person_id: int | None = None,
    is_group: bool = False,
    ref: str | None = None,
    document: tuple[str, bytes] | None = None,
    not_before: datetime | None = None,
) -> dict[str, Any]:
    templates.check(template, params)
    return {
        "dedup_key": key,
        "channel": channel,
        "chat_id": chat_id,
        "person_id": person_id,
        "is_group": is_group,
        "template": template,
        "params": json.dumps(params, ensure_ascii=False, sort_keys=True, default=str),
        "ref": ref,
        "document_name": document[0] if document else None,
        "document": document[1] if document else None,
        "state": OutboxState.PENDING,
        "attempts": 0,
        "not_before": not_before or now,
        "created_at": now,
        "last_error": "",
    }


def _insert_new(session: AsyncSession) -> Any:
    """INSERT .. ON CONFLICT (dedup_key) DO NOTHING: a key the outbox has is skipped."""
    return dialect_insert(
        session,
        OutboxMessage.__table__,  # type: ignore[attr-defined]
    ).on_conflict_do_nothing(index_elements=["dedup_key"])


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    chat_id: str,
    template: str,
    params: dict[str, Any],
    now: datetime,
    person_id: int | None = None,
    is_group: bool = False,
    ref: str | None = None,
    document: tuple[str, bytes] | None = None,
    not_before: datetime | None = None,
    channel: str,
) -> bool:
    """Add a message for ``chat_id`` on ``channel`` unless one with this dedup key exists.
    True when it was added."""
    values = _row(
        key=key,
        channel=channel,
        chat_id=chat_id,
        template=template,
        params=params,
        now=now,
        person_id=person_id,
        is_group=is_group,
        ref=ref,
        document=document,
        not_before=not_before,
    )
    result = await session.exec(_insert_new(session).values(**values))
    return bool(result.rowcount)


async def enqueue_many(
    session: AsyncSession, messages: Iterable[Message], *, now: datetime, batch: int = 2_000
) -> int:
    """``enqueue`` for a sweep's thousands of messages: one multi-row INSERT per batch
    instead of one statement per message (a national sweep queues hundreds of thousands),
    each row skipped when its dedup key exists. Returns how many were added."""
    added = 0
    pending: list[dict[str, Any]] = []

    async def flush() -> int:
        if not pending:
            return 0
        # RETURNING counts exactly the rows added: executemany's rowcount is not reported
        # by every driver, and a skipped conflict returns nothing.
        statement = _insert_new(session).returning(OutboxMessage.__table__.c.id)  # type: ignore[attr-defined]
        connection = await session.connection()
        result = await connection.execute(statement, pending)
        pending.clear()
        return len(result.all())

    for message in messages:
        pending.append(
            _row(
                key=message.key,
                channel=message.channel,
                chat_id=message.chat_id,
                template=message.template,
                params=message.params,
                now=now,
                person_id=message.person_id,
                is_group=message.is_group,
                ref=message.ref,
            )
        )
        if len(pending) >= batch:
            added += await flush()
    return added + await flush()


def message_to(
    account: ChannelAccount | None,
    key: str,
    template: str,
    params: dict[str, Any],
    *,
    ref: str | None = None,
) -> Message | None:
    """A private message for ``enqueue_many`` to the person owning ``account`` (their
    account on the channel to write on; ``accounts.accounts_of`` or a join on
    ``accounts.reachable_on``): what ``to_person`` queues, for a sweep holding the account
    already. None when there is none or they blocked the bot there, so nothing is queued
    for someone who cannot be reached."""
    if not accounts.reachable(account):
        return None
    assert account is not None
    return Message(
        key,
        account.chat_id,
        template,
        params,
        person_id=account.person_id,
        ref=ref,
        channel=account.channel,
    )


async def to_person(
    session: AsyncSession,
    person_id: int,
    *,
    key: str,
    template: str,
    params: dict[str, Any],
    now: datetime,
    ref: str | None = None,
    document: tuple[str, bytes] | None = None,
    channel: str | None = None,
) -> bool:
    """A private message to a person, on their account on ``channel`` (by default the one
    they bound last and have not blocked). False when they cannot be reached there (no
    account, or they blocked the bot): the caller decides what that means."""
    account = await accounts.account_of(session, person_id, channel)
    if account is None or not accounts.reachable(account):
        return False
    return await enqueue(
        session,
        key=key,
        channel=account.channel,
        chat_id=account.chat_id,
        person_id=person_id,
        template=template,
        params=params,
        now=now,
        ref=ref,
        document=document,
    )


async def ref_of_message(session: AsyncSession, chat_id: str, message_id: str) -> str | None:
    """What a notice the relay sent is about (its ``ref``, e.g. ``leave:12``), found by the
    message it became: for a reply to it."""
    return (
        await session.exec(
            select(OutboxMessage.ref).where(
                col(OutboxMessage.chat_id) == chat_id,
                col(OutboxMessage.sent_message_id) == message_id,
            )
        )
    ).first()
