"""The outbox relay against the Bot API emulator: faults, a crash mid-batch, the limits.

The emulator's record of calls is the judge: every row must arrive exactly once, or be
dead with a reason, or be uncertain (an ambiguous send: at most one arrival, never resent).
Timings are never asserted, except lower bounds that prove the relay waited.
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.relay.loop import Relay
from bot.relay.settings import RelaySettings
from bot.telegram.middlewares import UnitOfWorkMiddleware
from bot.telegram.sender import TelegramSender
from handlers.notices import Rendered, notice
from locales import Catalogs, Translator
from models import migrate
from models.db import create_engine, session_factory
from models.enums import OutboxState
from models.tables import Person
from models.workflow import OutboxMessage
from sandbox.telegram.emulator import BotApiSandbox
from sandbox.telegram.records import RecordedCall
from sandbox.telegram.users import FakeUser
from services.messaging import outbox, outbox_leases, outbox_status
from services.roster import accounts
from tests.e2e.conftest import Harness
from tests.factories import bind_telegram

START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
FAST = RelaySettings(
    per_chat_interval=0.05,
    global_per_second=200,
    poll_interval=0.05,
    lease_seconds=5,
    request_timeout=2,
    max_backoff=0.2,
)


# At most once, as the tests of the uncertain path need; "test.card" is sent at least once.
@notice("test.echo", at_most_once=True)
def _echo(t: Translator, params: dict[str, Any]) -> Rendered:
    """The text, tagged with the language it was rendered in; a button when asked."""
    markup = None
    if params.get("button"):
        button = InlineKeyboardButton(text=params["button"], callback_data="ok")
        markup = InlineKeyboardMarkup(inline_keyboard=[[button]])
    return Rendered(f"[{t.language}] {html.escape(params['text'])}", markup)


class TickingClock:
    """Real time from a fixed start, which a test may jump forward (a long downtime)."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._t0 = time.monotonic()
        self._offset = timedelta()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0) + self._offset

    def advance(self, delta: timedelta) -> None:
        self._offset += delta


@dataclass
class World:
    sandbox: BotApiSandbox
    sessions: async_sessionmaker[AsyncSession]
    bot: Bot
    clock: TickingClock
    catalogs: Catalogs = field(default_factory=Catalogs)

    def relay(self, settings: RelaySettings = FAST, bot: Bot | None = None) -> Relay:
        sender = TelegramSender(bot or self.bot)
        return Relay(self.sessions, sender, self.catalogs, self.clock, settings)

    async def person(self, user: FakeUser, language: str | None = None) -> int:
        async with self.sessions() as s:
            p = Person(
                name=user.first_name,
                phone=f"139{user.id % 10**8:08d}",
                language=language,
                created_at=START,
                updated_at=START,
            )
            s.add(p)
            await s.flush()
            bind_telegram(s, p, user.id)
            await s.commit()
            assert p.id is not None
            return p.id

    async def add(
        self,
        key: str,
        chat_id: int,
        *,
        person_id: int | None = None,
        is_group: bool = False,
        template: str = "test.echo",
        document: tuple[str, bytes] | None = None,
        **params: Any,
    ) -> int:
        async with self.sessions() as s:
            await outbox.enqueue(
                s,
                key=key,
                chat_id=str(chat_id),
                person_id=person_id,
                is_group=is_group,
                template=template,
                params={"text": key, **params},
                now=self.clock.now(),
                document=document,
                channel="telegram",
            )
            row = (await s.exec(select(OutboxMessage).where(OutboxMessage.dedup_key == key))).one()
            await s.commit()
            assert row.id is not None
            return row.id

    async def rows(self) -> dict[str, OutboxMessage]:
        async with self.sessions() as s:
            return {r.dedup_key: r for r in await s.exec(select(OutboxMessage))}

    async def row(self, key: str) -> OutboxMessage:
        return (await self.rows())[key]

    async def wait(
        self, done: Callable[[dict[str, OutboxMessage]], bool], within: float = 10
    ) -> None:
        deadline = time.monotonic() + within
        while True:
            rows = await self.rows()
            if done(rows):
                return
            if time.monotonic() > deadline:
                states = {k: (r.state.value, r.last_error) for k, r in rows.items()}
                raise AssertionError(f"outbox not settled in {within}s: {states}")
            await asyncio.sleep(0.05)

    async def wait_settled(self, within: float = 10) -> None:
        await self.wait(
            lambda rows: all(r.state != OutboxState.PENDING for r in rows.values()), within
        )

    def deliveries(self, key: str) -> list[RecordedCall]:
        """Successful sends carrying this row's text (its key), as the emulator saw them."""
        out = []
        for call in self.sandbox.calls:
            if call.method not in ("sendMessage", "sendDocument") or not call.ok:
                continue
            text = str(call.params.get("text") or call.params.get("caption") or "")
            if text.endswith(f"] {key}"):
                out.append(call)
        return out

    def attempts_to(self, chat_id: int) -> list[RecordedCall]:
        return [
            c
            for c in self.sandbox.calls
            if c.method.startswith("send") and c.params.get("chat_id") == chat_id
        ]


