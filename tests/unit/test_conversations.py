"""Guided-flow state in the database: shared, kept, and lapsing when stale."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import event
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.telegram.fsm import UPDATE_SESSION, DatabaseStorage
from models.db import UnitOfWork, hold_loaded_objects
from models.workflow import AuditEvent
from services.clock import FixedClock
from services.messaging import conversations


class Flow(StatesGroup):
    step = State()
    other = State()


KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


async def test_state_and_data_round_trip_and_survive_a_new_storage(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    storage = DatabaseStorage(sessions, clock)
    assert await storage.get_state(KEY) is None and await storage.get_data(KEY) == {}
    await storage.set_state(KEY, Flow.step)
    await storage.update_data(KEY, {"kind": "personal", "start": "2026-12-01"})
    await storage.update_data(KEY, {"end": "2026-12-03"})
    # A second replica (another storage on the same database) sees the same conversation.
    other = DatabaseStorage(sessions, clock)
    assert await other.get_state(KEY) == Flow.step.state
    assert await other.get_data(KEY) == {
        "kind": "personal",
        "start": "2026-12-01",
        "end": "2026-12-03",
    }
    await other.set_state(KEY, None)
    await other.set_data(KEY, {})
    assert await storage.get_state(KEY) is None and await storage.get_data(KEY) == {}


async def test_a_stale_conversation_lapses(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    storage = DatabaseStorage(sessions, clock)
    await storage.set_state(KEY, Flow.step)
    await storage.set_data(KEY, {"kind": "sick"})
    clock.advance(timedelta(hours=13))
    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {}
    # Setting the state afresh does not resurrect yesterday's draft.
    await storage.set_state(KEY, Flow.step)
    assert await storage.get_data(KEY) == {}


async def test_keys_are_per_chat_and_user(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    storage = DatabaseStorage(sessions, clock)
    await storage.set_state(KEY, Flow.step)
    assert await storage.get_state(StorageKey(bot_id=1, chat_id=43, user_id=43)) is None


async def test_within_one_update_an_absent_conversation_is_read_once_and_still_written(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    """A one-line command asks for the state, the data, then clears: one SELECT. Starting a
    flow after finding none must still store it, and the next update must see it."""
    storage = DatabaseStorage(sessions, clock)
    selects: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("SELECT") and "conversation_states" in statement:
            selects.append(statement)

    async with UnitOfWork(sessions) as uow:
        engine = uow.session.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        token = UPDATE_SESSION.set(uow.session)
        try:
            assert await storage.get_state(KEY) is None
            # The handler's own writes are flushed in between (a flush is a transaction
            # of its own inside the update's).
            uow.session.add(AuditEvent(entity="test", action="test", at=clock.now()))
            await uow.session.flush()
            assert await storage.get_data(KEY) == {}
            await storage.set_state(KEY, None)
            await storage.set_data(KEY, {})
            assert len(selects) == 1
            await storage.set_state(KEY, Flow.step)
            await storage.update_data(KEY, {"kind": "sick"})
            assert await storage.get_state(KEY) == Flow.step.state
        finally:
            UPDATE_SESSION.reset(token)
            event.remove(engine, "before_cursor_execute", count)
        await uow.commit()
    assert await DatabaseStorage(sessions, clock).get_data(KEY) == {"kind": "sick"}


async def test_an_absence_seen_in_one_transaction_is_not_trusted_in_the_next(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    key = DatabaseStorage(sessions, clock).keys.build(KEY)
    async with UnitOfWork(sessions) as uow:
        assert await conversations.load(uow.session, key, clock.now()) == (None, {})
        await uow.session.commit()
        # Meanwhile another replica stores the conversation.
        await DatabaseStorage(sessions, clock).set_state(KEY, Flow.step)
        assert await conversations.load(uow.session, key, clock.now()) == (Flow.step.state, {})


async def test_within_one_update_a_stored_conversation_moves_on_and_keeps_its_data(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    """The update's session holds the row it read (models.db.hold_loaded_objects); the
    state written next must be the one read back, not the row as first loaded."""
    storage = DatabaseStorage(sessions, clock)
    await storage.set_state(KEY, Flow.step)
    await storage.set_data(KEY, {"kind": "sick"})
    async with UnitOfWork(sessions) as uow:
        hold_loaded_objects(uow.session)
        token = UPDATE_SESSION.set(uow.session)
        try:
            assert await storage.get_state(KEY) == Flow.step.state
            await storage.set_state(KEY, Flow.other)
            await storage.update_data(KEY, {"start": "2026-12-01"})
            assert await storage.get_state(KEY) == Flow.other.state
        finally:
            UPDATE_SESSION.reset(token)
        await uow.commit()
    fresh = DatabaseStorage(sessions, clock)
    assert await fresh.get_state(KEY) == Flow.other.state
    assert await fresh.get_data(KEY) == {"kind": "sick", "start": "2026-12-01"}
