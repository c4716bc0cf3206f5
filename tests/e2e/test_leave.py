"""请销假 end to end: the cadre asks (guided or in one line), the approver decides (button or
reply), the cadre hears at once; refusals of every kind; withdraw, /back, emergencies."""

from __future__ import annotations

from sqlmodel import col, select

from handlers.leave.payloads import LeaveDecision
from models.enums import LeaveState
from models.workflow import AuditEvent, LeaveRequest
from sandbox.telegram.chats import SentMessage
from sandbox.telegram.users import FakeUser
from tests.e2e.conftest import Harness


async def _leave(harness: Harness, leave_id: int) -> LeaveRequest:
    async with await harness.ctx.uow() as uow:
        leave = await uow.session.get(LeaveRequest, leave_id)
        assert leave is not None
        return leave


async def _only_leave_id(harness: Harness) -> int:
    async with await harness.ctx.uow() as uow:
        ids = (await uow.session.exec(select(LeaveRequest.id))).all()
    assert len(ids) == 1 and ids[0] is not None
    return ids[0]


async def _card(harness: Harness, approver: FakeUser, contains: str = "请假申请") -> SentMessage:
    return await harness.sandbox.wait_for_message(approver.chat_id, contains=contains, timeout=10)


async def _one_line(harness: Harness, cadre: FakeUser, text: str) -> SentMessage:
    summary = await harness.say(cadre, text)
    assert summary.buttons() == [["提交", "取消"]], summary.text
    await cadre.press(summary, "提交")
    await harness.sandbox.wait_for_message(cadre.chat_id, contains="已送", after=summary.message_id)
    return summary


async def test_guided_request_approved_by_button(harness: Harness) -> None:
    sandbox = harness.sandbox
    wang, liu = await harness.register("王芳"), await harness.register("刘洋")
    kinds = await harness.say(wang, "/leave")
    assert kinds.buttons()[0] == ["事假", "病假", "年假"]
    await wang.press(kinds, "事假")
    start = await sandbox.wait_for_message(
        wang.chat_id, contains="哪天开始", after=kinds.message_id
    )
    await wang.press(start, "明天")
    length = await sandbox.wait_for_message(
        wang.chat_id, contains="多长时间", after=start.message_id
    )
    await wang.press(length, "3天")
    reason = await sandbox.wait_for_message(wang.chat_id, contains="事由", after=length.message_id)
    summary = await harness.say(wang, "孩子学校开家长会", contains="才会发送")
    assert summary.message_id > reason.message_id
    assert "11月24日–11月26日（共3天）" in summary.text
    assert "乡镇党委（刘洋）" in summary.text
    await wang.press(summary, "提交")
    sent = await sandbox.wait_for_message(wang.chat_id, contains="已送", after=summary.message_id)
    assert "刘洋" in sent.text

    card = await _card(harness, liu)
    assert "王芳 · 江口镇下寨村" in card.text and "孩子学校开家长会" in card.text
    assert card.buttons() == [["批准", "驳回"]]
    await liu.press(card, "批准")
    told = await sandbox.wait_for_message(wang.chat_id, contains="已获批准", timeout=10)
    assert "刘洋" in told.text
    await sandbox.drain()
    assert "已批准" in card.text and card.buttons() == []  # the card shows the outcome
    assert (await _leave(harness, await _only_leave_id(harness))).state == LeaveState.APPROVED


async def test_one_line_request_approved_by_reply_and_a_double_tap_told(harness: Harness) -> None:
    sandbox = harness.sandbox
    wang, liu = await harness.register("王芳"), await harness.register("刘洋")
    await _one_line(harness, wang, "/leave 12-01 12-03 事假 家中有事")
    card = await _card(harness, liu)
    # Typed without replying and without a reason: asked for one, nothing decided (a plain
    # 同意 would decide the one waiting request; tests/unit/test_leave_by_text.py).
    answer = await harness.say(liu, "驳回")
    assert "“驳回 理由”" in answer.text
    sent = await liu.send("同意", reply_to=card)
    confirmation = await sandbox.wait_for_message(
        liu.chat_id, contains="已批准", after=sent["message_id"]
    )
    assert "刘洋" in confirmation.text
    await sandbox.wait_for_message(wang.chat_id, contains="已获批准", timeout=10)
    # Pressing the (still visible) button afterwards is told who decided and when.
    query = await liu.press(card, "批准")
    await sandbox.drain()
    answer_text = sandbox.callbacks[query].answer or {}
    assert "已经决定" in answer_text.get("text", "") and "刘洋" in answer_text.get("text", "")


