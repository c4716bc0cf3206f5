"""Where people are in guided flows, kept in the database so every bot replica and every
restart sees the same conversation. Stale conversations lapse: a half-finished /leave from
yesterday must not capture today's message."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import ConversationState

# A conversation untouched this long is forgotten.
LAPSE = timedelta(hours=12)


def _live(row: ConversationState | None, now: datetime) -> tuple[str | None, dict[str, Any]]:
    if row is None or now - row.updated_at > LAPSE:
        return None, {}
    return row.state, json.loads(row.data)


async def load(session: AsyncSession, key: str, now: datetime) -> tuple[str | None, dict[str, Any]]:
    return _live(await session.get(ConversationState, key), now)


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
    row = await session.get(ConversationState, key)
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
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(ConversationState).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["key"],
        set_={k: statement.excluded[k] for k in ("state", "data", "updated_at")},
    )
    await session.exec(statement)
