"""aiogram's FSM storage over our database (services/messaging/conversations.py).

Memory storage would lose a cadre's half-filled /leave on every restart and could not be
shared by two webhook replicas. While an update is being handled, the conversation is
written in that update's transaction (``UPDATE_SESSION``, set by the unit-of-work
middleware): it commits or rolls back with the update's effects, and SQLite never sees two
writers in one process. Outside an update each call is its own short transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from models.db import UnitOfWork
from services.clock import Clock
from services.messaging import conversations

UPDATE_SESSION: ContextVar[AsyncSession | None] = ContextVar("update_session", default=None)


class DatabaseStorage(BaseStorage):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock
        self.keys = DefaultKeyBuilder(with_destiny=True)

    @asynccontextmanager
    async def _session(self, write: bool) -> AsyncIterator[AsyncSession]:
        active = UPDATE_SESSION.get()
        if active is not None:
            yield active
            return
        async with UnitOfWork(self.sessions) as uow:
            yield uow.session
            if write:
                await uow.commit()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = state.state if isinstance(state, State) else state
        async with self._session(write=True) as session:
            await conversations.save(
                session, self.keys.build(key), self.clock.now(), state=name, keep_data=True
            )

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._session(write=False) as session:
            state, _ = await conversations.load(session, self.keys.build(key), self.clock.now())
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        async with self._session(write=True) as session:
            await conversations.save(
                session, self.keys.build(key), self.clock.now(), data=dict(data), keep_state=True
            )

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._session(write=False) as session:
            _, data = await conversations.load(session, self.keys.build(key), self.clock.now())
        return data

    async def close(self) -> None:
        return None
