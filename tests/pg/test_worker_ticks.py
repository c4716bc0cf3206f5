"""Two workers started: only the one holding the worker lock ticks; when it stops, the other
takes over (issue #8). SQLite runs its one worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bot.config import Settings
from bot.context import AppContext
from bot.worker import Worker


def _worker(database_url: str) -> Worker:
    settings = Settings(_env_file=None, database_url=database_url, bot_token=None)  # type: ignore[call-arg]
    return Worker(AppContext(settings), interval_seconds=0.05, standby_seconds=0.1)


async def _until(condition: Callable[[], bool]) -> None:
    """Wait (at most 10 s) for a worker's counters to reach a state."""
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 - counters, not an event anyone sets
            await asyncio.sleep(0.02)


@pytest.fixture
async def workers(database_url: str) -> AsyncIterator[tuple[Worker, Worker]]:
    first, second = _worker(database_url), _worker(database_url)
    await first.prepare()  # migrate once, before both race for the lock
    tasks = [asyncio.create_task(w.run()) for w in (first, second)]
    try:
        yield first, second
    finally:
        for worker in (first, second):
            await worker.stop()
            await worker.ctx.close()
        await asyncio.gather(*tasks)


@pytest.mark.postgresql_only
async def test_only_one_worker_ticks(workers: tuple[Worker, Worker]) -> None:
    first, second = workers
    await _until(lambda: first.ticks + second.ticks >= 3)
    holder, other = (first, second) if first.ticks else (second, first)
    assert holder.holding and not other.holding
    await asyncio.sleep(0.3)  # several of the standby's retries
    assert other.ticks == 0 and holder.ticks >= 3
    # The holder stops (a deploy): the other takes the lock and ticks.
    await holder.stop()
    ticked = holder.ticks
    await _until(lambda: other.ticks >= 2)
    assert other.holding and holder.ticks == ticked


@pytest.mark.sqlite_only
async def test_sqlite_runs_its_worker(database_url: str) -> None:
    worker = _worker(database_url)
    task = asyncio.create_task(worker.run())
    try:
        await _until(lambda: worker.ticks >= 2)
        assert worker.holding
    finally:
        await worker.stop()
        await task
        await worker.ctx.close()
    assert not worker.holding
