"""Only one worker ticks: of two connections only one holds the worker lock, and the
other gets it as soon as the first lets go, by ``release`` or by its connection closing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from models.db import create_engine
from services.operations.worker_lock import release, try_worker_lock


@pytest.fixture
async def workers(database_url: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two engines standing for two worker processes. NullPool: closing a connection
    really ends its server session, as a process exiting would."""
    first = create_engine(database_url, poolclass=NullPool)
    second = create_engine(database_url, poolclass=NullPool)
    yield first, second
    await first.dispose()
    await second.dispose()


@pytest.mark.postgresql_only
async def test_one_holder_and_the_next_after_release(
    workers: tuple[AsyncEngine, AsyncEngine],
) -> None:
    first, second = workers
    async with first.connect() as a, second.connect() as b:
        assert await try_worker_lock(a)
        assert not await try_worker_lock(b)
        assert await try_worker_lock(a)  # asking again while holding: still yes ...
        assert not await try_worker_lock(b)
        assert await release(a)  # ... and one release frees it all the same
        assert not await release(a)  # nothing left to give back
        assert await try_worker_lock(b)
        assert not await try_worker_lock(a)
        assert await release(b)


@pytest.mark.postgresql_only
async def test_the_lock_goes_with_the_connection(
    workers: tuple[AsyncEngine, AsyncEngine],
) -> None:
    first, second = workers
    async with second.connect() as b:
        async with first.connect() as a:
            assert await try_worker_lock(a)
            assert not await try_worker_lock(b)
        # The first worker's connection closed (its process died): the lock is free.
        assert await try_worker_lock(b)


@pytest.mark.sqlite_only
async def test_sqlite_always_has_its_one_worker(database_url: str) -> None:
    engine = create_engine(database_url)
    async with engine.connect() as a, engine.connect() as b:
        assert await try_worker_lock(a)
        assert await try_worker_lock(b)
        assert await release(a)
    await engine.dispose()
