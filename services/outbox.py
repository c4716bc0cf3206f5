"""The outbox: messages to people other than the current sender (DESIGN.md, data flow 2).

A service that causes a message calls ``enqueue`` in the same transaction as the change, so
the message exists exactly when the change does. The dedup key makes a second enqueue of
the same thing (a sweep run twice, a re-delivered update) a no-op. The relay in ``bot/``
renders each row in the recipient's language and sends it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import OutboxState
from models.tables import Person
from models.workflow import OutboxMessage


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
    values: dict[str, Any] = {
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
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
    )
    result = await session.exec(statement)
    return bool(result.rowcount)


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
    person = await session.get(Person, person_id)
    if person is None or person.telegram_user_id is None or person.blocked_bot_at is not None:
        return False
    return await enqueue(
        session,
        key=key,
        chat_id=person.telegram_user_id,
        person_id=person_id,
        template=template,
        params=params,
        now=now,
        ref=ref,
        document=document,
    )
