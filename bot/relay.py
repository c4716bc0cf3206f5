"""The outbox relay: sends outbox rows to Telegram, paced, retried, never twice.

Every message to someone other than the current sender is an outbox row written in the
same transaction as its cause (DESIGN.md, data flow 2). The relay claims due rows with a
lease (``services.messaging.outbox_leases.claim_due``), holds them in a
:class:`services.messaging.pacing.SendQueue` that keeps Telegram's limits, records "in
flight" in the database before each request and the outcome after it. What each answer means:

====================================  ===================================================
Telegram's answer / what happened     what becomes of the row
====================================  ===================================================
the message                           sent; ``sent_message_id`` kept (cards are found by it)
429 Too Many Requests                 pending again after ``retry_after``; the chat pauses
5xx, or a network error (no           pending again after a backoff (1 s, 2 s, 4 s ... up
connection, connection broken)        to ``max_backoff``); dead after ``max_attempts``
401, 404, 409, other codes            as 5xx: the bot's own trouble, not the row's, so the
                                      row waits rather than dies
400 Bad Request, 413                  dead, with Telegram's reason
400 "group migrated to supergroup"    sent on to the new chat id
403 Forbidden                         dead; for a private chat the person is marked as
                                      having blocked the bot, and their other rows die too
no answer within ``request_timeout``  uncertain: it may have arrived, so it is not resent
an answer we could not read, or any   uncertain, for the same reason
other error while the request was out
the relay died with the request out   uncertain, once the in-flight lease expires
the relay died before sending         pending: another relay (or this one restarted) takes
                                      it when the claim lease expires
render failed (a template bug)        dead, before anything was sent
====================================  ===================================================

A document goes with the rendered text as its caption. When the text is too long for a
caption (1024 characters) it goes first as a message of its own (carrying the buttons, so
the card is that message) and the document follows as a reply to it; the row records the
first part's message id in between, so a retry sends only what is missing.

Logs name row ids, templates and error classes, never message text or chat contents.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendDocument, SendMessage
from aiogram.types import BufferedInputFile, ReplyParameters
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.telegram.outgoing import markup
from handlers.notices import Rendered, render
from locales import Catalogs
from models.db import UnitOfWork
from services.clock import Clock
from services.messaging import groups, outbox_leases, outbox_outcomes
from services.messaging.outbox_leases import Claimed
from services.messaging.pacing import Gcra, Limits, SendQueue

log = logging.getLogger(__name__)
_T = TypeVar("_T")

CAPTION_LIMIT = 1024  # Telegram's, in UTF-16 code units after entity parsing
_TAG = re.compile(r"<[^>]*>")
# Claims triggered by wake() come at most this often: a burst of updates is one claim,
# and a big backlog (where a claim costs tens of milliseconds) is not slowed by them.
_MIN_CLAIM_GAP = 0.2


@dataclass(frozen=True)
class RelaySettings:
    """How the relay paces and retries. From ``ZHUCUN_RELAY_*`` settings when present."""

    per_chat_interval: float = 1.0  # seconds between two messages to one chat
    group_per_minute: int = 20  # messages to one group per minute
    global_per_second: float = 29.0  # all messages, under Telegram's 30
    poll_interval: float = 1.0  # seconds between looks for due rows when nobody wakes us
    lease_seconds: float = 60.0  # how long a claimed or in-flight row stays ours
    request_timeout: float = 10.0  # no answer by then: the send is uncertain
    max_backoff: float = 300.0  # longest wait between retries of a 5xx or network error
    max_attempts: int = 25  # then a row failing with 5xx/network errors is dead
    max_in_flight: int = 32  # concurrent requests (Telegram answers in ~0.1-0.5 s)

    def __post_init__(self) -> None:
        if self.lease_seconds <= self.request_timeout:
            # An in-flight row whose lease ran out would be declared abandoned (uncertain)
            # while its request might still be answered.
            raise ValueError("relay lease_seconds must exceed request_timeout")
        if self.poll_interval <= 0 or self.max_in_flight < 1 or self.max_attempts < 1:
            raise ValueError("relay poll_interval, max_in_flight and max_attempts must be > 0")

    @classmethod
    def from_settings(cls, settings: object) -> RelaySettings:
        """Reads ``settings.relay_<field>`` for each field that exists there."""
        given = {
            f.name: getattr(settings, f"relay_{f.name}")
            for f in fields(cls)
            if getattr(settings, f"relay_{f.name}", None) is not None
        }
        return cls(**given)

    @property
    def limits(self) -> Limits:
        return Limits(self.per_chat_interval, self.group_per_minute, self.global_per_second)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    @property
    def max_held(self) -> int:
        """Rows held at once: about half a lease's worth of sending."""
        return max(50, math.ceil(self.global_per_second * self.lease_seconds / 2))

    @property
    def claim_batch(self) -> int:
        """Rows per claim: about five seconds' worth, so that turning them into queue
        entries never holds up the event loop the sends are paced on."""
        return max(20, math.ceil(self.global_per_second * 5))

    @property
    def per_chat_claim(self) -> int:
        """Rows of one private chat taken per claim: what it can send in half a lease."""
        if self.per_chat_interval <= 0:
            return 0
        return max(1, min(self.max_held, int(self.lease_seconds / 2 / self.per_chat_interval)))

    @property
    def per_group_claim(self) -> int:
        return max(1, int(self.group_per_minute * self.lease_seconds / 2 / 60))


