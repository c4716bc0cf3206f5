"""Presence end to end: shared locations (inside, outside, forwarded), a spot check answered
in time and one not, explain / confirm / clear, a recall from proposal to replacement, and
the monthly attendance sheet sent as a document and confirmed."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import CheckState, RecallState, SheetState
from models.presence import AttendanceSheet, LocationReport, Recall, SpotCheckTarget
from services import audit
from services.calendar import load_calendar
from services.policy_loading import load_pack
from services.presence import attendance, spot_checks
from tests.e2e.conftest import Harness
from tests.presence_factories import FAR, NEAR

PACK = load_pack("ganzhou-2021")


async def _sweep(harness: Harness, run: Callable[[AsyncSession], Awaitable[int]]) -> int:
    """What the scheduler's tick does: run a sweep, commit, and wake the relay."""
    async with await harness.ctx.uow() as uow:
        done = await run(uow.session)
        await uow.commit()
    assert harness.runtime.relay is not None
    harness.runtime.relay.wake()
    return done


async def test_shared_locations_inside_outside_and_forwarded(harness: Harness) -> None:
    sandbox = harness.sandbox
    wang, li = await harness.register("王芳"), await harness.register("李强")
    asked = await harness.say(wang, "/here", contains="按下方按钮")
    assert asked.keyboard is not None
    assert asked.keyboard["keyboard"][0][0]["request_location"] is True
    sent = await wang.share_location(*NEAR)
    inside = await sandbox.wait_for_message(wang.chat_id, after=sent["message_id"])
    assert "在村" in inside.text and "计为在村" in inside.text
    sent = await wang.share_location(*FAR)
    outside = await sandbox.wait_for_message(wang.chat_id, after=sent["message_id"])
    assert "3 公里范围外" in outside.text
    sent = await wang.share_location(*NEAR, forwarded_from=li)
    refused = await sandbox.wait_for_message(wang.chat_id, after=sent["message_id"])
    assert "转发" in refused.text
    async with await harness.ctx.uow() as uow:
        reports = (await uow.session.exec(select(LocationReport))).all()
    assert [(r.source, r.inside) for r in reports] == [("here", True), ("location", False)]
    month = await harness.say(wang, "/month", contains="驻村天数")
    assert "11月23日" in month.text
    # The day shown by the location is told apart from the presumed ones (issue 18).
    assert "1 天有位置或走访为证" in month.text and "周末和节假日须有证据才计入" in month.text


async def test_the_team_leader_sees_the_team(harness: Harness) -> None:
    wang, li = await harness.register("王芳"), await harness.register("李强")
    team = await harness.say(wang, "/team", contains="工作队")
    assert "下寨村工作队" in team.text and "李强" in team.text and "张伟" in team.text
    assert "计入驻村" in team.text and "请假：无" in team.text and "张伟明" not in team.text
    other = await harness.say(li, "/team")  # a member, not the leader
    assert "只有队长" in other.text and "工作队" not in other.text


async def test_a_spot_check_answered_in_time_and_one_not(harness: Harness) -> None:
    sandbox = harness.sandbox
    liu, zhao = await harness.register("刘洋"), await harness.register("赵敏")
    wang, li = await harness.register("王芳"), await harness.register("李强")
    started = await harness.say(liu, "/spotcheck 下寨村", contains="抽查")
    assert "王芳" in started.text and "李强" in started.text
    assert "张伟" in started.text  # has not opened the bot: told it cannot answer
    await sandbox.wait_for_message(wang.chat_id, contains="抽查", timeout=10)
    ask = await sandbox.wait_for_message(li.chat_id, contains="抽查", timeout=10)
    assert "30" in ask.text
    sent = await wang.share_location(*NEAR)
    answered = await sandbox.wait_for_message(wang.chat_id, after=sent["message_id"])
    assert "已回复抽查" in answered.text
    await sandbox.wait_for_message(liu.chat_id, contains="王芳在村", timeout=10)

    harness.clock.advance(timedelta(minutes=31))
    assert (
        await _sweep(harness, lambda s: spot_checks.expire_checks(s, PACK, harness.clock.now()))
        == 2
    )
    missed = await sandbox.wait_for_message(li.chat_id, contains="未按时", timeout=10)
    li_card = await sandbox.wait_for_message(liu.chat_id, contains="李强未按时回复", timeout=10)
    zhang_card = await sandbox.wait_for_message(liu.chat_id, contains="张伟未按时回复", timeout=10)
    assert li_card.buttons() == [["确认脱岗", "排除"]]

    await li.press(missed, "说明情况")
    prompt = await sandbox.wait_for_message(li.chat_id, contains="说明", after=missed.message_id)
    await harness.say(li, "在村部开会，手机静音", contains="已发给")
    explained = await sandbox.wait_for_message(liu.chat_id, contains="手机静音", timeout=10)
    assert prompt.message_id > missed.message_id
    await liu.press(explained, "排除")
    await sandbox.wait_for_message(li.chat_id, contains="已排除", timeout=10)
    await liu.press(zhang_card, "确认脱岗")
    notice = await sandbox.wait_for_message(zhao.chat_id, contains="全市通报", timeout=10)
    assert "张伟" in notice.text
    await sandbox.drain()
    assert "全市通报" in zhang_card.text and zhang_card.buttons() == []
    again = await liu.press(li_card, "确认脱岗")  # the first card, already decided by 排除
    await sandbox.drain()
    assert "已经决定" in (sandbox.callbacks[again].answer or {}).get("text", "")
    async with await harness.ctx.uow() as uow:
        states = (
            await uow.session.exec(select(SpotCheckTarget.state).order_by(col(SpotCheckTarget.id)))
        ).all()
    assert states == [CheckState.FINE, CheckState.CLEARED, CheckState.CONFIRMED]