@pytest.fixture
async def world(sandbox: BotApiSandbox, database_url: str) -> AsyncIterator[World]:
    # A pool of real connections (a file, or PostgreSQL): the relay writes from concurrent
    # tasks, which one shared in-memory connection would interleave.
    engine: AsyncEngine = create_engine(database_url)
    await migrate.ensure_migrated(engine)
    bot = sandbox.make_bot()
    try:
        yield World(sandbox, session_factory(engine), bot, TickingClock(START))
    finally:
        await bot.session.close()
        await engine.dispose()
    sandbox.assert_no_violations()


async def _running(relay: Relay) -> asyncio.Task[None]:
    return asyncio.create_task(relay.run())


# ---------------------------------------------------------------------------- delivery


async def test_each_row_arrives_once_in_its_recipients_language(world: World) -> None:
    sb = world.sandbox
    en_user, zh_user = sb.user(first_name="Ann"), sb.user(first_name="王")
    group = sb.group("下寨村工作群")
    en = await world.person(en_user, "en")
    zh = await world.person(zh_user, None)
    await world.add("hello", en_user.chat_id, person_id=en, button="Approve")
    await world.add("second", en_user.chat_id, person_id=en)
    await world.add("你好", zh_user.chat_id, person_id=zh)
    await world.add("通知", group.chat_id, is_group=True)

    counts = await world.relay().drain_once()
    assert (counts.sent, counts.dead, counts.uncertain) == (4, 0, 0)

    [card, second] = sb.sent(en_user)
    assert card.text == "[en] hello" and card.buttons() == [["Approve"]]
    assert second.text == "[en] second"  # in order within a chat
    assert card.parse_mode == "HTML"
    assert [m.text for m in sb.sent(zh_user)] == ["[zh] 你好"]
    assert [m.text for m in sb.sent(group)] == ["[zh] 通知"]  # groups read the default
    rows = await world.rows()
    assert all(r.state == OutboxState.SENT for r in rows.values())
    # The card is found again by (chat, message id): approvers reply to it.
    assert (rows["hello"].chat_id, rows["hello"].sent_message_id) == (
        str(en_user.chat_id),
        str(card.message_id),
    )
    for key in rows:
        assert len(world.deliveries(key)) == 1


async def test_documents_go_with_their_text(world: World) -> None:
    sb = world.sandbox
    user = sb.user()
    await world.add("report", user.chat_id, document=("月报.xlsx", b"PK-xlsx"), button="OK")
    await world.relay().drain_once()

    [short] = sb.sent(user)
    assert short.file_name == "月报.xlsx"
    assert short.text == "[zh] report" and short.content == b"PK-xlsx"
    assert short.buttons() == [["OK"]]
    assert (await world.row("report")).sent_message_id == str(short.message_id)


