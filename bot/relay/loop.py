"""The relay's loop: claims due rows, holds them paced, sends each through its messenger.

The relay claims due rows with a lease (``services.messaging.outbox_leases.claim_due``),
holds them in a :class:`services.messaging.pacing.SendQueue` that keeps the messenger's
limits, renders each (``handlers.notices.render``, in its reader's language) and hands it
to a :class:`bot.relay.outcomes.Sender`, recording "in flight" before each request and the
outcome after it (:mod:`bot.relay.ledger`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.relay.ledger import Ledger
from bot.relay.outcomes import (
    Dead,
    FirstPartSent,
    Moved,
    Outcome,
    Retry,
    Sender,
    Sent,
    Uncertain,
)
from bot.relay.settings import RelayCounts, RelaySettings
from handlers import notices
from handlers.notices import Rendered, render
from locales import Catalogs
from models.db import UnitOfWork
from services.clock import Clock
from services.messaging import outbox_leases
from services.messaging.outbox_leases import Claimed
from services.messaging.pacing import Gcra, SendQueue

log = logging.getLogger(__name__)

# Claims triggered by wake() come at most this often: a burst of updates is one claim,
# and a big backlog (where a claim costs tens of milliseconds) is not slowed by them.
_MIN_CLAIM_GAP = 0.2


class _Lost(Exception):
    """The row is no longer this relay's to send (its lease was taken or it changed)."""


