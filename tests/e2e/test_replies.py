"""Replies go out after the commit, and what the person is told follows the data: a reply
that Telegram refuses after a leave request was saved is retried through the outbox, never
answered with "nothing was saved"."""

from __future__ import annotations

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
