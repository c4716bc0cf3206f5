"""Guided-flow state in the database: shared, kept, and lapsing when stale."""

from __future__ import annotations

from datetime import timedelta

from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.fsm import DatabaseStorage
from services.clock import FixedClock


class Flow(StatesGroup):
    step = State()


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