class Relay:
    """Sends the outbox. ``run()`` until ``stop()``; ``wake()`` after committing new rows."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sender: Sender,
        catalogs: Catalogs,
        clock: Clock,
        settings: RelaySettings | None = None,
    ) -> None:
        self.settings = settings or RelaySettings()
        self.counts = RelayCounts()
        self._sessions = sessions
        self._sender = sender
        self._catalogs = catalogs
        self._clock = clock
        self._ledger = Ledger(sessions, clock, self.settings, self.counts)
        self._queue: SendQueue[Claimed] = SendQueue(self.settings.limits)
        # The overall rate is kept twice: the queue spaces rows as it hands them out, and
        # this gate spaces the requests themselves, after the in-flight marker is written,
        # so a slow database write cannot bunch requests up beyond the messenger's limit.
        self._gate = Gcra(self.settings.global_per_second)
        self._tokens: dict[int, datetime] = {}  # held row id -> its lease (fencing token)
        self._tasks: set[asyncio.Task[None]] = set()
        self._kick = asyncio.Event()  # something changed: look at the queue again
        self._claim_wanted = True
        self._stopping = False
        self._running: asyncio.Future[None] | None = None

    # ------------------------------------------------------------------ control

    def wake(self) -> None:
        """New rows were committed: look for them now rather than at the next poll."""
        self._claim_wanted = True
        self._kick.set()

    async def stop(self) -> None:
        """Finish the sends in flight, give back the rows held, and end ``run()``."""
        self._stopping = True
        self._kick.set()
        if self._running is not None:
            await asyncio.shield(self._running)

    @property
    def held(self) -> int:
        return len(self._queue)

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def run(self) -> None:
        """Send until ``stop()``. Cancelling the task instead models a crash: requests in
        flight are abandoned and nothing more is written (their rows turn uncertain, the
        held ones are claimed again once their lease expires)."""
        self._running = asyncio.get_running_loop().create_future()
        try:
            await self._loop(once=False)
            await self._shutdown()
        finally:
            await self._abandon_tasks()
            if not self._running.done():
                self._running.set_result(None)

    async def drain_once(self) -> RelayCounts:
        """One pass: send everything due when the pass began (paced), record the outcomes.
        Rows that failed and must wait for a retry stay in the database for a later pass."""
        before = replace(self.counts)
        try:
            await self._loop(once=True)
        finally:
            await self._abandon_tasks()
        return self.counts.minus(before)

    # ------------------------------------------------------------------ the loop

    async def _loop(self, *, once: bool) -> None:
        loop = asyncio.get_running_loop()
        s = self.settings
        next_poll = loop.time() if not once else math.inf
        last_claim = -math.inf
        renew_every = s.lease_seconds / 3
        next_renew = loop.time() + renew_every
        # A single pass takes what was due when it began, in batches, and not the rows it
        # failed itself and scheduled for later.
        as_of = self._clock.now() if once else None
        more = once
        while not self._stopping:
            now = loop.time()
            # Polls claim only when the queue runs low: at full speed a claim every poll
            # would cost more than it brings. A wake() claims at once (new urgent rows).
            low = len(self._queue) + len(self._tasks) < s.max_held // 2
            if once:
                if more and low:
                    more = await self._claim(as_of) > 0
            elif (now >= next_poll and low) or self._claim_wanted:
                if now - last_claim >= _MIN_CLAIM_GAP:
                    self._claim_wanted = False
                    last_claim = now
                    await self._claim()
            if not once and now >= next_poll:
                next_poll = now + s.poll_interval
            if loop.time() >= next_renew:
                next_renew = loop.time() + renew_every
                await self._renew()
            self._dispatch(loop.time())
            if once and not more and not self._queue and not self._tasks:
                return
            wake_at = min(next_poll, next_renew)
            if self._claim_wanted and not once:
                wake_at = min(wake_at, last_claim + _MIN_CLAIM_GAP)
            if len(self._tasks) < s.max_in_flight:
                ready = self._queue.next_at()
                if ready is not None:
                    wake_at = min(wake_at, ready)
            self._kick.clear()
            delay = wake_at - loop.time()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._kick.wait()

    def _dispatch(self, now: float) -> None:
        while len(self._tasks) < self.settings.max_in_flight:
            popped = self._queue.pop_ready(now)
            if popped is None:
                return
            row_id, row = popped
            token = self._tokens.pop(row_id)
            task = asyncio.create_task(self._send(row, token), name=f"outbox-{row_id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _shutdown(self) -> None:
        """Graceful end: wait for the answers in flight, then give the held rows back."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self.settings.request_timeout + 5)
        held = [(row_id, self._tokens[row_id]) for row_id, _ in self._queue.items()]
        if held:
            try:
                released = await self._ledger.write(outbox_leases.release, held, self._clock.now())
                log.info("relay stopped; %d held outbox rows given back", released)
            except Exception as exc:  # the leases expire anyway
                log.warning("relay could not give back held rows: %s", type(exc).__name__)
        for row_id, _ in held:
            self._queue.remove(row_id)
            self._tokens.pop(row_id, None)

    async def _abandon_tasks(self) -> None:
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # ------------------------------------------------------------------ the leases

    async def _claim(self, as_of: datetime | None = None) -> int:
        """Lease more due rows (due by ``as_of``, default now) into the queue; how many."""
        s = self.settings
        room = s.max_held - len(self._queue) - len(self._tasks)
        if room <= 0 or self._stopping:
            return 0
        crowded = self._queue.crowded(s.per_chat_claim, s.per_group_claim)
        try:
            # Not behind the ledger's write lock: the claim's search takes tens of
            # milliseconds, and sends held up that long would lose their pacing slots.
            async with UnitOfWork(self._sessions) as uow:
                rows = await outbox_leases.claim_due(
                    uow.session,
                    self._clock.now(),
                    due_by=as_of,
                    limit=min(room, s.claim_batch),
                    lease=s.lease,
                    per_chat=s.per_chat_claim,
                    per_group=s.per_group_claim,
                    skip_chats=crowded,
                    channel=self._sender.channel,
                    at_most_once=notices.at_most_once(),
                )
                await uow.commit()
        except Exception as exc:  # the database may be busy or away; try at the next poll
            log.warning("outbox claim failed: %s", type(exc).__name__)
            return 0
        for row in rows:
            self._tokens[row.id] = row.lease
            self._queue.push(row.id, row.chat_id, row.is_group, row)
        if rows:
            log.debug("claimed %d outbox rows", len(rows))
        return len(rows)

    async def _renew(self) -> None:
        held = [(row_id, self._tokens[row_id]) for row_id, _ in self._queue.items()]
        if not held:
            return
        try:
            kept = await self._ledger.write(
                outbox_leases.extend_leases, held, self._clock.now() + self.settings.lease
            )
        except Exception as exc:
            log.warning("outbox lease renewal failed: %s", type(exc).__name__)
            return
        for row_id, _ in held:
            if row_id in kept:
                self._tokens[row_id] = kept[row_id]
            else:  # someone else's now, or no longer pending (an operator, a 403 cascade)
                self._queue.remove(row_id)
                self._tokens.pop(row_id, None)

    # ------------------------------------------------------------------ one row

    async def _send(self, row: Claimed, token: datetime) -> None:
        loop = asyncio.get_running_loop()
        try:
            await self._deliver(row, token)
        except _Lost:
            log.warning(
                "outbox #%s (%s) lost its lease; not sent by this relay", row.id, row.template
            )
        except Exception as exc:  # a database error after the request; the lease decides
            log.error(
                "outbox #%s (%s): %s while recording", row.id, row.template, type(exc).__name__
            )
        finally:
            self._queue.finish(row.chat_id, loop.time())
            # Out of the in-flight set before the loop looks again (the done callback
            # would come a turn too late, and the loop would sleep on a stale count).
            current = asyncio.current_task()
            if current is not None:
                self._tasks.discard(current)
            self._kick.set()

    async def _deliver(self, row: Claimed, token: datetime) -> None:
        try:
            rendered = self._render(row)
        except Exception as exc:
            await self._ledger.render_failed(row, exc)
            return
        in_flight = await self._ledger.sending(row, token)
        if in_flight is None:
            raise _Lost
        await self._through_gate()
        timeout = self.settings.request_timeout
        outcome: Outcome
        try:
            async with asyncio.timeout(timeout):
                outcome = await self._sender.deliver(row, rendered)
        except TimeoutError:
            outcome = Uncertain(f"no answer within {timeout:g} s")
        except Exception as exc:  # we cannot tell how far it got: do not send it twice
            outcome = Uncertain(f"{type(exc).__name__} while sending")
        await self._record(row, outcome, in_flight)

    async def _record(self, row: Claimed, outcome: Outcome, in_flight: datetime) -> None:
        match outcome:
            case Sent(message_id):
                await self._ledger.sent(row, message_id)
            case FirstPartSent(message_id):
                held_until = await self._ledger.first_part_sent(row, message_id, in_flight)
                if held_until is None:
                    raise _Lost
                # The rest follows, paced like any message to the chat.
                held = replace(row, sent_message_id=message_id, lease=held_until)
                self._tokens[row.id] = held_until
                self._queue.push(row.id, row.chat_id, row.is_group, held, front=True)
            case Retry(reason, after, counted):
                if after is not None:
                    loop = asyncio.get_running_loop()
                    self._queue.pause(row.chat_id, loop.time() + after)
                await self._ledger.retry(row, after, reason, counted=counted)
            case Dead(reason, blocked):
                await self._ledger.dead(row, reason, blocked=blocked)
                if blocked and not row.is_group:
                    for other in self._queue.drop_chat(row.chat_id):
                        self._tokens.pop(other.id, None)
            case Uncertain(reason) if notices.resend_when_unsure(row.template):
                # It may have arrived; it must arrive: sent again, its duplicate harmless.
                await self._ledger.retry(row, None, f"unsure, sent again: {reason}")
            case Uncertain(reason):
                await self._ledger.uncertain(row, reason)
            case Moved(chat_id):
                await self._ledger.moved(row, chat_id, self._sender.channel)

    async def _through_gate(self) -> None:
        """Wait for this request's slot in the overall rate (booked now, first come first
        served; normally there is no wait, as the queue handed the row out on time)."""
        now = asyncio.get_running_loop().time()
        slot = max(now, self._gate.ready_at())
        self._gate.take(slot)
        if slot > now:
            await asyncio.sleep(slot - now)

    def _render(self, row: Claimed) -> Rendered:
        # A group reads the default language; a person reads theirs.
        t = self._catalogs.get(None if row.is_group else row.language)
        return render(row.template, t, row.params)
