"""The outbox: messages to people other than the current sender (DESIGN.md, data flow 2).

A service that causes a message calls ``enqueue`` in the same transaction as the change, so
the message exists exactly when the change does. The dedup key makes a second enqueue of
the same thing (a sweep run twice, a re-delivered update) a no-op. The relay in ``bot/``
leases due rows (``outbox_leases``), renders each in the recipient's language, sends it and
records how that went (``outbox_outcomes``); ``outbox_status`` is the operator's view.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import OutboxState
from models.tables import Person
from models.workflow import OutboxMessage
from services.messaging import templates
from services.sql import dialect_insert


@dataclass(frozen=True)
class Message:
    """One message for ``enqueue_many``: the arguments ``enqueue`` takes one by one."""

    key: str
    chat_id: int
    template: str
    params: dict[str, Any]
    person_id: int | None = None
    is_group: bool = False
    ref: str | None = None


def _row(
    *,
    key: str,
    chat_id: int,
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
    chat_id: int,
    template: str,
    params: dict[str, Any],
    now: datetime,
    person_id: int | None = None,
    is_group: bool = False,
    ref: str | None = None,
    document: tuple[str, bytes] | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Add a message unless one with this dedup key exists. True when it was added."""
    values = _row(
        key=key,
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


def _private_chat(person: Person | None) -> int | None:
    """The chat to write to ``person`` in; None when the bot cannot reach them (unknown,
    not registered, or they blocked the bot)."""
    if person is None or person.blocked_bot_at is not None:
        return None
    return person.telegram_user_id


def message_to(
    person: Person, key: str, template: str, params: dict[str, Any], *, ref: str | None = None
) -> Message | None:
    """A private message to ``person`` for ``enqueue_many``: what ``to_person`` queues, for a
    sweep holding the Person already. None when they cannot be reached, so nothing is
    queued for someone who blocked the bot."""
    chat_id = _private_chat(person)
    if chat_id is None:
        return None
    return Message(key, chat_id, template, params, person_id=person.id, ref=ref)


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
) -> bool:
    """A private message to a registered person. False when they cannot be reached
    (not registered, or they blocked the bot): the caller decides what that means."""
    chat_id = _private_chat(await session.get(Person, person_id))
    if chat_id is None:
        return False
    return await enqueue(
        session,
        key=key,
        chat_id=chat_id,
        person_id=person_id,
        template=template,
        params=params,
        now=now,
        ref=ref,
        document=document,
    )