async def test_double_tap_on_a_weak_connection_decides_once(harness: Harness) -> None:
    sandbox = harness.sandbox
    wang, liu = await harness.register("王芳"), await harness.register("刘洋")
    await _one_line(harness, wang, "/leave 12-01 12-02 病假")
    card = await _card(harness, liu)
    first = await liu.press(card, "批准")
    second = await liu.press(card, "批准")  # before the first edit arrived
    await sandbox.drain()
    assert sandbox.callbacks[first].answered and sandbox.callbacks[second].answered
    assert "已经决定" in (sandbox.callbacks[second].answer or {}).get("text", "")
    leave_id = await _only_leave_id(harness)
    async with await harness.ctx.uow() as uow:
        approvals = (
            await uow.session.exec(
                select(AuditEvent).where(
                    col(AuditEvent.action) == "approve", col(AuditEvent.entity_id) == leave_id
                )
            )
        ).all()
    assert len(approvals) == 1
    await sandbox.wait_for_message(wang.chat_id, contains="已获批准", timeout=10)
    assert len([m for m in sandbox.sent(wang) if "已获批准" in m.text]) == 1


async def test_rejection_with_a_reason_by_button_and_by_reply(harness: Harness) -> None:
    sandbox = harness.sandbox
    wang, liu = await harness.register("王芳"), await harness.register("刘洋")
    await _one_line(harness, wang, "/leave 12-01 12-01 年假")
    card = await _card(harness, liu)
    await liu.press(card, "驳回")
    await sandbox.wait_for_message(liu.chat_id, contains="驳回理由", after=card.message_id)
    await liu.send("当天县里检查，请改期")
    told = await sandbox.wait_for_message(wang.chat_id, contains="被驳回", timeout=10)
    assert "当天县里检查，请改期" in told.text

    li = await harness.register("李强")
    await _one_line(harness, li, "/leave 12-02 事假")
    card = await sandbox.wait_for_message(liu.chat_id, contains="李强", timeout=10)
    sent = await liu.send("驳回", reply_to=card)
    await sandbox.wait_for_message(liu.chat_id, contains="写明理由", after=sent["message_id"])
    await liu.send("驳回 时间冲突", reply_to=card)
    told = await sandbox.wait_for_message(li.chat_id, contains="被驳回", timeout=10)
    assert "时间冲突" in told.text


async def test_forged_and_foreign_presses_are_refused_and_recorded(harness: Harness) -> None:
    sandbox = harness.sandbox
    wang = await harness.register("王芳")
    await harness.register("刘洋")
    li, chen = await harness.register("李强"), await harness.register("陈静")
    summary = await _one_line(harness, wang, "/leave 12-01 12-03 事假")
    leave_id = await _only_leave_id(harness)
    forged = LeaveDecision(action="ok", leave_id=leave_id).pack()
    # A cadre forges the approve button onto a message of their own chat...
    own = await harness.say(li, "/help")
    q1 = await li.press_data(own, forged)
    # ...and an approver of another post tries the same (the county office: not for 3 days).
    q2 = await chen.press_data(await harness.say(chen, "/help"), forged)
    # A replayed press on the cadre's own summary, of a request id that does not exist.
    q3 = await wang.press_data(summary, LeaveDecision(action="ok", leave_id=999).pack())
    await sandbox.drain()
    for query in (q1, q2, q3):
        answer = sandbox.callbacks[query].answer or {}
        assert answer.get("show_alert") is True and "无权" in answer.get("text", ""), answer
    assert (await _leave(harness, leave_id)).state == LeaveState.PENDING
    async with await harness.ctx.uow() as uow:
        refused = (
            await uow.session.exec(
                select(AuditEvent).where(col(AuditEvent.action) == "refused_press")
            )
        ).all()
    assert len(refused) == 3


async def test_withdraw_and_the_approver_is_told(harness: Harness) -> None:
    sandbox = harness.sandbox
    wang, liu = await harness.register("王芳"), await harness.register("刘洋")
    await _one_line(harness, wang, "/leave 12-01 12-03 事假")
    await _card(harness, liu)
    listing = await harness.say(wang, "/myleave")
    assert "待审批" in listing.text
    leave_id = await _only_leave_id(harness)
    await wang.press(listing, f"撤回 #{leave_id}")
    ask = await sandbox.wait_for_message(
        wang.chat_id, contains="确定撤回", after=listing.message_id
    )
    await wang.press(ask, "确定")
    await sandbox.wait_for_message(wang.chat_id, contains="已撤回", after=listing.message_id)
    await sandbox.wait_for_message(liu.chat_id, contains="撤回", timeout=10)
    assert (await _leave(harness, leave_id)).state == LeaveState.WITHDRAWN


