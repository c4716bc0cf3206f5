"""Where people are in guided flows, kept in the database so every bot replica and every
restart sees the same conversation. Stale conversations lapse: a half-finished /leave from
yesterday must not capture today's message."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import ConversationState
from services.sql import dialect_insert

# A conversation untouched this long is forgotten.
LAPSE = timedelta(hours=12)


def _live(row: ConversationState | None, now: datetime) -> tuple[str | None, dict[str, Any]]:
    if row is None or now - row.updated_at > LAPSE:
        return None, {}
    return row.state, json.loads(row.data)


_ABSENT = "conversations_absent"


@event.listens_for(Session, "after_transaction_end")
def _forget_absent(session: Session, transaction: SessionTransaction) -> None:
    # What was absent in one transaction may have been stored by the time of the next.
    # (A flush ends an inner transaction of its own: that one changes nothing.)
    if transaction.parent is None:
        session.info.pop(_ABSENT, None)


async def _row(session: AsyncSession, key: str) -> ConversationState | None:
    # aiogram asks for the state, then the data, then clears it, each by key: a stored row
    # is found again in the session's identity map, and a key found absent is remembered
    # for the rest of the update so that a one-line command costs one SELECT, not three.
    absent: set[str] = session.info.setdefault(_ABSENT, set())
    if key in absent:
        return None
    row = await session.get(ConversationState, key)
    if row is None:
        absent.add(key)
    return row


async def load(session: AsyncSession, key: str, now: datetime) -> tuple[str | None, dict[str, Any]]:
    return _live(await _row(session, key), now)


async def save(
    session: AsyncSession,
    key: str,
    now: datetime,
    *,
    state: str | None = None,
    data: dict[str, Any] | None = None,
    keep_state: bool = False,
    keep_data: bool = False,
) -> None:
    """Write the state and/or the data; ``keep_*`` leaves that part as it was (unless the
    conversation had lapsed, in which case it starts afresh)."""
    row = await _row(session, key)
    current_state, current_data = _live(row, now)
    new_state = current_state if keep_state else state
    new_data = current_data if keep_data else (data or {})
    if row is None and new_state is None and not new_data:
        # Clearing a conversation that was never stored (every one-line command does):
        # nothing to write.
        return
    values = {
        "key": key,
        "state": new_state,
        "data": json.dumps(new_data, ensure_ascii=False),
        "updated_at": now,
    }
    statement = dialect_insert(session, ConversationState).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["key"],
        set_={k: statement.excluded[k] for k in ("state", "data", "updated_at")},
    )
    await session.exec(statement)
    session.info.get(_ABSENT, set()).discard(key)
    if row is not None:
        # The upsert went around the session: the row it holds must say what was written,
        # or the next call in this update would read (and write back) the old state.
        for name in ("state", "data", "updated_at"):
            set_committed_value(row, name, values[name])


def conversation_key(channel: str, chat_id: int | str, user_id: int | str) -> str:
    """One person's conversation in one chat of one channel."""
    return f"{channel}:{chat_id}:{user_id}"


class StoredConversation:
    """A conversation read and written in the caller's session, so it commits or rolls
    back with the update's other effects (and SQLite never sees two writers)."""

    def __init__(self, session: AsyncSession, key: str, now: datetime) -> None:
        self.session, self.key, self.now = session, key, now

    async def get_state(self) -> str | None:
        state, _ = await load(self.session, self.key, self.now)
        return state

    async def set_state(self, state: Any) -> None:
        # A flow's State (``.state`` is its stored name), a name, or None.
        name = getattr(state, "state", state)
        await save(self.session, self.key, self.now, state=name, keep_data=True)

    async def get_data(self) -> dict[str, Any]:
        _, data = await load(self.session, self.key, self.now)
        return data

    async def update_data(self, **values: Any) -> dict[str, Any]:
        data = {**await self.get_data(), **values}
        await save(self.session, self.key, self.now, data=data, keep_state=True)
        return data

    async def clear(self) -> None:
        await save(self.session, self.key, self.now, state=None, data={})