@notice("test.long")
def _long(t: Translator, params: dict[str, Any]) -> Rendered:
    """Longer than a caption's 1024 characters."""
    button = InlineKeyboardButton(text="批准", callback_data="ok")
    return Rendered(
        f"<b>{html.escape(params['text'])}</b> " + "长" * 1100,
        InlineKeyboardMarkup(inline_keyboard=[[button]]),
    )


async def test_a_document_with_a_long_text_follows_the_text(world: World) -> None:
    sb = world.sandbox
    user = sb.user()
    await world.add("long", user.chat_id, template="test.long", document=("清单.csv", b"a,b\n"))
    await world.relay().drain_once()

    text, document = sb.sent(user)
    assert text.text.startswith("long 长") and text.buttons() == [["批准"]]
    assert document.file_name == "清单.csv" and document.content == b"a,b\n"
    assert document.raw["reply_to_message"]["message_id"] == text.message_id
    row = await world.row("long")
    assert row.state == OutboxState.SENT and row.sent_message_id == str(text.message_id)
    assert len(world.attempts_to(user.chat_id)) == 2


async def test_a_template_that_fails_to_render_is_dead_before_sending(world: World) -> None:
    user = world.sandbox.user()
    await world.add("orphan", user.chat_id, template="test.nobody-renders-this")
    counts = await world.relay().drain_once()
    assert counts.dead == 1
    row = await world.row("orphan")
    assert row.state == OutboxState.DEAD and row.last_error == "render failed: KeyError"
    assert world.attempts_to(user.chat_id) == []


# ---------------------------------------------------------------------------- faults


async def test_429_waits_retry_after_and_pauses_the_chat(world: World) -> None:
    sb = world.sandbox
    busy, other = sb.user(), sb.user()
    sb.fail_next("sendMessage", error_code=429, retry_after=1, chat_id=busy.chat_id)
    await world.add("first", busy.chat_id)
    await world.add("second", busy.chat_id)
    await world.add("elsewhere", other.chat_id)
    relay = world.relay()
    task = await _running(relay)
    try:
        await world.wait_settled()
    finally:
        await relay.stop()
        await task

    calls = world.attempts_to(busy.chat_id)
    assert calls[0].status == 429 and all(c.ok for c in calls[1:]) and len(calls) == 3
    assert calls[1].at - calls[0].at >= 1.0  # waited retry_after (a lower bound)
    for key in ("first", "second", "elsewhere"):
        assert len(world.deliveries(key)) == 1
    assert (await world.row("first")).attempts == 2


async def test_5xx_is_retried_with_backoff_until_it_goes(world: World) -> None:
    sb = world.sandbox
    user = sb.user()
    sb.fail_next("sendMessage", error_code=500, times=1, chat_id=user.chat_id)
    sb.fail_next("sendMessage", error_code=502, times=1, chat_id=user.chat_id)
    await world.add("flaky", user.chat_id)
    relay = world.relay()
    task = await _running(relay)
    try:
        await world.wait_settled()
    finally:
        await relay.stop()
        await task

    assert [c.status for c in world.attempts_to(user.chat_id)] == [500, 502, 200]
    row = await world.row("flaky")
    assert row.state == OutboxState.SENT and row.attempts == 3
    assert len(world.deliveries("flaky")) == 1
    assert relay.counts.retried == 2


async def test_5xx_forever_ends_dead_with_the_reason(world: World) -> None:
    user = world.sandbox.user()
    world.sandbox.fail_next("sendMessage", error_code=500, times=10)
    await world.add("doomed", user.chat_id)
    relay = world.relay(RelaySettings(**{**FAST.__dict__, "max_attempts": 3}))
    task = await _running(relay)
    try:
        await world.wait_settled()
    finally:
        await relay.stop()
        await task
    row = await world.row("doomed")
    assert row.state == OutboxState.DEAD
    assert row.last_error.startswith("gave up after 3 attempts: TelegramServerError")


