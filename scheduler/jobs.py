"""The scheduler only ticks (docs/architecture.md, "How a reminder flows"): one interval
job, defined here in code, kept in memory, never pickled. Every tick runs all the sweeps of
``services.operations.schedule``, which find what is due from the data; so a tick missed,
doubled or run late changes nothing but when a message goes out. No rules live here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from services.clock import Clock
from services.operations.schedule import FAILED, run_all
from services.policy import PolicyPack

log = logging.getLogger(__name__)

TICK_SECONDS = 60
JOB_ID = "sweeps"


def build_scheduler(
    run_tick: Callable[[], Awaitable[None]], zone: ZoneInfo, interval_seconds: float = TICK_SECONDS
) -> AsyncIOScheduler:
    """An asyncio scheduler (not started) with one job: ``run_tick`` every interval, the
    first at once. A tick still running when the next is due makes that one wait its turn
    (max_instances=1); ticks missed while the loop was busy or asleep are run once, not
    once each (coalesce), if no later than one interval (misfire_grace_time)."""
    scheduler = AsyncIOScheduler(timezone=zone)
    scheduler.add_job(
        run_tick,
        IntervalTrigger(seconds=interval_seconds, timezone=zone),
        id=JOB_ID,
        name="run every sweep",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=max(1, int(interval_seconds)),
        next_run_time=datetime.now(zone),
    )
    return scheduler


def make_tick(
    sessions: async_sessionmaker[AsyncSession],
    pack: PolicyPack,
    clock: Clock,
    zone: ZoneInfo,
    wake: Callable[[], None] | None = None,
) -> Callable[[], Awaitable[dict[str, int]]]:
    """The job: every sweep as of ``clock.now()``, then ``wake`` (the outbox relay of this
    process, if one runs here) so what was queued goes out at once."""

    async def tick() -> dict[str, int]:
        counts = await run_all(sessions, pack, clock.now(), zone)
        done = {name: n for name, n in counts.items() if n > 0}
        failed = [name for name, n in counts.items() if n == FAILED]
        if done:
            log.info("tick: %s", ", ".join(f"{name} {n}" for name, n in done.items()))
        if failed:
            log.warning("tick: %s failed", ", ".join(failed))
        if wake is not None and done:
            wake()
        return counts

    return tick
