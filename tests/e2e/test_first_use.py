"""First use (issue 18), the small ones: an escalated card says why it came; a reply of
同意 to a sheet card says what to do; cadre commands in a group point to the private chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from models.workflow import LeaveRequest
from tests.e2e.conftest import Harness
from tests.e2e.dingtalk_world import DingTalkHarness
from tests.e2e.test_confirmations import ask_leave

GROUP = "cidVillageGroup0000001=="


async def leaves(harness: Harness) -> list[LeaveRequest]:
    async with await harness.ctx.uow() as uow:
        return list((await uow.session.exec(select(LeaveRequest))).all())


async def test_an_escalated_card_says_why_it_came(harness: Harness) -> None:
    sandbox = harness.sandbox
    leave_id, _, liu = await ask_leave(harness)
    chen = await harness.register("陈静")  # the county office, one tier up
    first = await sandbox.wait_for_message(liu.chat_id, contains="请假申请", timeout=10)
    assert "已等待" not in first.text
    harness.clock.advance(timedelta(hours=49))
    await harness.tick()
    card = await sandbox.wait_for_message(chen.chat_id, contains="请假申请", timeout=10)
    assert "已等待 刘洋 49 小时，转由您审批" in card.text, card.text
    assert f"#{leave_id}" in card.text


async def test_a_reply_to_a_sheet_says_how_sheets_are_confirmed(harness: Harness) -> None:
    sandbox = harness.sandbox
    liu = await harness.register("刘洋")
    harness.clock.set(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))  # the monthly draft goes out
    await harness.tick()
    sheet = await sandbox.wait_for_message(liu.chat_id, contains="考勤表", timeout=10)
    assert sheet.buttons() == [["确认考勤表"]]
    sent = await liu.send("同意", reply_to=sheet)
    hint = await sandbox.wait_for_message(liu.chat_id, after=sent["message_id"])
    assert "回复消息不能确认考勤表" in hint.text and "确认考勤表" in hint.text, hint.text
    # Once confirmed the sheet has no button left: still known by what it was sent for.
    await liu.press(sheet, "确认考勤表")
    await sandbox.wait_for_message(liu.chat_id, contains="已确认", after=sheet.message_id)
    await sandbox.drain()
    assert sheet.buttons() == []
    sent = await liu.send("同意", reply_to=sheet)
    hint = await sandbox.wait_for_message(liu.chat_id, after=sent["message_id"])
    assert "回复消息不能确认考勤表" in hint.text, hint.text


async def test_a_cadre_command_in_a_group_points_to_the_private_chat_once_a_day(
    harness: Harness,
) -> None:
    sandbox = harness.sandbox
    wang = await harness.register("王芳")
    group = sandbox.group("下寨村工作群", type="group", members=[wang])
    sent = await wang.send("/leave 12-01 12-03 事假 家中有事", chat=group)
    hint = await sandbox.wait_for_message(group, after=sent["message_id"])
    assert "私聊" in hint.text and "/leave" in hint.text, hint.text
    assert "王芳" not in hint.text and "家中有事" not in hint.text
    assert await leaves(harness) == []
    await wang.send("/visit 张伟明 电话", chat=group)  # again the same day: not repeated
    await sandbox.drain()
    assert [m.text for m in sandbox.sent(group)] == [hint.text]
    harness.clock.advance(timedelta(days=1))
    sent = await wang.send("/myleave", chat=group)
    again = await sandbox.wait_for_message(group, after=sent["message_id"])
    assert "私聊" in again.text and "/myleave" in again.text


async def test_a_cadre_command_in_a_dingtalk_group_points_to_the_private_chat(
    dingtalk: DingTalkHarness,
) -> None:
    h, box = dingtalk, dingtalk.box
    wang = await h.register("王芳")
    box.add_group(GROUP, "下寨村工作群", [wang])
    hint = await h.say(wang, "/leave 12-01 12-03 事假 家中有事", group=GROUP)
    assert "私聊" in hint.text and "家中有事" not in hint.text
    async with await h.ctx.uow() as uow:
        assert (await uow.session.exec(select(LeaveRequest))).all() == []


async def test_a_reply_to_a_recall_card_says_to_press_its_buttons(harness: Harness) -> None:
    sandbox = harness.sandbox
    liu, zhao = await harness.register("刘洋"), await harness.register("赵敏")
    await harness.register("李强")
    await harness.say(liu, "/recall 李强 1 本月三次抽查不在村", contains="已送县驻村工作领导小组")
    card = await sandbox.wait_for_message(zhao.chat_id, contains="召回", timeout=10)
    sent = await zhao.send("同意", reply_to=card)
    hint = await sandbox.wait_for_message(zhao.chat_id, after=sent["message_id"])
    assert "回复消息不能决定召回提议" in hint.text and "同意召回" in hint.text, hint.text