async def test_back_closes_the_leave_with_the_actual_date(harness: Harness) -> None:
    sandbox = harness.sandbox
    wang, liu = await harness.register("王芳"), await harness.register("刘洋")
    nothing = await harness.say(wang, "/back")
    assert "没有生效中的请假" in nothing.text
    await _one_line(harness, wang, "/leave 今天 11-25 事假")
    card = await _card(harness, liu)
    await liu.press(card, "批准")
    await sandbox.wait_for_message(wang.chat_id, contains="已获批准", timeout=10)
    from datetime import timedelta

    harness.clock.advance(timedelta(days=1))  # back a day early
    reply = await harness.say(wang, "/back")
    assert "11月24日" in reply.text
    leave = await _leave(harness, await _only_leave_id(harness))
    assert leave.state == LeaveState.CLOSED and str(leave.returned_on) == "2026-11-24"


async def test_emergency_leave_then_its_written_request(harness: Harness) -> None:
    sandbox = harness.sandbox
    wang, liu = await harness.register("王芳"), await harness.register("刘洋")
    summary = await harness.say(wang, "/emergency 2 家中老人突发疾病")
    assert "紧急请假" in summary.text
    await wang.press(summary, "提交")
    effect = await sandbox.wait_for_message(
        wang.chat_id, contains="已生效", after=summary.message_id
    )
    assert "补办" in effect.text
    told = await _card(harness, liu, contains="紧急请假")
    assert told.buttons() == []  # nothing to decide until the written request exists
    leave_id = await _only_leave_id(harness)
    assert (await _leave(harness, leave_id)).state == LeaveState.TO_COMPLETE

    listing = await harness.say(wang, "/myleave")
    await wang.press(listing, f"补办 #{leave_id}")
    await sandbox.wait_for_message(wang.chat_id, contains="书面", after=listing.message_id)
    done = await harness.say(wang, "母亲突发脑梗送县医院，需陪护两天")
    assert "已提交" in done.text
    card = await _card(harness, liu, contains="书面请假已补办")
    await liu.press(card, "批准")
    await sandbox.wait_for_message(wang.chat_id, contains="已获批准", timeout=10)
    assert (await _leave(harness, leave_id)).state == LeaveState.APPROVED


async def test_each_problem_gets_one_clear_message(harness: Harness) -> None:
    wang = await harness.register("王芳")
    cases = {
        "/leave 11-20 11-21 事假": "开始日期已过",
        "/leave 12-03 12-01 事假": "结束日期早于开始日期",
        "/leave 12-01 12-03 度假": "不认识请假类型",
        "/leave 12-01": "一行请假",
        "/leave 12-01 12-03 事假 " + "长" * 501: "最多 500",
    }
    for text, expected in cases.items():
        reply = await harness.say(wang, text)
        assert expected in reply.text, (text, reply.text)
    await _one_line(harness, wang, "/leave 12-01 12-03 事假")
    reply = await harness.say(wang, "/leave 12-03 12-04 事假")
    assert "已有请假" in reply.text
    async with await harness.ctx.uow() as uow:
        assert (
            len((await uow.session.exec(select(LeaveRequest))).all()) == 1
        )  # nothing half-written


async def test_a_card_opened_from_pending_is_decided_by_reply(harness: Harness) -> None:
    """/pending opens a card in the approver's chat (not through the outbox): replying
    "同意" to it decides that request, as replying to the card that was sent does."""
    sandbox = harness.sandbox
    wang, liu = await harness.register("王芳"), await harness.register("刘洋")
    await _one_line(harness, wang, "/leave 12-01 12-01 年假")
    sent_card = await _card(harness, liu)
    listing = await harness.say(liu, "/pending", contains="#")
    await liu.press(listing, listing.buttons()[0][0])
    opened = await sandbox.wait_for_message(
        liu.chat_id, contains="请假申请", after=listing.message_id
    )
    assert opened.message_id != sent_card.message_id
    # One renderer for the card: the reply hint and the buttons on both paths.
    assert opened.text == sent_card.text and "回复" in opened.text
    assert opened.buttons() == sent_card.buttons()
    reply = await liu.send("同意", reply_to=opened)
    answer = await sandbox.wait_for_message(liu.chat_id, after=reply["message_id"])
    assert "批准" in answer.text, answer.text
    assert (await _leave(harness, await _only_leave_id(harness))).state == LeaveState.APPROVED
