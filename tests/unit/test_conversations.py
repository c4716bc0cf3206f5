"""Guided-flow state in the database: shared, kept, and lapsing when stale."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.core.conversation import State, Steps
from models.db import UnitOfWork, hold_loaded_objects
from models.workflow import AuditEvent
from services.clock import FixedClock
from services.messaging import conversations
from services.messaging.conversations import StoredConversation, conversation_key


class Flow(Steps):
    step = State()
    other = State()


KEY = conversation_key("telegram", 42, 42)


async def _apply(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock, key: str = KEY, **ops: Any
) -> StoredConversation:
    """One short transaction of its own, as a separate update (or replica) would have."""
    async with UnitOfWork(sessions) as uow:
        conversation = StoredConversation(uow.session, key, clock.now())
        if "state" in ops:
            await conversation.set_state(ops["state"])
        if "data" in ops:
            await conversation.update_data(**ops["data"])
        if ops.get("clear"):
            await conversation.clear()
        await uow.commit()
    return conversation


async def _read(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock, key: str = KEY
) -> tuple[str | None, dict[str, Any]]:
    async with UnitOfWork(sessions) as uow:
        conversation = StoredConversation(uow.session, key, clock.now())
        return await conversation.get_state(), await conversation.get_data()


async def test_state_and_data_round_trip_across_updates(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    assert await _read(sessions, clock) == (None, {})
    await _apply(sessions, clock, state=Flow.step, data={"kind": "personal"})
    await _apply(sessions, clock, data={"end": "2026-12-03"})
    assert await _read(sessions, clock) == (
        Flow.step.state,
        {"kind": "personal", "end": "2026-12-03"},
    )
    await _apply(sessions, clock, clear=True)
    assert await _read(sessions, clock) == (None, {})


async def test_a_stale_conversation_lapses(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    await _apply(sessions, clock, state=Flow.step, data={"kind": "sick"})
    clock.advance(timedelta(hours=13))
    assert await _read(sessions, clock) == (None, {})
    # Setting the state afresh does not resurrect yesterday's draft.
    await _apply(sessions, clock, state=Flow.step)
    assert await _read(sessions, clock) == (Flow.step.state, {})


async def test_keys_are_per_channel_chat_and_user(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    await _apply(sessions, clock, state=Flow.step)
    assert await _read(sessions, clock, conversation_key("telegram", 43, 43)) == (None, {})
    assert await _read(sessions, clock, conversation_key("dingtalk", 42, 42)) == (None, {})
    assert await _read(sessions, clock, conversation_key("telegram", -100, 42)) == (None, {})


async def test_within_one_update_an_absent_conversation_is_read_once_and_still_written(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    """A one-line command asks for the state, the data, then clears: one SELECT. Starting a
    flow after finding none must still store it, and the next update must see it."""
    selects: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("SELECT") and "conversation_states" in statement:
            selects.append(statement)

    async with UnitOfWork(sessions) as uow:
        engine = uow.session.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        conversation = StoredConversation(uow.session, KEY, clock.now())
        try:
            assert await conversation.get_state() is None
            # The handler's own writes are flushed in between (a flush is a transaction
            # of its own inside the update's).
            uow.session.add(AuditEvent(entity="test", action="test", at=clock.now()))
            await uow.session.flush()
            assert await conversation.get_data() == {}
            await conversation.clear()
            assert len(selects) == 1
            await conversation.set_state(Flow.step)
            await conversation.update_data(kind="sick")
            assert await conversation.get_state() == Flow.step.state
        finally:
            event.remove(engine, "before_cursor_execute", count)
        await uow.commit()
    assert await _read(sessions, clock) == (Flow.step.state, {"kind": "sick"})


async def test_an_absence_seen_in_one_transaction_is_not_trusted_in_the_next(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    async with UnitOfWork(sessions) as uow:
        assert await conversations.load(uow.session, KEY, clock.now()) == (None, {})
        await uow.session.commit()
        # Meanwhile another replica stores the conversation.
        await _apply(sessions, clock, state=Flow.step)
        assert await conversations.load(uow.session, KEY, clock.now()) == (Flow.step.state, {})


async def test_within_one_update_a_stored_conversation_moves_on_and_keeps_its_data(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    """The update's session holds the row it read (models.db.hold_loaded_objects); the
    state written next must be the one read back, not the row as first loaded."""
    await _apply(sessions, clock, state=Flow.step, data={"kind": "sick"})
    async with UnitOfWork(sessions) as uow:
        hold_loaded_objects(uow.session)
        conversation = StoredConversation(uow.session, KEY, clock.now())
        assert await conversation.get_state() == Flow.step.state
        await conversation.set_state(Flow.other)
        await conversation.update_data(start="2026-12-01")
        assert await conversation.get_state() == Flow.other.state
        await uow.commit()
    assert await _read(sessions, clock) == (
        Flow.other.state,
        {"kind": "sick", "start": "2026-12-01"},
    )