@dataclass
class RelayCounts:
    """Outcomes recorded, for logs, tests and the benchmark."""

    sent: int = 0
    retried: int = 0
    dead: int = 0
    uncertain: int = 0

    def minus(self, other: RelayCounts) -> RelayCounts:
        return RelayCounts(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))


class _Lost(Exception):
    """The row is no longer this relay's to send (its lease was taken or it changed)."""


class Relay:
    """Sends the outbox. ``run()`` until ``stop()``; ``wake()`` after committing new rows."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bot: Bot,
        catalogs: Catalogs,
        clock: Clock,
        settings: RelaySettings | None = None,
    ) -> None:
        self.settings = settings or RelaySettings()
        self.counts = RelayCounts()
        self._sessions = sessions
        self._bot = bot
        self._catalogs = catalogs
        self._clock = clock
        self._queue: SendQueue[Claimed] = SendQueue(self.settings.limits)
        # The overall rate is kept twice: the queue spaces rows as it hands them out, and
        # this gate spaces the requests themselves, after the in-flight marker is written,
        # so a slow database write cannot bunch requests up beyond Telegram's 30 a second.
        self._gate = Gcra(self.settings.global_per_second)
        self._tokens: dict[int, datetime] = {}  # held row id -> its lease (fencing token)
        self._tasks: set[asyncio.Task[None]] = set()
        self._kick = asyncio.Event()  # something changed: look at the queue again
        self._claim_wanted = True
        self._stopping = False
        self._running: asyncio.Future[None] | None = None
        # The relay's own writes go one at a time: SQLite has one writer anyway, and
        # waiting here is cheaper than SQLite's busy-wait.
        self._db = asyncio.Lock()

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
                released = await self._write(outbox_leases.release, held, self._clock.now())
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

    # ------------------------------------------------------------------ the database

    async def _write(self, fn: Callable[..., Awaitable[_T]], *args: Any, **kwargs: Any) -> _T:
        """One short transaction around one write of ``outbox_leases`` or ``outbox_outcomes``."""
        async with self._db, UnitOfWork(self._sessions) as uow:
            result = await fn(uow.session, *args, **kwargs)
            await uow.commit()
            return result

    async def _claim(self, as_of: datetime | None = None) -> int:
        """Lease more due rows (due by ``as_of``, default now) into the queue; how many."""
        s = self.settings
        room = s.max_held - len(self._queue) - len(self._tasks)
        if room <= 0 or self._stopping:
            return 0
        crowded = self._queue.crowded(s.per_chat_claim, s.per_group_claim)
        try:
            # Not behind the write lock of the sends: the claim's search takes tens of
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
                    channel="telegram",
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
            kept = await self._write(
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
        s = self.settings
        try:
            rendered = self._render(row)
        except Exception as exc:
            log.error(
                "outbox #%s: template %s failed to render: %s",
                row.id,
                row.template,
                type(exc).__name__,
            )
            await self._write(
                outbox_outcomes.mark_dead,
                row.id,
                f"render failed: {type(exc).__name__}",
                self._clock.now(),
            )
            self.counts.dead += 1
            return
        # Once the text part went, the row stays a two-part send whatever the text is now.
        split = row.document is not None and (
            row.sent_message_id is not None or _visible_length(rendered.text) > CAPTION_LIMIT
        )
        first_part = split and row.sent_message_id is None
        in_flight = await self._write(
            outbox_outcomes.mark_sending, row.id, token, self._clock.now(), s.lease
        )
        if in_flight is None:
            raise _Lost
        await self._through_gate()
        try:
            async with asyncio.timeout(s.request_timeout):
                message = await self._bot(self._method(row, rendered, split, first_part))
        except TelegramRetryAfter as exc:
            loop = asyncio.get_running_loop()
            self._queue.pause(row.chat_id, loop.time() + exc.retry_after)
            await self._retry(row, exc.retry_after, f"429 {exc.message}", counted=False)
        except TelegramMigrateToChat as exc:
            await self._write(
                _follow_supergroup, row.id, row.chat_id, exc.migrate_to_chat_id, self._clock.now()
            )
            log.warning("outbox #%s: group moved to a supergroup; sent on there", row.id)
            self.counts.retried += 1
        except TelegramForbiddenError as exc:
            dead = await self._write(
                outbox_outcomes.mark_dead,
                row.id,
                f"403 {exc.message}",
                self._clock.now(),
                blocked=not row.is_group,
            )
            if not row.is_group:
                for other in self._queue.drop_chat(row.chat_id):
                    self._tokens.pop(other.id, None)
            log.warning("outbox #%s (%s): 403, %d row(s) dead", row.id, row.template, len(dead))
            self.counts.dead += len(dead)
        except (TelegramBadRequest, TelegramEntityTooLarge) as exc:
            code = 413 if isinstance(exc, TelegramEntityTooLarge) else 400
            await self._write(
                outbox_outcomes.mark_dead, row.id, f"{code} {exc.message}", self._clock.now()
            )
            log.warning("outbox #%s (%s): %s, dead", row.id, row.template, type(exc).__name__)
            self.counts.dead += 1
        except TelegramNetworkError as exc:
            if isinstance(exc.__cause__, TimeoutError):
                await self._uncertain(row, f"no answer (aiogram timeout): {exc.message}")
            else:
                # No connection, or it broke: retried, as the issue asks. The usual case is a
                # keep-alive connection the server had closed, which never reached Telegram.
                await self._retry(row, self._backoff(row), f"network: {exc.message}")
        except TimeoutError:
            await self._uncertain(row, f"no answer within {s.request_timeout:g} s")
        except (
            TelegramServerError,
            TelegramUnauthorizedError,
            TelegramNotFound,
            TelegramConflictError,
        ) as exc:
            await self._retry(row, self._backoff(row), f"{type(exc).__name__}: {exc.message}")
        except TelegramAPIError as exc:  # an error code aiogram has no class for
            await self._retry(row, self._backoff(row), f"{type(exc).__name__}: {exc.message}")
        except ClientDecodeError as exc:
            await self._uncertain(row, f"unreadable answer: {exc.message}")
        except Exception as exc:  # we cannot tell how far it got: do not send it twice
            await self._uncertain(row, f"{type(exc).__name__} while sending")
        else:
            if first_part:
                held_until = await self._write(
                    outbox_outcomes.mark_progress,
                    row.id,
                    message.message_id,
                    in_flight,
                    self._clock.now(),
                    s.lease,
                )
                if held_until is None:
                    raise _Lost
                # The document follows, paced like any message to the chat.
                held = replace(row, sent_message_id=message.message_id, lease=held_until)
                self._tokens[row.id] = held_until
                self._queue.push(row.id, row.chat_id, row.is_group, held, front=True)
                return
            card = row.sent_message_id if split and row.sent_message_id else message.message_id
            await self._write(outbox_outcomes.mark_sent, row.id, card, self._clock.now())
            self.counts.sent += 1

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

    @staticmethod
    def _method(
        row: Claimed, rendered: Rendered, split: bool, first_part: bool
    ) -> SendMessage | SendDocument:
        if row.document is None or first_part:
            return SendMessage(
                chat_id=row.chat_id,
                text=rendered.text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(rendered.reply_markup),
            )
        document = BufferedInputFile(row.document, filename=row.document_name or "document")
        if split:  # the text (and its buttons) went first; the document answers it
            assert row.sent_message_id is not None
            return SendDocument(
                chat_id=row.chat_id,
                document=document,
                reply_parameters=ReplyParameters(
                    message_id=row.sent_message_id, allow_sending_without_reply=True
                ),
            )
        return SendDocument(
            chat_id=row.chat_id,
            document=document,
            caption=rendered.text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup(rendered.reply_markup),
        )

    def _backoff(self, row: Claimed) -> float:
        attempts = row.attempts + 1  # this attempt included
        return min(self.settings.max_backoff, 2.0 ** (attempts - 1))

    async def _retry(self, row: Claimed, delay: float, error: str, *, counted: bool = True) -> None:
        """Back to the queue after ``delay``; a row failing for ``max_attempts`` dies."""
        if counted and row.attempts + 1 >= self.settings.max_attempts:
            reason = f"gave up after {row.attempts + 1} attempts: {error}"
            await self._write(outbox_outcomes.mark_dead, row.id, reason, self._clock.now())
            log.warning("outbox #%s (%s): gave up, dead", row.id, row.template)
            self.counts.dead += 1
            return
        not_before = self._clock.now() + timedelta(seconds=delay)
        await self._write(outbox_outcomes.mark_retry, row.id, not_before, error)
        log.info(
            "outbox #%s (%s): %s; retry in %g s", row.id, row.template, error.split(":")[0], delay
        )
        self.counts.retried += 1

    async def _uncertain(self, row: Claimed, error: str) -> None:
        await self._write(outbox_outcomes.mark_uncertain, row.id, error)
        log.warning(
            "outbox #%s (%s): uncertain (%s); not resent", row.id, row.template, error.split(":")[0]
        )
        self.counts.uncertain += 1


def _visible_length(text: str) -> int:
    """Length Telegram counts for HTML text: tags gone, entities decoded, in UTF-16 units."""
    visible = html.unescape(_TAG.sub("", text))
    return len(visible.encode("utf-16-le")) // 2


async def _follow_supergroup(
    session: AsyncSession, row_id: int, old_chat_id: int, new_chat_id: int, now: datetime
) -> None:
    """Telegram refused a send because the group became a supergroup: this row goes there
    at once, and the group's binding and its other waiting rows follow (the bot may have
    missed the service message that says so)."""
    await outbox_outcomes.retarget(session, row_id, new_chat_id, now)
    await groups.follow_migration(
        session, old_chat_id=old_chat_id, new_chat_id=new_chat_id, now=now
    )