async def test_no_connection_is_retried_later(world: World) -> None:
    user = world.sandbox.user()
    await world.add("offline", user.chat_id)
    # Nothing listens on port 9 of loopback: the connection is refused before any request.
    session = AiohttpSession(api=TelegramAPIServer.from_base("http://127.0.0.1:9"))
    unreachable = Bot(world.sandbox.token, session=session)
    try:
        counts = await world.relay(bot=unreachable).drain_once()
    finally:
        await session.close()
    assert counts.retried == 1
    row = await world.row("offline")
    assert row.state == OutboxState.PENDING and row.sent_at is None
    assert row.last_error.startswith("network: ClientConnectorError")
    # It goes once Telegram is reachable again.
    world.clock.advance(timedelta(seconds=5))
    assert (await world.relay().drain_once()).sent == 1
    assert len(world.deliveries("offline")) == 1


async def test_a_stalled_send_is_uncertain_and_never_resent(world: World) -> None:
    sb = world.sandbox
    user, other = sb.user(), sb.user()
    # No error: after 1.5 s the emulator performs the send, long after the client gave up.
    sb.fail_next("sendMessage", stall=1.5, chat_id=user.chat_id)
    await world.add("stalled", user.chat_id)
    await world.add("fine", other.chat_id)
    relay = world.relay(RelaySettings(**{**FAST.__dict__, "request_timeout": 0.5}))
    task = await _running(relay)
    try:
        await world.wait_settled()
        row = await world.row("stalled")
        assert row.state == OutboxState.UNCERTAIN
        assert row.last_error == "no answer within 0.5 s"
        # The emulator delivers it; the relay, running on past leases and polls, never resends.
        await sb.wait_for_message(user, contains="stalled", timeout=3)
        world.clock.advance(timedelta(minutes=5))
        await asyncio.sleep(0.5)
    finally:
        await relay.stop()
        await task
    assert len(world.attempts_to(user.chat_id)) == 1
    assert len(world.deliveries("stalled")) == 1
    assert (await world.row("stalled")).state == OutboxState.UNCERTAIN
    assert (await world.row("fine")).state == OutboxState.SENT
    async with world.sessions() as s:
        report = await outbox_status.status(s, world.clock.now())
    assert [r.error for r in report.uncertain] == ["no answer within 0.5 s"]


