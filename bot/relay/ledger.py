"""What the relay writes about the rows it holds, and counts.

Each write is one short transaction through ``services.messaging.outbox_leases`` or
``outbox_outcomes``, conditional on the relay's lease: a relay that lost a row cannot
record over its new holder. Logs name row ids, templates and error classes, never message
text or chat contents.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.relay.settings import RelayCounts, RelaySettings
from models.db import UnitOfWork
from services.clock import Clock
from services.messaging import groups, outbox_outcomes
from services.messaging.outbox_leases import Claimed

log = logging.getLogger(__name__)
_T = TypeVar("_T")


class Ledger:
    """The relay's writes, one at a time, and the outcomes it counted."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        settings: RelaySettings,
        counts: RelayCounts,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings
        self.counts = counts
        # One at a time: SQLite has one writer anyway, and waiting here is cheaper than
        # SQLite's busy-wait.
        self._lock = asyncio.Lock()

    async def write(self, fn: Callable[..., Awaitable[_T]], *args: Any, **kwargs: Any) -> _T:
        """One short transaction around one write of ``outbox_leases`` or ``outbox_outcomes``."""
        async with self._lock, UnitOfWork(self.sessions) as uow:
            result = await fn(uow.session, *args, **kwargs)
            await uow.commit()
            return result

    async def sending(self, row: Claimed, token: datetime) -> datetime | None:
        """The in-flight marker, before the request; None when the row is no longer ours."""
        return await self.write(
            outbox_outcomes.mark_sending, row.id, token, self.clock.now(), self.settings.lease
        )

    async def render_failed(self, row: Claimed, exc: Exception) -> None:
        log.error(
            "outbox #%s: template %s failed to render: %s",
            row.id,
            row.template,
            type(exc).__name__,
        )
        await self.write(
            outbox_outcomes.mark_dead,
            row.id,
            f"render failed: {type(exc).__name__}",
            self.clock.now(),
        )
        self.counts.dead += 1

    async def sent(self, row: Claimed, message_id: str) -> None:
        await self.write(outbox_outcomes.mark_sent, row.id, message_id, self.clock.now())
        self.counts.sent += 1

    async def first_part_sent(
        self, row: Claimed, message_id: str, in_flight: datetime
    ) -> datetime | None:
        """The new lease the rest is sent under; None when the row is no longer ours."""
        return await self.write(
            outbox_outcomes.mark_progress,
            row.id,
            message_id,
            in_flight,
            self.clock.now(),
            self.settings.lease,
        )

    async def retry(
        self, row: Claimed, delay: float | None, error: str, *, counted: bool = True
    ) -> None:
        """Pending again after ``delay`` (None: backing off); a row failing for
        ``max_attempts`` dies."""
        attempts = row.attempts + 1  # this attempt included
        if counted and attempts >= self.settings.max_attempts:
            reason = f"gave up after {attempts} attempts: {error}"
            await self.write(outbox_outcomes.mark_dead, row.id, reason, self.clock.now())
            log.warning("outbox #%s (%s): gave up, dead", row.id, row.template)
            self.counts.dead += 1
            return
        if delay is None:
            delay = self.settings.backoff(attempts)
        not_before = self.clock.now() + timedelta(seconds=delay)
        await self.write(outbox_outcomes.mark_retry, row.id, not_before, error)
        log.info(
            "outbox #%s (%s): %s; retry in %g s", row.id, row.template, error.split(":")[0], delay
        )
        self.counts.retried += 1

    async def dead(self, row: Claimed, reason: str, *, blocked: bool) -> list[int]:
        """The rows that died: this one, and with ``blocked`` the person's other rows."""
        dead = await self.write(
            outbox_outcomes.mark_dead,
            row.id,
            reason,
            self.clock.now(),
            blocked=blocked and not row.is_group,
        )
        label = reason.split(" ")[0]
        if blocked:
            log.warning(
                "outbox #%s (%s): %s, %d row(s) dead", row.id, row.template, label, len(dead)
            )
        else:
            log.warning("outbox #%s (%s): %s, dead", row.id, row.template, label)
        self.counts.dead += len(dead)
        return dead

    async def uncertain(self, row: Claimed, error: str) -> None:
        await self.write(outbox_outcomes.mark_uncertain, row.id, error)
        log.warning(
            "outbox #%s (%s): uncertain (%s); not resent", row.id, row.template, error.split(":")[0]
        )
        self.counts.uncertain += 1

    async def moved(self, row: Claimed, chat_id: str, channel: str) -> None:
        await self.write(_follow_chat, row.id, channel, row.chat_id, chat_id, self.clock.now())
        log.warning("outbox #%s: group moved to a supergroup; sent on there", row.id)
        self.counts.retried += 1


async def _follow_chat(
    session: AsyncSession,
    row_id: int,
    channel: str,
    old_chat_id: str,
    new_chat_id: str,
    now: datetime,
) -> None:
    """The messenger refused a send because the group moved to a new id: this row goes
    there at once, and the group's binding and its other waiting rows follow (the bot may
    have missed the service message that says so)."""
    await outbox_outcomes.retarget(session, row_id, new_chat_id, now)
    await groups.follow_migration(
        session,
        channel=channel,
        old_chat_id=old_chat_id,
        new_chat_id=new_chat_id,
        now=now,
    )
