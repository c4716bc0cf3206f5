"""Groups and people whose chats change under the bot: a bound group upgraded to a
supergroup (a new chat id) keeps its binding and its notices, whether the bot saw the
upgrade or learns it from a refused send; a person who blocks the bot is not written to,
and is again once they unblock it or write to it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from models.tables import GroupChat
from models.workflow import AuditEvent
from sandbox.telegram.chats import FakeGroup
from sandbox.telegram.users import FakeUser
from tests.e2e.conftest import Harness
from tests.factories import block_telegram, telegram_account

DEC_1 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Beijing: dispatch check
DEC_4 = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)  # 28 days of the quarter left: visit due


async def bound_basic_group(harness: Harness) -> tuple[FakeUser, FakeGroup]:
    chen = await harness.register("陈静")  # the county office: may bind the county group
    group = harness.sandbox.group("赣县区驻村工作群", type="group", members=[chen])
    sent = await chen.send("/bind county", chat=group)
    await harness.sandbox.wait_for_message(group, contains="赣县区", after=sent["message_id"])
    return chen, group


async def bindings(harness: Harness) -> list[int]:
    async with await harness.ctx.uow() as uow:
        # Stored as text; the sandbox's chats are Telegram's integers.
        return [int(c) for c in (await uow.session.exec(select(GroupChat.chat_id))).all()]


async def blocked_at(harness: Harness, name: str) -> datetime | None:
    async with await harness.ctx.uow() as uow:
        account = await telegram_account(uow.session, harness.roster.people[name])
        assert account is not None
        return account.blocked_at


async def test_an_upgraded_group_keeps_its_binding(harness: Harness) -> None:
    box = harness.sandbox
    chen, group = await bound_basic_group(harness)
    supergroup = box.upgrade_to_supergroup(group, by=chen)
    await box.drain()
    assert await bindings(harness) == [supergroup.id]

    harness.clock.set(DEC_1)
    assert (await harness.tick())["monthly_dispatch"] == 2
    summary = await box.wait_for_message(supergroup, contains="下寨村")
    assert "调度" in summary.text
    assert not [m for m in box.sent(group) if "下寨村" in m.text]
    async with await harness.ctx.uow() as uow:
        moves = (
            await uow.session.exec(select(AuditEvent).where(col(AuditEvent.action) == "migrate"))
        ).all()
    assert [(m.from_state, m.to_state) for m in moves] == [(str(group.id), str(supergroup.id))]


async def test_an_upgrade_the_bot_missed_is_learnt_from_the_refused_send(
    harness: Harness,
) -> None:
    box = harness.sandbox
    chen, group = await bound_basic_group(harness)
    supergroup = box.upgrade_to_supergroup(group, by=chen, announce=False)
    assert await bindings(harness) == [group.id]

    harness.clock.set(DEC_1)
    await harness.tick()
    summary = await box.wait_for_message(supergroup, contains="下寨村")
    assert "调度" in summary.text
    to_old = [c for c in box.calls_to("sendMessage") if c.params.get("chat_id") == group.id]
    assert [c.ok for c in to_old] == [True, False]  # the bind confirmation, then refused
    await box.drain()
    assert await bindings(harness) == [supergroup.id]  # the next notice goes there at once


async def test_blocking_stops_reminders_and_unblocking_resumes_them(harness: Harness) -> None:
    box = harness.sandbox
    wang = await harness.register("王芳")
    wang.block()
    await box.drain()
    assert await blocked_at(harness, "王芳") is not None

    harness.clock.set(DEC_4)
    assert (await harness.tick())["visit_due"] == 0  # nobody to remind: nothing queued

    wang.unblock()
    await box.drain()
    assert await blocked_at(harness, "王芳") is None
    harness.clock.set(DEC_4.replace(hour=2))
    assert (await harness.tick())["visit_due"] == 1
    reminder = await box.wait_for_message(wang, contains="张伟明")
    assert "/visit" in reminder.text


async def test_writing_to_the_bot_again_clears_a_block_learnt_from_a_403(
    harness: Harness,
) -> None:
    wang = await harness.register("王芳")
    # As the relay records it when Telegram answers 403 (tests/e2e/test_relay.py).
    async with await harness.ctx.uow() as uow:
        await block_telegram(uow.session, harness.roster.people["王芳"], harness.clock.now())
        await uow.commit()
    await harness.say(wang, "/mine", contains="张伟明")
    assert await blocked_at(harness, "王芳") is None
