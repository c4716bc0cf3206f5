"""The monthly dispatch check (每月调度, ganzhou Art.14): on the first working day of the month
at 09:00, last month's figures per team into the county's group (counts only) and the full
sheet to the county leading group office, each once, however often or late the sweep runs."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, time

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.notices import render
from locales import Catalogs
from models.enums import CheckState, DayClass, GroupScope, LeaveKind, VisitMode
from models.tables import GroupChat
from models.workflow import OutboxMessage, Visit
from services.calendar import WorkCalendar
from services.clock import FixedClock
from services.policy import Cadence
from services.policy_loading import load_pack
from services.presence.day_ledger import LEAVE_CLASSES, month_ledger
from services.supervision.monthly_check import due_period, monthly_dispatch
from services.visits.coverage import Scope, ScopeKind
from tests import presence_factories as pf
from tests.factories import (
    Roster,
    seed_roster,
    telegram_chat,
    unbind_telegram,
)

GANZHOU = load_pack("ganzhou-2021")
CAL = WorkCalendar()
ZONE = pf.ZONE
GROUP_CHAT = "-100555"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "months"),
    [
        (at(date(2026, 12, 1), 8, 59), []),  # Tuesday 12-01, before 09:00
        (at(date(2026, 12, 1), 9), [(2026, 11)]),
        (at(date(2026, 12, 5), 14), [(2026, 11)]),  # late, after downtime: still last month's
        (at(date(2026, 12, 31), 23), [(2026, 11)]),
        (at(date(2026, 10, 7), 10), []),  # National Day: not yet the first working day
        (at(date(2026, 10, 8), 8), []),
        (at(date(2026, 10, 8), 9), [(2026, 9)]),  # Thursday 10-08, after the Golden Week
        (at(date(2026, 11, 1), 9), []),  # a Sunday: the check is on Monday 11-02
        (at(date(2026, 11, 2), 9), [(2026, 10)]),
        (at(date(2027, 1, 4), 9), [(2026, 12)]),  # over the year's end
    ],
)
def test_when_it_is_due(now: datetime, months: list[tuple[int, int]]) -> None:
    assert due_period(GANZHOU, CAL, now, ZONE) == months


def test_a_quarterly_cadence_covers_the_quarter() -> None:
    quarterly = GANZHOU.calendar.model_copy(update={"dispatch_check": Cadence.QUARTERLY})
    pack = GANZHOU.model_copy(update={"calendar": quarterly})
    assert due_period(pack, CAL, at(date(2026, 10, 8), 8), ZONE) == []
    q3 = [(2026, 7), (2026, 8), (2026, 9)]
    assert due_period(pack, CAL, at(date(2026, 10, 8), 9), ZONE) == q3
    assert due_period(pack, CAL, at(date(2026, 12, 31), 9), ZONE) == q3  # all quarter long
    assert due_period(pack, CAL, at(date(2027, 1, 4), 9), ZONE) == [
        (2026, 10),
        (2026, 11),
        (2026, 12),
    ]


@pytest.fixture
async def roster(session: AsyncSession, clock: FixedClock) -> Roster:
    """下寨村's team of three, everyone registered, the county's group bound; in November
    李强 took three days' personal leave (reason: 看病), 张伟 was confirmed absent a day and
    王芳 visited 张伟明."""
    roster = await seed_roster(session, datetime(2026, 10, 1, tzinfo=UTC))
    await pf.register_everyone(session, roster)
    assert roster.county.id is not None
    session.add(
        GroupChat(
            chat_id=GROUP_CHAT,
            title="赣县区驻村工作群",
            scope=GroupScope.COUNTY,
            county_id=roster.county.id,
            bound_at=clock.now(),
        )
    )
    li, zhang, wang = (pf.cadre_id(roster, n) for n in ("李强", "张伟", "王芳"))
    leave = await pf.leave(session, li, LeaveKind.PERSONAL, date(2026, 11, 10), date(2026, 11, 12))
    leave.reason = "看病"
    session.add(leave)
    await pf.target(session, roster, zhang, date(2026, 11, 17), CheckState.CONFIRMED)
    household = roster.households["张伟明"].id
    assert household is not None
    session.add(
        Visit(
            household_id=household,
            cadre_id=wang,
            visited_at=at(date(2026, 11, 20), 10),
            mode=VisitMode.IN_PERSON,
        )
    )
    await session.flush()
    return roster


async def rows(session: AsyncSession) -> list[OutboxMessage]:
    found = await session.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.template).startswith("dispatch."))
        .order_by(col(OutboxMessage.id))
    )
    return list(found.all())


async def sweep(session: AsyncSession, now: datetime) -> int:
    return await monthly_dispatch(session, GANZHOU, CAL, now, ZONE)


async def test_sent_at_nine_on_the_first_working_day_once(
    session: AsyncSession, roster: Roster
) -> None:
    assert await sweep(session, at(date(2026, 12, 1), 8, 59)) == 0
    assert await sweep(session, at(date(2026, 12, 1), 9)) == 2  # the group, 陈静
    assert await sweep(session, at(date(2026, 12, 1), 9, 1)) == 0  # run twice: once
    assert await sweep(session, at(date(2026, 12, 20), 9)) == 0
    group, sheet = await rows(session)
    assert group.chat_id == GROUP_CHAT and group.is_group
    assert group.dedup_key == f"dispatch:{roster.county.id}:2026-11:{GROUP_CHAT}"
    chen = roster.people["陈静"]
    assert sheet.person_id == chen.id and sheet.chat_id == await telegram_chat(session, chen)
    assert sheet.dedup_key == f"dispatch-sheet:{roster.county.id}:2026-11:{chen.id}"


async def test_a_late_run_after_downtime_still_sends_once(
    session: AsyncSession, roster: Roster
) -> None:
    assert await sweep(session, at(date(2026, 12, 5), 10)) == 2
    assert await sweep(session, at(date(2026, 12, 5), 10, 1)) == 0
    assert len(await rows(session)) == 2


async def test_the_group_gets_counts_only(session: AsyncSession, roster: Roster) -> None:
    await sweep(session, at(date(2026, 12, 1), 9))
    group, _ = await rows(session)
    params = json.loads(group.params)
    (team,) = params["teams"]
    ledger = await month_ledger(
        session, GANZHOU, CAL, 2026, 11, Scope(ScopeKind.COUNTY, roster.county.id or 0), zone=ZONE
    )
    assert team == {
        "township": "江口镇",
        "village": "下寨村",
        "cadres": 3,
        "met": sum(m.met for m in ledger),
        "counted": sum(m.counted for m in ledger),
        "minimum": sum(m.minimum for m in ledger),
        "leave": 3,
        "absent": 1,
        "paired": 1,
        "visited": 1,
        "presumed": sum(len(m.presumed_days) for m in ledger),
    }
    assert 0 < team["presumed"] <= team["counted"]
    assert sum(m.count(*LEAVE_CLASSES) for m in ledger) == 3
    texts = [group.params]
    for language in ("zh", "en"):
        texts.append(render(group.template, Catalogs().get(language), params).text)
    assert "下寨村" in texts[1] and "1/1" in texts[1]
    # Issue 18: how much of "met the minimum" is presumption, said beside it.
    assert f"{team['presumed']} 天为推定在村" in texts[1] and "须有证据才计入" in texts[1]
    for text in texts:
        for private in ("王芳", "李强", "张伟", "张伟明", "H0001", "看病"):
            assert private not in text, (private, text)


async def test_the_office_gets_the_full_sheet(session: AsyncSession, roster: Roster) -> None:
    await sweep(session, at(date(2026, 12, 1), 9))
    _, sheet = await rows(session)
    assert sheet.document_name == "调度表_赣县区_2026-11.xlsx" and sheet.document
    book = load_workbook(io.BytesIO(sheet.document))
    assert book.sheetnames == ["调度表", "分队汇总"]
    table = list(book["调度表"].iter_rows(values_only=True))
    assert table[1] == (
        "序号", "乡镇", "村", "姓名", "职务", "计入驻村天数", "应驻村天数", "是否达标", "请假天数",
        "无故脱岗天数", "结对户数", "本季度已走访户数", "本期入户走访次数",
    )  # fmt: skip
    by_name = {row[3]: row for row in table[2:-1]}
    assert set(by_name) == {"王芳", "李强", "张伟"}
    assert by_name["李强"][8] == 3  # leave days
    assert by_name["张伟"][9] == 1  # absences
    assert by_name["王芳"][10:13] == (1, 1, 1)  # paired, visited this quarter, visits in Nov
    assert by_name["李强"][10:13] == (0, 0, 0)
    ledger = await month_ledger(
        session,
        GANZHOU,
        CAL,
        2026,
        11,
        Scope(ScopeKind.CADRE, pf.cadre_id(roster, "张伟")),
        zone=pf.ZONE,
    )
    assert (
        by_name["张伟"][5]
        == ledger[0].counted
        == ledger[0].count(*GANZHOU.presence.counted_classes)
    )
    assert ledger[0].days[date(2026, 11, 17)] is DayClass.ABSENT
    caption = render(sheet.template, Catalogs().get("zh"), json.loads(sheet.params)).text
    assert "赣县区" in caption and "2026" in caption


async def test_nobody_to_tell_nothing_to_build(session: AsyncSession, roster: Roster) -> None:
    for group in (await session.exec(select(GroupChat))).all():
        await session.delete(group)
    chen = roster.people["陈静"]
    await unbind_telegram(session, chen)  # the office holder has not registered
    await session.flush()
    assert await sweep(session, at(date(2026, 12, 1), 9)) == 0