async def test_a_recall_from_proposal_to_replacement(harness: Harness) -> None:
    sandbox = harness.sandbox
    liu, zhao = await harness.register("刘洋"), await harness.register("赵敏")
    wu, li = await harness.register("吴海"), await harness.register("李强")
    grounds = await harness.say(liu, "/recall 李强", contains="召回")
    assert len(grounds.buttons()) == 7  # ganzhou Art.22: seven grounds
    await liu.press(grounds, grounds.buttons()[0][0])
    await sandbox.wait_for_message(liu.chat_id, contains="事实", after=grounds.message_id)
    await harness.say(liu, "本月三次抽查不在村，经谈话仍未改正", contains="已送县驻村工作领导小组")
    card = await sandbox.wait_for_message(zhao.chat_id, contains="召回", timeout=10)
    assert "仍未改正" in card.text and "刘洋" in card.text
    await zhao.press(card, "同意召回")
    ask = await sandbox.wait_for_message(zhao.chat_id, contains="确定批准召回", timeout=10)
    await zhao.press(ask, "确定")
    await sandbox.wait_for_message(li.chat_id, contains="召回", timeout=10)
    await sandbox.wait_for_message(liu.chat_id, contains="赵敏", timeout=10)
    replace = await sandbox.wait_for_message(wu.chat_id, contains="接替", timeout=10)
    await wu.press(replace, "接替人员已派出")
    await sandbox.wait_for_message(
        zhao.chat_id, contains="已派出", after=card.message_id, timeout=10
    )
    async with await harness.ctx.uow() as uow:
        recall = (await uow.session.exec(select(Recall))).one()
        assert recall.state == RecallState.REPLACED and recall.id is not None
        trail = await audit.trail(uow.session, "recall", recall.id)
    assert [e.action for e in trail] == ["propose", "approve", "replaced"]


async def test_the_monthly_draft_is_sent_as_a_document_and_confirmed(harness: Harness) -> None:
    sandbox = harness.sandbox
    liu = await harness.register("刘洋")
    harness.clock.set(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))  # 09:00 on 1 December

    async def draft(session: AsyncSession) -> int:
        calendar = await load_calendar(session)
        return await attendance.draft_sheets(
            session, PACK, calendar, harness.clock.now(), harness.ctx.settings.zone
        )

    assert await _sweep(harness, draft) == 1
    assert await _sweep(harness, draft) == 0  # run twice: sent once
    sheet = await sandbox.wait_for_message(liu.chat_id, contains="考勤表", timeout=10)
    assert sheet.file_name == "考勤表_江口镇_2026-11.xlsx" and sheet.content
    assert "3 名干部" in sheet.text and sheet.buttons() == [["确认考勤表"]]
    ws = load_workbook(io.BytesIO(sheet.content))["江口镇"]
    assert "2026年11月考勤表" in str(ws["A1"].value)
    fixed = await harness.say(liu, "/fix 李强 11-14 在村 周六在村值班", contains="李强")
    assert "休息日 → 在村" in fixed.text
    await liu.press(sheet, "确认考勤表")
    confirmed = await sandbox.wait_for_message(
        liu.chat_id, contains="已确认", after=sheet.message_id, timeout=10
    )
    assert confirmed.file_name == sheet.file_name and confirmed.content
    ws = load_workbook(io.BytesIO(confirmed.content))["江口镇"]
    assert "已确认（刘洋" in str(ws["A2"].value)
    locked = await harness.say(liu, "/fix 李强 11-15 在村 补记", contains="锁定")
    assert "11" in locked.text
    await sandbox.drain()
    assert sheet.buttons() == []
    async with await harness.ctx.uow() as uow:
        stored = (await uow.session.exec(select(AttendanceSheet))).one()
    assert stored.state == SheetState.CONFIRMED and stored.snapshot


async def test_a_township_approver_who_registers_late_gets_the_sheet_with_sheet(
    harness: Harness,
) -> None:
    """The draft went out while the township party committee (刘洋) had not registered, so
    nothing reached them; /sheet brings it, Confirm works from there, and asking again gives
    the confirmed sheet. Others are told why they get nothing."""
    sandbox = harness.sandbox
    harness.clock.set(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))

    async def draft(session: AsyncSession) -> int:
        calendar = await load_calendar(session)
        return await attendance.draft_sheets(
            session, PACK, calendar, harness.clock.now(), harness.ctx.settings.zone
        )

    assert await _sweep(harness, draft) == 1
    liu = await harness.register("刘洋")
    chen = await harness.register("陈静")  # the county office: not the township's sheet
    not_yet = await harness.say(liu, "/sheet 12月")
    assert "尚未生成" in not_yet.text and not_yet.document is None
    wrong = await harness.say(liu, "/sheet 十一月")
    assert "2026-11" in wrong.text
    assert "乡镇党委" in (await harness.say(chen, "/sheet")).text

    sheet = await harness.say(liu, "/sheet")
    assert sheet.file_name == "考勤表_江口镇_2026-11.xlsx" and sheet.content
    assert "草稿" in sheet.text and sheet.buttons() == [["确认考勤表"]]
    await liu.press(sheet, "确认考勤表")
    await sandbox.wait_for_message(liu.chat_id, contains="已确认", after=sheet.message_id)
    again = await harness.say(liu, "/sheet 2026-11")
    assert again.file_name == sheet.file_name and "已确认" in again.text
    assert again.buttons() == []
