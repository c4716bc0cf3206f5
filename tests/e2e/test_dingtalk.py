"""The assistant on DingTalk: the real runtime over the emulator's Stream gateway and
OpenAPI, from registration to approvals, reminders and group broadcasts."""

from __future__ import annotations

import json

from sqlmodel import select

from models.enums import LeaveState
from models.tables import ChannelAccount
from models.workflow import LeaveRequest, Visit
from tests.e2e.dingtalk_world import STAFF, DingTalkHarness


async def test_registration_binds_the_staff_id_and_greets_by_name(
    dingtalk: DingTalkHarness,
) -> None:
    staff = await dingtalk.register("王芳")
    async with await dingtalk.ctx.uow() as uow:
        account = (
            await uow.session.exec(
                select(ChannelAccount).where(ChannelAccount.channel == "dingtalk")
            )
        ).one()
    assert (account.external_id, account.chat_id) == (staff, staff)
    assert account.person_id == dingtalk.roster.people["王芳"].id


async def test_a_stranger_gets_one_polite_refusal_and_no_roster_data(
    dingtalk: DingTalkHarness,
) -> None:
    box = dingtalk.box
    msg = await box.say("stranger", "请假")
    await box.wait_acked(msg)  # replies go out before the frame is acknowledged
    answers = box.messages_to("stranger")
    assert len(answers) == 1, [m.text for m in answers]
    assert not any(name in answers[0].text for name in STAFF)


async def test_a_one_line_visit_is_saved_and_confirmed(dingtalk: DingTalkHarness) -> None:
    staff = await dingtalk.register("王芳")
    reply = await dingtalk.say(staff, "visit 张伟明 电话 孩子辍学")  # no slash needed
    assert "已保存走访：张伟明（H0001）" in reply.text, reply.text
    assert "发现问题：义务教育" in reply.text
    async with await dingtalk.ctx.uow() as uow:
        [visit] = (await uow.session.exec(select(Visit))).all()
    assert visit.notes == "孩子辍学"


async def test_leave_approved_by_pressing_the_cards_button(
    dingtalk_cards: DingTalkHarness,
) -> None:
    h, box = dingtalk_cards, dingtalk_cards.box
    wang, liu = await h.register("王芳"), await h.register("刘洋")
    summary = await h.say(wang, "/leave 12-01 12-03 事假 家中有事", contains="提交")
    assert summary.kind == "card" and summary.out_track_id
    card = box.cards[summary.out_track_id]
    buttons = json.loads(card.card_param_map["buttons"])
    submit = next(b for b in buttons if b["text"] == "提交")
    mark = len(box.sent)
    await box.press(wang, summary.out_track_id, {"payload": submit["payload"]})
    approval = await box.wait_for(lambda m: m.to == liu and "请假申请" in m.text, after=mark)
    assert approval.kind == "card"
    approve = next(
        b for b in json.loads(box.cards[approval.out_track_id].card_param_map["buttons"])
        if b["text"] == "批准"
    )
    mark = len(box.sent)
    await box.press(liu, approval.out_track_id, {"payload": approve["payload"]})
    await box.wait_for(lambda m: m.to == wang and "批准" in m.text, after=mark)
    assert await _leave_state(h) == LeaveState.APPROVED


async def test_leave_approved_by_typing_and_buttons_answered_by_typing(
    dingtalk: DingTalkHarness,
) -> None:
    h, box = dingtalk, dingtalk.box
    wang, liu = await h.register("王芳"), await h.register("刘洋")
    summary = await h.say(wang, "/leave 12-01 12-03 事假 家中有事", contains="提交")
    # An ActionCard: each button sends its answer as the person's message; so does typing.
    assert summary.msg_key.startswith("sampleActionCard") or summary.kind == "webhook"
    assert "「提交」" in summary.text
    mark = len(box.sent)
    await box.say(wang, "提交")
    approval = await box.wait_for(lambda m: m.to == liu and "请假申请" in m.text, after=mark)
    assert "同意" in approval.text
    answer = await h.say(liu, "同意", contains="批准")
    assert "批准" in answer.text
    assert await _leave_state(h) == LeaveState.APPROVED


async def _leave_state(h: DingTalkHarness) -> LeaveState:
    async with await h.ctx.uow() as uow:
        [leave] = (await uow.session.exec(select(LeaveRequest))).all()
        return leave.state
