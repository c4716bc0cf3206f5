"""The assistant on DingTalk: the real runtime over the emulator's Stream gateway and
OpenAPI, from registration to approvals, reminders and group broadcasts."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from models.enums import LeaveState
from models.tables import ChannelAccount, GroupChat
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
    question = await dingtalk.say(staff, "visit 张伟明 电话 孩子辍学")  # no slash needed
    assert "涉及哪一项？" in question.text and "4. 👉 义务教育" in question.text
    reply = await dingtalk.say(staff, "4", contains="已保存走访")
    assert "已保存走访：张伟明（H0001）" in reply.text, reply.text
    assert "发现问题：义务教育" in reply.text and "其他情况：孩子辍学" in reply.text
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
        b
        for b in json.loads(box.cards[approval.out_track_id].card_param_map["buttons"])
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


DEC_1 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Beijing: dispatch check
DEC_4 = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)  # 28 days of the quarter left: visit due
COUNTY_GROUP = "cidCountyGroup00000001=="


async def test_reminders_reach_the_cadre_through_the_openapi(dingtalk: DingTalkHarness) -> None:
    h = dingtalk
    wang = await h.register("王芳")
    h.clock.set(DEC_4)
    assert (await h.tick())["visit_due"] == 1
    reminder = await h.box.wait_for(lambda m: m.to == wang and "张伟明" in m.text)
    assert reminder.kind == "oto"  # a notice, not a reply: no session webhook
    assert "/visit" in reminder.text


async def test_a_group_is_bound_and_gets_the_broadcast_without_household_names(
    dingtalk: DingTalkHarness,
) -> None:
    h, box = dingtalk, dingtalk.box
    chen = await h.register("陈静")  # the county office
    box.add_group(COUNTY_GROUP, "赣县区驻村工作群", [chen, STAFF["王芳"]])
    bound = await h.say(chen, "/bind county", group=COUNTY_GROUP, contains="赣县区")
    assert bound.to == COUNTY_GROUP
    async with await h.ctx.uow() as uow:
        [group] = (await uow.session.exec(select(GroupChat))).all()
    assert (group.channel, group.chat_id) == ("dingtalk", COUNTY_GROUP)

    h.clock.set(DEC_1)
    assert (await h.tick())["monthly_dispatch"] == 2  # the group's summary, 陈静's sheet
    summary = await box.wait_for(lambda m: m.to == COUNTY_GROUP and "下寨村" in m.text)
    assert summary.kind == "group" and "调度" in summary.text
    assert "张伟明" not in summary.text
    sheet = await box.wait_for(lambda m: m.to == chen and m.msg_key == "sampleFile")
    name, data = box.media[sheet.params["mediaId"]]
    assert name.endswith(".xlsx") and data[:2] == b"PK"


async def test_a_dropped_socket_loses_nothing_and_doubles_nothing(
    dingtalk: DingTalkHarness,
) -> None:
    h, box = dingtalk, dingtalk.box
    wang = await h.register("王芳")
    kinds = await h.say(wang, "/leave", contains="事假")
    assert "事假" in kinds.text
    stream = h.runtime.stream
    assert stream is not None
    before = stream.connections
    await box.drop_connection()
    await asyncio.wait_for(_reconnected(h, before), timeout=30)
    # The conversation goes on where it was: the draft survived the drop.
    answer = await h.say(wang, "事假")
    assert "开始" in answer.text or "日期" in answer.text, answer.text
    # A frame DingTalk pushes again after the reconnect is done once.
    msg = await box.say(wang, "/visit 张伟明 电话 一切都好")
    await box.wait_acked(msg)
    await box.redeliver(msg)
    await box.wait_acked(msg)
    async with await h.ctx.uow() as uow:
        assert len((await uow.session.exec(select(Visit))).all()) == 1
    saved = [m for m in box.messages_to(wang) if "已保存走访" in m.text]
    assert len(saved) == 1


async def _reconnected(h: DingTalkHarness, before: int) -> None:
    stream = h.runtime.stream
    assert stream is not None
    for _ in range(600):  # a new connection, not the one that dropped
        if stream.connections > before and stream.connected.is_set():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not reconnected within 30 s")


async def test_a_voice_message_counts_only_once_confirmed(dingtalk: DingTalkHarness) -> None:
    h, box = dingtalk, dingtalk.box
    wang = await h.register("王芳")
    mark = len(box.sent)
    await box.send_audio(wang, None)
    hint = await box.wait_for(lambda m: m.to == wang, after=mark)
    assert "文字" in hint.text
    mark = len(box.sent)
    await box.send_audio(wang, "visit 张伟明 电话 一切都好")
    heard = await box.wait_for(lambda m: m.to == wang, after=mark)
    assert "张伟明 电话 一切都好" in heard.text and "确认" in heard.text
    async with await h.ctx.uow() as uow:
        assert (await uow.session.exec(select(Visit))).all() == []  # nothing saved yet
    saved = await h.say(wang, "确认", contains="已保存走访")
    assert "张伟明" in saved.text


async def test_a_guided_visit_takes_a_picture_by_its_download_code(
    dingtalk: DingTalkHarness,
) -> None:
    h, box = dingtalk, dingtalk.box
    wang = await h.register("王芳")
    pick = await h.say(wang, "/visit", contains="走访了哪一户")
    assert "张伟明 · H0001" in pick.text
    card = await h.say(wang, "1", contains="走访 张伟明（H0001）")  # the first button
    assert "照片：0" in card.text, card.text
    mark = len(box.sent)
    await box.send_picture(wang, b"\xff\xd8\xff\xe0 a jpeg")
    updated = await box.wait_for(lambda m: m.to == wang and "照片：1" in m.text, after=mark)
    assert "张伟明" in updated.text


SORRY = "出了问题"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("王芳", "/help", "/leave"),
        ("王芳", "whoami", "钉钉"),
        ("王芳", "/myleave", "请假"),
        ("王芳", "/emergency 2 家中老人急病", "紧急"),
        ("王芳", "/coverage", "走访"),
        ("刘洋", "/pending", "待"),
        ("刘洋", "/coverage", "走访"),
        ("王芳", "/lang en", "English"),
    ],
)
async def test_the_cores_commands_answer_on_dingtalk(
    dingtalk: DingTalkHarness, name: str, text: str, expected: str
) -> None:
    staff = await dingtalk.register(name)
    reply = await dingtalk.say(staff, text)
    assert expected in reply.text, reply.text
    assert SORRY not in reply.text


async def test_the_attendance_sheet_arrives_as_a_file(dingtalk: DingTalkHarness) -> None:
    h, box = dingtalk, dingtalk.box
    liu = await h.register("刘洋")  # the township party committee: the sheet is theirs
    h.clock.set(DEC_1)
    await h.tick()  # November's draft, to 刘洋 through the relay
    draft = await box.wait_for(lambda m: m.to == liu and m.msg_key == "sampleFile")
    mark = len(box.sent)
    await box.say(liu, "/sheet 2026-11")  # and again, as a reply
    caption = await box.wait_for(lambda m: m.to == liu and "草稿" in m.text, after=mark)
    assert "确认考勤表" in caption.text  # its button, answerable by typing
    sheet = await box.wait_for(lambda m: m.to == liu and m.msg_key == "sampleFile", after=mark)
    for sent in (draft, sheet):
        assert sent.params["fileName"] == "考勤表_江口镇_2026-11.xlsx"
        assert box.media[sent.params["mediaId"]][1][:2] == b"PK"
    confirmed = await h.say(liu, "确认考勤表", contains="已确认")
    assert "锁定" in confirmed.text or "已确认" in confirmed.text


async def test_a_flooding_sender_is_slowed_and_told_once(dingtalk: DingTalkHarness) -> None:
    from bot.flood import BURST

    box = dingtalk.box
    sent = [await box.say("stranger", f"spam {n}") for n in range(BURST + 15)]
    for msg in sent:
        await box.wait_acked(msg)
    said = [m.text for m in box.messages_to("stranger")]
    assert sum("太快" in text for text in said) == 1, said
    # One refusal per handled message (the burst, and what refilled meanwhile), one line.
    assert BURST + 1 <= len(said) <= BURST + 6