@notice("test.card")
def _card(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(f"[card] {html.escape(params['text'])}")


async def test_a_stalled_card_is_sent_again_and_arrives(world: World) -> None:
    """A card must arrive: a send with no answer is sent again, not given up. The stalled
    one may arrive too; a duplicate card is harmless (its decision is idempotent)."""
    sb = world.sandbox
    user = sb.user()
    sb.fail_next("sendMessage", stall=1.5, chat_id=user.chat_id)
    await world.add("card", user.chat_id, template="test.card")
    relay = world.relay(RelaySettings(**{**FAST.__dict__, "request_timeout": 0.5}))
    task = await _running(relay)
    try:
        await world.wait_settled()  # the retry's backoff passes in real time
    finally:
        await relay.stop()
        await task
    row = await world.row("card")
    assert row.state == OutboxState.SENT and row.attempts >= 1
    assert len(world.attempts_to(user.chat_id)) == 2
    assert 1 <= len(world.deliveries("card")) <= 2


async def test_403_marks_the_person_and_stops_trying(world: World) -> None:
    sb = world.sandbox
    quitter, other = sb.user(first_name="退出"), sb.user()
    pid = await world.person(quitter)
    quitter.block()
    await world.add("one", quitter.chat_id, person_id=pid)
    await world.add("two", quitter.chat_id, person_id=pid)
    await world.add("else", other.chat_id)

    counts = await world.relay().drain_once()
    assert counts.dead == 2 and counts.sent == 1
    assert len(world.attempts_to(quitter.chat_id)) == 1  # the second never went out
    one, two = await world.row("one"), await world.row("two")
    assert (one.state, one.last_error) == (
        OutboxState.DEAD,
        "403 Forbidden: bot was blocked by the user",
    )
    assert two.state == OutboxState.DEAD and "blocked the bot" in two.last_error
    async with world.sessions() as s:
        account = await accounts.account_of(s, pid)
        assert account is not None and account.blocked_at is not None
        assert not await outbox.to_person(
            s, pid, key="three", template="test.echo", params={"text": "x"}, now=START
        )


async def test_400_is_dead_with_telegrams_reason(world: World) -> None:
    await world.add("nowhere", 424242)  # a chat the bot was never in
    counts = await world.relay().drain_once()
    assert counts.dead == 1
    row = await world.row("nowhere")
    assert (row.state, row.last_error) == (OutboxState.DEAD, "400 Bad Request: chat not found")


async def test_killed_mid_batch_and_restarted_sends_each_row_once(world: World) -> None:
    sb = world.sandbox
    users = [sb.user() for _ in range(6)]
    group = sb.group()
    keys: list[str] = []
    for n in range(6):
        for i, user in enumerate(users):
            keys.append(f"u{i}-{n}")
            await world.add(keys[-1], user.chat_id)
        keys.append(f"g-{n}")
        await world.add(keys[-1], group.chat_id, is_group=True)
    slow = users[2]
    sb.fail_next("sendMessage", stall=1.0, chat_id=slow.chat_id)  # out when the relay dies
    paced = RelaySettings(**{**FAST.__dict__, "per_chat_interval": 0.15})

    first = world.relay(paced)
    task = await _running(first)
    await world.wait(lambda rows: sum(r.state == OutboxState.SENT for r in rows.values()) >= 8)
    assert any(c.params.get("chat_id") == slow.chat_id and not c.done for c in sb.calls)
    task.cancel()  # a crash: nothing more is written by this relay
    with pytest.raises(asyncio.CancelledError):
        await task
    pending = [r for r in (await world.rows()).values() if r.state == OutboxState.PENDING]
    assert pending, "the crash was meant to land mid-batch"

    # Restarted after the leases ran out (the clock jumps past them).
    world.clock.advance(timedelta(seconds=FAST.lease_seconds + 1))
    second = world.relay(paced)
    task = await _running(second)
    try:
        await world.wait_settled()
    finally:
        await second.stop()
        await task
    await asyncio.sleep(1.2)  # let the stalled request land in the emulator

    rows = await world.rows()
    assert sorted(rows) == sorted(keys)
    for key, row in rows.items():
        arrived = len(world.deliveries(key))
        if row.state == OutboxState.SENT:
            assert arrived == 1, key
        else:  # out when the relay died: never resent, and flagged for an operator
            assert row.state == OutboxState.UNCERTAIN, (key, row.state)
            assert row.last_error == outbox_leases.IN_FLIGHT_LOST
            assert arrived <= 1
    stalled = next(k for k in keys if k.startswith("u2-"))
    assert rows[stalled].state == OutboxState.UNCERTAIN
    assert len(world.deliveries(stalled)) == 1  # it did arrive, once
    uncertain = [r for r in rows.values() if r.state == OutboxState.UNCERTAIN]
    assert len(uncertain) <= len(users) + 1  # at most one in flight per chat


async def test_graceful_stop_gives_held_rows_back(world: World) -> None:
    user = world.sandbox.user()
    for n in range(3):
        await world.add(f"r{n}", user.chat_id)
    slow = RelaySettings(**{**FAST.__dict__, "per_chat_interval": 30})
    relay = world.relay(slow)
    task = await _running(relay)
    await world.wait(lambda rows: rows["r0"].state == OutboxState.SENT)
    await relay.stop()
    await task
    rows = await world.rows()
    assert rows["r1"].state == rows["r2"].state == OutboxState.PENDING
    # Due at once for the next relay: no lease to wait out.
    assert (await world.relay().drain_once()).sent == 2


async def test_wake_sends_without_waiting_for_the_poll(world: World) -> None:
    user = world.sandbox.user()
    relay = world.relay(RelaySettings(**{**FAST.__dict__, "poll_interval": 600}))
    task = await _running(relay)
    try:
        await asyncio.sleep(0.1)  # the first poll found nothing
        await world.add("now", user.chat_id)
        relay.wake()
        await world.sandbox.wait_for_message(user, contains="now", timeout=5)
    finally:
        await relay.stop()
        await task


async def test_the_unit_of_work_wakes_the_relay_after_commit(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    woken: list[bool] = []
    middleware = UnitOfWorkMiddleware(sessions, TickingClock(START), lambda: woken.append(True))

    async def handler(event: Any, data: dict[str, Any]) -> str:
        assert not woken  # not before the commit
        return "done"

    update = Update(update_id=77)
    assert await middleware(handler, update, {}) == "done"
    assert woken == [True]


async def test_the_runtime_runs_a_relay(harness: Harness) -> None:
    sb = harness.sandbox
    user = sb.user()
    relay = harness.runtime.relay
    assert relay is not None
    async with await harness.ctx.uow() as uow:
        await outbox.enqueue(
            uow.session,
            key="runtime",
            chat_id=str(user.chat_id),
            template="test.echo",
            params={"text": "runtime"},
            now=harness.clock.now(),
            channel="telegram",
        )
        await uow.commit()
    relay.wake()
    message = await sb.wait_for_message(user, contains="runtime")
    assert message.text == "[zh] runtime"


# ---------------------------------------------------------------------------- Telegram's limits


async def test_the_emulator_refuses_a_flood() -> None:
    """So that "no 429" below means something."""
    async with BotApiSandbox() as sb:
        sb.enforce_rate_limits()
        user = sb.user()
        bot = sb.make_bot()
        try:
            await bot.send_message(user.chat_id, "one")
            with pytest.raises(TelegramRetryAfter) as caught:
                await bot.send_message(user.chat_id, "two")
        finally:
            await bot.session.close()
        assert caught.value.retry_after == 1
        assert len(sb.rate_limited) == 1


async def test_one_chat_is_paced_at_telegrams_limit(world: World) -> None:
    sb = world.sandbox
    sb.enforce_rate_limits()  # 1 a second per chat, 20 a minute per group, 30 a second
    user = sb.user()
    for n in range(5):
        await world.add(f"m{n}", user.chat_id)
    real = RelaySettings(poll_interval=0.05)  # Telegram's limits, as deployed
    started = time.monotonic()
    counts = await world.relay(real).drain_once()
    elapsed = time.monotonic() - started
    assert counts.sent == 5
    assert sb.rate_limited == []
    assert elapsed >= 4 * real.per_chat_interval  # five messages, four gaps


async def test_many_chats_stay_under_the_global_limit(world: World) -> None:
    sb = world.sandbox
    sb.enforce_rate_limits(global_per_second=10)  # a lower ceiling keeps the test short
    users = [sb.user() for _ in range(12)]
    groups = [sb.group(f"群{i}") for i in range(2)]
    for n in range(2):
        for i, user in enumerate(users):
            await world.add(f"u{i}-{n}", user.chat_id)
        for i, group in enumerate(groups):
            await world.add(f"g{i}-{n}", group.chat_id, is_group=True)
    settings = RelaySettings(global_per_second=9, poll_interval=0.05)
    counts = await world.relay(settings).drain_once()
    assert counts.sent == 28
    assert sb.rate_limited == []
    assert all(len(world.deliveries(k)) == 1 for k in await world.rows())


async def test_every_fault_at_once_then_a_crash_and_a_restart(world: World) -> None:
    """The scheduler issue's fault run in one piece: with Telegram's flood limits enforced,
    one chat answers 429, one 500, one stalls, one person has blocked the bot; the relay is
    killed mid-batch and a new one started. The emulator's record then shows every row
    delivered exactly once, or dead with a reason, or uncertain (at most one arrival),
    none lost, and no 429 beyond the one injected."""
    sb = world.sandbox
    sb.enforce_rate_limits()
    limited, flaky, slow, quitter, *fine = [sb.user() for _ in range(6)]
    group = sb.group()
    quitter_id = await world.person(quitter)
    quitter.block()
    keys: list[str] = []
    for n in range(3):
        for i, user in enumerate([limited, flaky, slow, quitter, *fine]):
            keys.append(f"u{i}-{n}")
            await world.add(
                keys[-1], user.chat_id, person_id=quitter_id if user is quitter else None
            )
        keys.append(f"g-{n}")
        await world.add(keys[-1], group.chat_id, is_group=True)
    sb.fail_next("sendMessage", error_code=429, retry_after=1, chat_id=limited.chat_id)
    sb.fail_next("sendMessage", error_code=500, chat_id=flaky.chat_id)
    sb.fail_next("sendMessage", stall=3.0, chat_id=slow.chat_id)  # out when the relay dies
    # Telegram's limits as deployed; only the retry waits are shortened.
    real = RelaySettings(poll_interval=0.05, lease_seconds=6, request_timeout=5, max_backoff=0.2)

    first = world.relay(real)
    task = await _running(first)
    await world.wait(lambda rows: sum(r.state == OutboxState.SENT for r in rows.values()) >= 6)
    assert any(c.params.get("chat_id") == slow.chat_id and not c.done for c in sb.calls)
    task.cancel()  # a crash: nothing more is written by this relay
    with pytest.raises(asyncio.CancelledError):
        await task
    assert any(r.state == OutboxState.PENDING for r in (await world.rows()).values())

    # Restarted after the leases ran out. A new process starts in no less than a second, so
    # Telegram's one-a-second window of the chats the dead relay wrote to has passed: the new
    # relay knows nothing of its predecessor's pace.
    await asyncio.sleep(1.0)
    world.clock.advance(timedelta(seconds=real.lease_seconds + 1))
    second = world.relay(real)
    task = await _running(second)
    try:
        await world.wait_settled(within=20)
    finally:
        await second.stop()
        await task
    await asyncio.sleep(3.2)  # let the stalled request land in the emulator

    rows = await world.rows()
    assert sorted(rows) == sorted(keys)  # none lost
    for key, row in rows.items():
        arrived = len(world.deliveries(key))
        if row.state == OutboxState.SENT:
            assert arrived == 1, key
        elif row.state == OutboxState.DEAD:
            assert key.startswith("u3-") and arrived == 0 and row.last_error, (key, row)
        else:
            # Out when the relay died: the stalled one, and any other request that happened
            # to be on the wire at that instant (it may or may not have reached Telegram).
            assert row.state == OutboxState.UNCERTAIN, (key, row)
            assert row.last_error == outbox_leases.IN_FLIGHT_LOST and arrived <= 1, (key, row)
    assert sum(r.state == OutboxState.DEAD for r in rows.values()) == 3  # the quitter's
    uncertain = [k for k, r in rows.items() if r.state == OutboxState.UNCERTAIN]
    assert "u2-0" in uncertain, uncertain  # the stalled one
    assert len(world.deliveries("u2-0")) == 1  # the stalled request did land
    assert [c.status for c in world.attempts_to(flaky.chat_id)][:2] == [500, 200]
    limited_by = [(c.params.get("chat_id"), c.limited_by) for c in sb.rate_limited]
    assert limited_by == []
    assert [c.status for c in sb.calls if c.status == 429] == [429]  # the injected one only
