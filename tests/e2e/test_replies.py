"""Replies go out after the commit, and what the person is told follows the data: a reply
that Telegram refuses after a leave request was saved is retried through the outbox, never
answered with "nothing was saved"."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from models.enums import LeaveState
from models.workflow import LeaveRequest
from tests.e2e.conftest import Harness

NOTHING_SAVED = "没有保存"


async def test_a_reply_failing_after_the_commit_arrives_later_and_nobody_is_misled(
    harness: Harness,
) -> None:
    sandbox = harness.sandbox
    wang, liu = await harness.register("王芳"), await harness.register("刘洋")
    summary = await harness.say(wang, "/leave 12-01 12-03 事假 家中有事", contains="才会发送")
    # Telegram fails the confirmation the cadre is sent right after Submit.
    sandbox.fail_next("sendMessage", error_code=500, chat_id=wang.chat_id)
    await wang.press(summary, "提交")
    sent = await sandbox.wait_for_message(wang.chat_id, contains="已送", after=summary.message_id)
    assert "#" in sent.text
    # The request was saved once and its card reached the approver.
    async with await harness.ctx.uow() as uow:
        leaves = (await uow.session.exec(select(LeaveRequest))).all()
    assert [leave.state for leave in leaves] == [LeaveState.PENDING]
    await sandbox.wait_for_message(liu.chat_id, contains="请假申请")
    said = [m.text for m in sandbox.sent(wang)]
    assert not any(NOTHING_SAVED in text for text in said), said
    assert sum("已送" in text for text in said) == 1


async def test_a_hung_reply_holds_nobody_up_for_more_than_ten_seconds(
    harness: Harness,
) -> None:
    """Updates are handled one after another: a reply whose request hangs is given up
    after the bot's request timeout (then retried through the outbox), so the next person
    waits at most about that long."""
    import time

    from bot.telegram.runtime import REQUEST_TIMEOUT

    sandbox = harness.sandbox
    wang, li = await harness.register("王芳"), await harness.register("李强")
    # 王芳's answer hangs for a minute and then breaks.
    sandbox.fail_next("sendMessage", error_code=502, stall=60, chat_id=wang.chat_id)
    await wang.send("/visit 张伟明 电话 一切都好")
    started = time.monotonic()
    sent = await li.send("/whoami")
    answer = await sandbox.wait_for_message(
        li.chat_id, after=sent["message_id"], timeout=REQUEST_TIMEOUT + 5
    )
    waited = time.monotonic() - started
    assert "李强" in answer.text
    assert waited < REQUEST_TIMEOUT + 3, waited
    # 王芳 hears her confirmation through the outbox, once.
    saved = await sandbox.wait_for_message(wang.chat_id, contains="已保存走访", timeout=20)
    assert saved is not None
    said = [m.text for m in sandbox.sent(wang)]
    assert sum("已保存走访" in text for text in said) == 1
    assert not any(NOTHING_SAVED in text for text in said), said


async def test_a_flooding_stranger_is_slowed_and_told_once_and_others_are_answered(
    harness: Harness,
) -> None:
    """50 messages in a burst: the first ones are handled (a stranger's one refusal each),
    the rest are dropped before any database work, with one polite line; a registered
    person writing meanwhile is answered as usual."""
    from sqlalchemy import func

    from bot.flood import BURST
    from models.tables import InboxEntry

    sandbox = harness.sandbox
    wang = await harness.register("王芳")
    stranger = sandbox.user(first_name="刷")
    for n in range(50):
        await stranger.send(f"spam {n}")
    answer = await harness.say(wang, "/whoami")
    assert "王芳" in answer.text
    await sandbox.drain()
    said = [m.text for m in sandbox.sent(stranger)]
    assert sum("太快" in text for text in said) == 1, said
    # The burst, plus what the bucket refilled (2 a second) while they were handled.
    assert len(said) <= BURST + 6
    async with await harness.ctx.uow() as uow:
        handled = (await uow.session.exec(select(func.count()).select_from(InboxEntry))).one()
    assert handled <= BURST + 8  # wang's registration and /whoami, the burst and the refill


class _Crash(BaseException):
    """The process stopping dead: nothing after the raise runs, no handler catches it."""


async def test_a_confirmation_cut_off_by_a_crash_after_the_commit_arrives_after_the_restart(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The visit is committed, then the process dies before its confirmation goes out.
    The reply was written in the update's own transaction, so the relay sends it once the
    bridge's hold on it runs out (what a restart finds), marked as sent again."""
    from datetime import timedelta

    import bot.telegram.bridge as bridge
    from bot.relay.replies import hold_for
    from models.workflow import Visit

    sandbox = harness.sandbox
    wang = await harness.register("王芳")
    real_send = bridge.send

    async def dying_send(bot: object, event: object, view: object) -> object:
        if "已保存走访" in getattr(view, "text", ""):
            raise _Crash
        return await real_send(bot, event, view)  # type: ignore[arg-type]

    monkeypatch.setattr(bridge, "send", dying_send)
    sent = await wang.send("/visit 张伟明 电话 一切都好")

    async def saved() -> int:
        async with await harness.ctx.uow() as uow:
            return len((await uow.session.exec(select(Visit))).all())

    for _ in range(200):
        if await saved():
            break
        await asyncio.sleep(0.05)
    assert await saved() == 1
    await asyncio.sleep(0.3)
    assert not [m for m in sandbox.sent(wang) if m.message_id > sent["message_id"]]
    monkeypatch.setattr(bridge, "send", real_send)
    harness.clock.advance(hold_for(harness.ctx.settings) + timedelta(seconds=1))
    await harness.crashed()
    late = await sandbox.wait_for_message(wang.chat_id, contains="已保存走访", timeout=10)
    assert late.text.startswith("（补发）"), late.text
    assert sum("已保存走访" in m.text for m in sandbox.sent(wang)) == 1
