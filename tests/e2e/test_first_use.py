"""First use (issue 18), the small ones: an escalated card says why it came; a reply of
同意 to a sheet card says what to do; cadre commands in a group point to the private chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.conftest import Harness
from tests.e2e.test_confirmations import ask_leave


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
