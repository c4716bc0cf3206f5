"""Fixtures shared by every test: a real database, migrated by the real migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from models import migrate
from models.db import create_engine, session_factory
from services.clock import FixedClock


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    """An in-memory SQLite database at the newest schema."""
    eng = create_engine("sqlite+aiosqlite:///:memory:")
    await migrate.upgrade(eng)
    yield eng
    await eng.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as s:
        yield s


@pytest.fixture
def clock() -> FixedClock:
    """2026-11-23 09:00 Beijing time (a Monday)."""
    return FixedClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
