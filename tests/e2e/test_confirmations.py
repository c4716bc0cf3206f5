"""Actions that undo a decision, delete a record or end a posting ask first (issue 18):
取消 leaves everything as it was, 确定 does it, and the server re-checks on 确定 that the
person may still do it and the record is still as asked about."""

from __future__ import annotations

from sqlmodel import select

from models.enums import LeaveState, RecallState
from models.presence import Recall
from models.workflow import LeaveRequest
from sandbox.telegram.users import FakeUser
from tests.e2e.conftest import Harness
from tests.e2e.dingtalk_world import DingTalkHarness
from tests.e2e.test_groups import bindings, bound_basic_group


async def _state(harness: Harness, leave_id: int) -> LeaveState:
    async with await harness.ctx.uow() as uow:
        leave = await uow.session.get(LeaveRequest, leave_id)
        assert leave is not None
        return leave.state


async def ask_leave(harness: Harness) -> tuple[int, FakeUser, FakeUser]:
    sandbox = harness.sandbox
    wang, liu = await harness.register("王芳"), await harness.register("刘洋")
    summary = await harness.say(wang, "/leave 12-01 12-03 事假 家中有事")
    await wang.press(summary, "提交")
    await sandbox.wait_for_message(wang.chat_id, contains="已送", after=summary.message_id)
    async with await harness.ctx.uow() as uow:
        (leave_id,) = (await uow.session.exec(select(LeaveRequest.id))).all()
    assert leave_id is not None
    return leave_id, wang, liu


async def test_withdrawing_approved_leave_asks_first(harness: Harness) -> None:
    sandbox = harness.sandbox
    leave_id, wang, liu = await ask_leave(harness)
    card = await sandbox.wait_for_message(liu.chat_id, contains="请假申请", timeout=10)
    await liu.press(card, "批准")
    await sandbox.wait_for_message(wang.chat_id, contains="已获批准", timeout=10)

    listing = await harness.say(wang, "/myleave")
    await wang.press(listing, f"撤回 #{leave_id}")
    ask = await sandbox.wait_for_message(
        wang.chat_id, contains="确定撤回", after=listing.message_id
    )
    assert f"确定撤回已批准的请假 #{leave_id}？" in ask.text
    assert ask.buttons() == [["确定", "取消"]]
    await wang.press(ask, "取消")
    await sandbox.drain()
    assert "未撤回" in ask.text and ask.buttons() == []
    assert await _state(harness, leave_id) == LeaveState.APPROVED

    listing = await harness.say(wang, "/myleave")
    await wang.press(listing, f"撤回 #{leave_id}")
    ask = await sandbox.wait_for_message(
        wang.chat_id, contains="确定撤回", after=listing.message_id
    )
    await wang.press(ask, "确定")
    await sandbox.drain()
    assert "已撤回" in ask.text and ask.buttons() == []
    assert await _state(harness, leave_id) == LeaveState.WITHDRAWN
    told = await sandbox.wait_for_message(liu.chat_id, contains="撤回", timeout=10)
    assert "王芳" in told.text


async def test_a_confirmation_about_a_request_that_moved_on_does_nothing(
    harness: Harness,
) -> None:
    sandbox = harness.sandbox
    leave_id, wang, liu = await ask_leave(harness)
    listing = await harness.say(wang, "/myleave")
    await wang.press(listing, f"撤回 #{leave_id}")
    ask = await sandbox.wait_for_message(
        wang.chat_id, contains="确定撤回", after=listing.message_id
    )
    assert "已批准" not in ask.text  # asked about a waiting request
    card = await sandbox.wait_for_message(liu.chat_id, contains="请假申请", timeout=10)
    await liu.press(card, "批准")
    await sandbox.wait_for_message(wang.chat_id, contains="已获批准", timeout=10)
    query = await wang.press(ask, "确定")
    await sandbox.drain()
    answer = sandbox.callbacks[query].answer or {}
    assert answer.get("show_alert") is True and "已有变化" in answer.get("text", ""), answer
    assert await _state(harness, leave_id) == LeaveState.APPROVED


async def test_approving_a_recall_asks_first(harness: Harness) -> None:
    sandbox = harness.sandbox
    liu, zhao = await harness.register("刘洋"), await harness.register("赵敏")
    await harness.register("李强")
    await harness.say(liu, "/recall 李强 1 本月三次抽查不在村", contains="已送县驻村工作领导小组")
    card = await sandbox.wait_for_message(zhao.chat_id, contains="召回", timeout=10)
    await zhao.press(card, "同意召回")
    ask = await sandbox.wait_for_message(zhao.chat_id, contains="确定批准召回", timeout=10)
    assert ask.buttons() == [["确定", "取消"]]
    await zhao.press(ask, "取消")
    await sandbox.drain()
    assert "未批准" in ask.text and ask.buttons() == []
    assert await _recall_state(harness) == RecallState.PROPOSED
    await zhao.press(card, "同意召回")  # the card still decides, after asking again
    ask = await sandbox.wait_for_message(
        zhao.chat_id, contains="确定批准召回", after=ask.message_id, timeout=10
    )
    await zhao.press(ask, "确定")
    await sandbox.drain()
    assert await _recall_state(harness) == RecallState.APPROVED


async def _recall_state(harness: Harness) -> RecallState:
    async with await harness.ctx.uow() as uow:
        return (await uow.session.exec(select(Recall))).one().state


async def test_unbinding_a_group_asks_first_and_only_the_right_person_confirms(
    harness: Harness,
) -> None:
    sandbox = harness.sandbox
    chen, group = await bound_basic_group(harness)
    liu = await harness.register("刘洋")  # a township approver: may not unbind the county's
    group.add(liu)
    sent = await chen.send("/unbind", chat=group)
    ask = await sandbox.wait_for_message(group, contains="确定解除", after=sent["message_id"])
    await chen.press(ask, "取消")
    await sandbox.drain()
    assert "未解除" in ask.text and len(await bindings(harness)) == 1
    sent = await chen.send("/unbind", chat=group)
    ask = await sandbox.wait_for_message(group, contains="确定解除", after=sent["message_id"])
    query = await liu.press(ask, "确定")
    await sandbox.drain()
    assert (sandbox.callbacks[query].answer or {}).get("show_alert") is True
    assert len(await bindings(harness)) == 1
    await chen.press(ask, "确定")
    await sandbox.drain()
    assert "已解除绑定" in ask.text and await bindings(harness) == []


async def test_dingtalk_withdrawal_asked_and_confirmed_by_typing(
    dingtalk: DingTalkHarness,
) -> None:
    h, box = dingtalk, dingtalk.box
    wang, liu = await h.register("王芳"), await h.register("刘洋")
    await h.say(wang, "/leave 12-01 12-03 事假 家中有事", contains="提交")
    await h.say(wang, "提交", contains="已送")
    listing = await h.say(wang, "myleave", contains="撤回")
    assert "「撤回 #1」" in listing.text
    ask = await h.say(wang, "撤回 #1", contains="确定撤回")
    assert "「确定」" in ask.text and "「取消」" in ask.text
    kept = await h.say(wang, "取消")
    assert "未撤回" in kept.text
    await h.say(wang, "myleave", contains="撤回")
    await h.say(wang, "撤回 #1", contains="确定撤回")
    mark = len(box.sent)
    done = await h.say(wang, "确定")
    assert "已撤回" in done.text
    await box.wait_for(lambda m: m.to == liu and "撤回" in m.text, after=mark)
