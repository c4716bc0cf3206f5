"""The worker: the scheduler's ticks, run only while this process holds the worker lock.

Several workers may be started (two replicas, a rolling restart): each asks for the
PostgreSQL advisory lock (``services.operations.worker_lock``) on a connection of its own, kept open
for as long as it ticks; the one that gets it ticks, the others stand by and ask again every
``standby_seconds``. Holding the lock is re-checked as often, so a worker whose connection
died stops ticking and another takes over. SQLite has no such lock: an SQLite deployment
runs one worker. The sweeps send each message once either way; the lock saves the work.

``zhucun run --role worker`` also sends the outbox (``own_relay``): a relay must run
somewhere, and two (the bot's and the worker's) share the rows safely. With ``--role all``
the bot's relay is woken after each tick instead.

``zhucun run`` also has it take the daily SQLite backup (``daily_backup``, ``bot/backup.py``)
after a tick: from 03:00 local, once a day, at the first tick after on a machine that was off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import NullPool

from bot import backup
from bot.context import AppContext
from bot.relay.loop import Relay
from bot.relay.settings import RelaySettings
from bot.telegram.runtime import build_bot
from bot.telegram.sender import TelegramSender
from locales import Catalogs
from models.db import UnitOfWork, create_engine
from scheduler.jobs import TICK_SECONDS, build_scheduler, make_tick
from services.messaging import housekeeping
from services.operations.worker_lock import release, try_worker_lock
from services.policy_loading import load_pack

log = logging.getLogger(__name__)

STANDBY_SECONDS = 30.0


class Worker:
    """Ticks the sweeps while holding the worker lock. ``run()`` until ``stop()``."""

    def __init__(
        self,
        ctx: AppContext,
        catalogs: Catalogs | None = None,
        *,
        wake: Callable[[], None] | None = None,
        own_relay: bool = False,
        backups: bool = False,
        interval_seconds: float = TICK_SECONDS,
        standby_seconds: float = STANDBY_SECONDS,
    ) -> None:
        self.ctx = ctx
        self.catalogs = catalogs or Catalogs()
        self.pack = load_pack(ctx.settings.policy)
        self.interval_seconds = interval_seconds
        self.standby_seconds = standby_seconds
        self.ticks = 0  # ticks run by this worker (tests and logs)
        self.holding = False  # whether this worker holds the lock now
        self.bot: Bot | None = None
        self.relay: Relay | None = None
        self._wake = wake
        self.backups = backups  # take the daily SQLite backup after a tick (zhucun run)
        if own_relay:
            if ctx.settings.token is None:
                raise ValueError("no bot token configured")
            self.bot = build_bot(ctx.settings.token, ctx.settings.bot_api_url)
        self._stopping = asyncio.Event()
        self._running = False
        self._finished = asyncio.Event()
        self._tick_lock = asyncio.Lock()
        self._kept_on: date | None = None  # the local day housekeeping last ran

    async def prepare(self) -> None:
        """Migrate the database; with its own relay, check the token with Telegram."""
        await self.ctx.sessions()
        if self.bot is not None:
            await self.bot.get_me()

    async def tick(self) -> dict[str, int]:
        """Every sweep once, as of the context's clock; then wake the relay."""
        async with self._tick_lock:
            sessions = await self.ctx.sessions()
            wake = self.relay.wake if self.relay is not None else self._wake
            tick = make_tick(sessions, self.pack, self.ctx.clock, self.ctx.settings.zone, wake)
            counts = await tick()
            self.ticks += 1
            return counts

    async def _job(self) -> None:
        if self._stopping.is_set():
            return
        try:
            await self.tick()
        except Exception as exc:  # e.g. the database is away; the next tick tries again
            log.error("tick failed: %s", type(exc).__name__)
        await self.daily_housekeeping()
        if self.backups:
            await self.daily_backup()

    async def daily_housekeeping(self) -> int:
        """Old deliveries and settled replies forgotten, at the first tick of each local
        day this worker sees (a restart does it again: harmless, it finds little)."""
        now = self.ctx.clock.now()
        today = now.astimezone(self.ctx.settings.zone).date()
        if self._kept_on == today:
            return 0
        try:
            async with UnitOfWork(await self.ctx.sessions()) as uow:
                gone = await housekeeping.forget_old_deliveries(uow.session, now)
        except Exception as exc:  # the next tick tries again
            log.error("housekeeping failed: %s", type(exc).__name__)
            return 0
        self._kept_on = today
        if gone:
            log.info("housekeeping: %d old deliveries and replies forgotten", gone)
        return gone

    async def daily_backup(self) -> Path | None:
        """The day's SQLite backup, once a day from 03:00 local (or at the first tick after,
        on a machine that was off): file work in a thread, then the newest
        ``ZHUCUN_BACKUP_KEEP`` kept. Nothing for PostgreSQL (pg_dump's business). A
        failure is logged; the next tick tries again."""
        settings = self.ctx.settings
        now = self.ctx.clock.now()
        try:
            database = backup.sqlite_file(settings.database_url)
            if database is None:
                return None
            folder = backup.backup_folder(database, settings.backup_dir)
            if not await asyncio.to_thread(backup.due_today, folder, now, settings.zone):
                return None
            taken, _ = await asyncio.to_thread(backup.take_backup, database, folder, now)
            removed = await asyncio.to_thread(
                backup.prune, folder, settings.backup_keep, taken.path
            )
        except (backup.BackupError, OSError) as exc:
            log.error("daily backup failed: %s", exc)
            return None
        log.info("daily backup %s (%d older removed)", taken.path, len(removed))
        return taken.path

    async def run(self) -> None:
        self._running = True
        relay_task: asyncio.Task[None] | None = None
        # NullPool: closing the connection ends its server session, and the lock with it.
        lock_engine = create_engine(self.ctx.settings.database_url, poolclass=NullPool)
        told = False  # "standing by" is said once, not every half minute
        try:
            sessions = await self.ctx.sessions()
            if self.bot is not None:
                settings = RelaySettings.from_settings(self.ctx.settings)
                sender = TelegramSender(self.bot)
                self.relay = Relay(sessions, sender, self.catalogs, self.ctx.clock, settings)
                relay_task = asyncio.create_task(self.relay.run(), name="outbox-relay")
            while not self._stopping.is_set():
                try:
                    async with lock_engine.connect() as connection:
                        if await try_worker_lock(connection):
                            told = False
                            await self._tick_while_held(connection)
                        elif not told:
                            log.info("another worker ticks; standing by")
                            told = True
                except Exception as exc:  # the database went away: try again later
                    log.warning("worker lock: %s; trying again", type(exc).__name__)
                await self._pause(self.standby_seconds)
        finally:
            await lock_engine.dispose()
            if self.relay is not None and relay_task is not None:
                await self.relay.stop()
                await relay_task
            if self.bot is not None:
                await self.bot.session.close()
            self._finished.set()

    async def _tick_while_held(self, connection: AsyncConnection) -> None:
        log.info("worker lock taken: ticking every %g s", self.interval_seconds)
        self.holding = True
        scheduler: AsyncIOScheduler = build_scheduler(
            self._job, self.ctx.settings.zone, self.interval_seconds
        )
        scheduler.start()
        try:
            while not self._stopping.is_set():
                await self._pause(self.standby_seconds)
                if not await try_worker_lock(connection):  # raises if the connection died
                    log.warning("worker lock lost; standing by")
                    return
        finally:
            self.holding = False
            scheduler.pause()
            async with self._tick_lock:  # let a tick under way finish (and commit)
                scheduler.shutdown(wait=False)
            with contextlib.suppress(Exception):
                await release(connection)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def stop(self) -> None:
        """Stop ticking, give the lock back, stop the relay. Safe to call more than once,
        and before ``run()`` ever started."""
        self._stopping.set()
        if self._running:
            await self._finished.wait()
        elif self.bot is not None:
            await self.bot.session.close()
