"""考勤表: drafted after the month from the ledger and sent once to the township; corrected day
by day with a reason; confirmed and then locked. The money on it: the living allowance
(ganzhou Art.27(二) 100 yuan a day; qinghai item 5 60) and transport (Art.27(一) 0.45 yuan/km,
at most 2 round trips a month). The warning when approved leave makes the minimum
unreachable (Art.16)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli import main
from bot.config import Settings
from bot.context import AppContext
from locales import Catalogs
from models.enums import CheckState, DayClass, LeaveKind, SheetState
from models.presence import AttendanceSheet
from models.workflow import OutboxMessage
from services.calendar import WorkCalendar
from services.clock import FixedClock
from services.errors import DomainError
from services.leave import approvals
from services.leave import requests as leaves
from services.policy_loading import load_pack
from services.presence import attendance, trips
from services.presence.attendance_workbook import workbook
from services.presence.day_ledger import month_ledger
from services.supervision import recall
from services.visits.coverage import Scope, ScopeKind
from tests import presence_factories as pf
from tests.factories import (
    Roster,
    seed_roster,
    telegram_chat,
)

ZH = Catalogs().get("zh")
# The township's printed sheet, word for word as it was when its words lived in the code,
# with the days shown by evidence beside the days in the village (issue 18).
HEADERS = [
    "序号", "村", "姓名", "职务", "派出单位", "在村天数", "其中有据天数", "因公出差、会议、培训",
    "事假", "病假", "年休假", "无故脱岗", "休息日", "计入驻村天数", "应驻村天数", "是否达标",
    "补助天数", "生活补助（元）", "报销往返次数", "报销里程（公里）", "交通费（元）", "合计（元）",
]  # fmt: skip
GANZHOU = load_pack("ganzhou-2021")
QINGHAI = load_pack("qinghai-2018")
CAL = WorkCalendar()
DEC_1 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Beijing, the month just ended


@pytest.fixture
async def roster(session: AsyncSession, clock: FixedClock) -> Roster:
    roster = await seed_roster(session, clock.now())
    await pf.register_everyone(session, roster)
    return roster


def km(*values: str) -> list[Decimal]:
    return [Decimal(v) for v in values]


@pytest.mark.parametrize(
    ("pack_id", "kms", "counted", "paid_km", "amount", "why"),
    [
        ("ganzhou-2021", km("120"), 1, "120", "54.00", "Art.27(一) 0.45元/公里"),
        ("ganzhou-2021", km("120", "80", "200"), 2, "200", "90.00", "不超过2次往返: the first two"),
        ("ganzhou-2021", km("33.3"), 1, "33.3", "14.99", "rounded to the fen"),
        ("ganzhou-2021", [], 0, "0", "0", "no trips"),
        ("qinghai-2018", km("120"), 0, "0", "0", "item 5 sets no transport rate"),
    ],
)
def test_transport(
    pack_id: str, kms: list[Decimal], counted: int, paid_km: str, amount: str, why: str
) -> None:
    paid = trips.transport(load_pack(pack_id), kms)
    assert (paid.counted, paid.km, paid.amount) == (counted, Decimal(paid_km), Decimal(amount)), why


@pytest.mark.parametrize("text", ["0", "-5", "abc", "99999", "nan", "inf"])
def test_trip_km_must_be_a_sensible_distance(text: str) -> None:
    with pytest.raises(DomainError, match="trip_km_invalid"):
        trips.parse_km(text)


async def test_logging_trips_and_qinghai_refuses(
    session: AsyncSession, clock: FixedClock, roster: Roster
) -> None:
    wang, person = pf.cadre_id(roster, "王芳"), pf.person_id(roster, "王芳")
    day = date(2026, 11, 23)
    for text in ("120", "80公里", "150km"):
        _, month = await trips.log(session, GANZHOU, wang, person, text, "", day, clock.now())
    assert (month.logged, month.counted, month.amount, month.over_cap) == (
        3, 2, Decimal("90.00"), True,
    )  # fmt: skip
    with pytest.raises(DomainError, match="trip_not_in_policy"):
        await trips.log(session, QINGHAI, wang, person, "120", "", day, clock.now())


@pytest.mark.parametrize(
    ("pack_id", "allowance"), [("ganzhou-2021", Decimal(2000)), ("qinghai-2018", Decimal(1200))]
)
async def test_allowance_is_days_in_the_village_times_the_rate(
    session: AsyncSession, roster: Roster, pack_id: str, allowance: Decimal
) -> None:
    pack = load_pack(pack_id)
    wang = pf.cadre_id(roster, "王芳")
    await pf.leave(session, wang, LeaveKind.TRAINING, date(2026, 11, 2), date(2026, 11, 3))
    await pf.location(session, wang, pf.local(date(2026, 11, 7)))  # a Saturday in the village
    scope = Scope(ScopeKind.TOWNSHIP, roster.township.id or 0)
    (sheet,) = await attendance.sheets(session, pack, CAL, scope, 2026, 11, pf.ZONE)
    row = next(r for r in sheet.rows if r.name == "王芳")
    # 21 working days − 2 of training + 1 Saturday = 20 in the village; training counts
    # toward the minimum (Art.16) but earns no allowance (Art.27(二) 实际驻村天数).
    assert (row.in_village, row.official, row.counted, row.allowance_days) == (20, 2, 22, 20)
    assert row.allowance == allowance and row.met


async def test_draft_once_fix_confirm_lock(
    session: AsyncSession, clock: FixedClock, roster: Roster
) -> None:
    li = pf.cadre_id(roster, "李强")
    await pf.leave(session, li, LeaveKind.PERSONAL, date(2026, 11, 2), date(2026, 11, 6))
    await trips.log(
        session, GANZHOU, li, pf.person_id(roster, "李强"), "100", "", date(2026, 11, 20),
        clock.now(),
    )  # fmt: skip
    # On 2026-11-23 October's sheet is the one due; on 12-01 November's.
    assert await attendance.draft_sheets(session, GANZHOU, CAL, clock.now(), pf.ZONE) == 1
    assert await attendance.draft_sheets(session, GANZHOU, CAL, DEC_1, pf.ZONE) == 1
    assert (
        await attendance.draft_sheets(session, GANZHOU, CAL, DEC_1 + timedelta(days=3), pf.ZONE)
        == 0
    )
    drafts = (
        await session.exec(
            select(OutboxMessage).where(col(OutboxMessage.template) == "attendance.draft")
        )
    ).all()
    november = [d for d in drafts if "2026-11" in (d.document_name or "")]
    (draft,) = november
    assert draft.chat_id == await telegram_chat(session, roster.people["刘洋"])
    assert draft.document_name == "考勤表_江口镇_2026-11.xlsx" and draft.document
    book = load_workbook(io.BytesIO(draft.document))
    assert book.sheetnames == ["江口镇", "江口镇逐日"]
    sheet_row = (
        await session.exec(select(AttendanceSheet).where(col(AttendanceSheet.month) == 11))
    ).one()
    assert sheet_row.state == SheetState.DRAFT and sheet_row.id is not None
    liu = pf.person_id(roster, "刘洋")
    fixed = await attendance.fix_day(
        session, GANZHOU, CAL, liu, "李强", date(2026, 11, 6), DayClass.IN_VILLAGE,
        "当天提前返岗", DEC_1, pf.ZONE,
    )  # fmt: skip
    assert (fixed.before, fixed.after) == (DayClass.PERSONAL_LEAVE, DayClass.IN_VILLAGE)
    with pytest.raises(DomainError, match="fix_not_township"):
        await attendance.fix_day(
            session, GANZHOU, CAL, pf.person_id(roster, "赵敏"), "李强", date(2026, 11, 6),
            DayClass.IN_VILLAGE, "x", DEC_1, pf.ZONE,
        )  # fmt: skip
    with pytest.raises(DomainError, match="sheet_not_yours"):
        await attendance.confirm(
            session, GANZHOU, CAL, sheet_row.id, pf.person_id(roster, "吴海"), DEC_1, pf.ZONE
        )
    done = await attendance.confirm(session, GANZHOU, CAL, sheet_row.id, liu, DEC_1, pf.ZONE)
    assert done.done_now and done.sheet.state == SheetState.CONFIRMED
    li_row = next(r for r in done.sheet.rows if r.name == "李强")
    assert (li_row.personal, li_row.counted, li_row.transport) == (4, 17, Decimal("45.00"))
    again = await attendance.confirm(session, GANZHOU, CAL, sheet_row.id, liu, DEC_1, pf.ZONE)
    assert not again.done_now and again.sheet.confirmed_by == "刘洋"
    with pytest.raises(DomainError, match="sheet_locked"):
        await attendance.fix_day(
            session, GANZHOU, CAL, liu, "李强", date(2026, 11, 9), DayClass.ABSENT, "x", DEC_1,
            pf.ZONE,
        )  # fmt: skip
    # Leave recorded about November afterwards changes the ledger, not the confirmed sheet.
    await pf.leave(session, li, LeaveKind.SICK, date(2026, 11, 23), date(2026, 11, 27))
    scope = Scope(ScopeKind.TOWNSHIP, roster.township.id or 0)
    (stamped,) = await attendance.sheets(session, GANZHOU, CAL, scope, 2026, 11, pf.ZONE)
    assert next(r for r in stamped.rows if r.name == "李强").counted == 17
    ledger = await month_ledger(session, GANZHOU, CAL, 2026, 11, scope, zone=pf.ZONE)
    assert next(m for m in ledger if m.name == "李强").counted == 12


async def test_the_workbook_shows_what_the_ledger_gives(
    session: AsyncSession, clock: FixedClock, roster: Roster
) -> None:
    wang, zhang = pf.cadre_id(roster, "王芳"), pf.cadre_id(roster, "张伟")
    await pf.leave(session, zhang, LeaveKind.SICK, date(2026, 11, 9), date(2026, 11, 20))
    await pf.target(session, roster, wang, date(2026, 11, 17), CheckState.CONFIRMED)
    await trips.log(
        session,
        GANZHOU,
        wang,
        pf.person_id(roster, "王芳"),
        "200",
        "",
        date(2026, 11, 3),
        clock.now(),
    )
    scope = Scope(ScopeKind.COUNTY, roster.county.id or 0)
    sheets = await attendance.sheets(session, GANZHOU, CAL, scope, 2026, 11, pf.ZONE)
    ledger = {
        m.name: m for m in await month_ledger(session, GANZHOU, CAL, 2026, 11, scope, zone=pf.ZONE)
    }
    ws = load_workbook(io.BytesIO(workbook(sheets, ZH)))["江口镇"]
    assert "江口镇" in str(ws["A1"].value) and "2026年11月考勤表" in str(ws["A1"].value)
    header = next(r for r in range(1, 8) if ws.cell(r, 1).value == "序号")
    assert [ws.cell(header, c).value for c in range(1, len(HEADERS) + 1)] == HEADERS
    col_of = {name: HEADERS.index(name) + 1 for name in HEADERS}
    rows = {ws.cell(r, 3).value: r for r in range(header + 1, header + 4)}
    assert set(rows) == {"王芳", "李强", "张伟"}
    for name, r in rows.items():
        month = ledger[name]
        assert ws.cell(r, col_of["在村天数"]).value == month.count(DayClass.IN_VILLAGE)
        assert ws.cell(r, col_of["病假"]).value == month.count(DayClass.SICK_LEAVE)
        assert ws.cell(r, col_of["无故脱岗"]).value == month.count(DayClass.ABSENT)
        assert ws.cell(r, col_of["计入驻村天数"]).value == month.counted
        assert ws.cell(r, col_of["是否达标"]).value == ("是" if month.met else "否")
        assert ws.cell(r, col_of["生活补助（元）"]).value == 100 * month.allowance_days
    assert ws.cell(rows["张伟"], col_of["计入驻村天数"]).value == 11  # 21 − 10 sick
    assert ws.cell(rows["王芳"], col_of["交通费（元）"]).value == 90
    totals = header + 4
    assert ws.cell(totals, 1).value == "合计"
    assert ws.cell(totals, col_of["生活补助（元）"]).value == 100 * sum(
        m.allowance_days for m in ledger.values()
    )
    daily = load_workbook(io.BytesIO(workbook(sheets, ZH)))["江口镇逐日"]
    assert [daily.cell(4 + i, 2).value for i in range(3)] == [
        ws.cell(r, 3).value for r in sorted(rows.values())
    ]


async def test_approved_leave_that_makes_the_minimum_unreachable_is_told_once(
    session: AsyncSession, clock: FixedClock, roster: Roster
) -> None:
    li, liu = pf.cadre_id(roster, "李强"), pf.person_id(roster, "刘洋")
    chen = pf.person_id(roster, "陈静")

    async def ask_and_approve(start: date, end: date) -> None:
        draft = leaves.LeaveDraft(LeaveKind.PERSONAL, start, end, "家中有事")
        leave, _ = await leaves.submit(session, GANZHOU, CAL, li, draft, clock.now(), pf.ZONE)
        assert leave.id is not None
        approver = liu if leave.days <= 3 else chen
        await approvals.decide(
            session,
            GANZHOU,
            leave.id,
            approver,
            approve=True,
            note="",
            now=clock.now(),
            zone=ZoneInfo("Asia/Shanghai"),
        )

    async def warnings() -> list[OutboxMessage]:
        rows = await session.exec(
            select(OutboxMessage).where(col(OutboxMessage.template) == "presence.unreachable")
        )
        return list(rows.all())

    await ask_and_approve(
        date(2026, 12, 1), date(2026, 12, 7)
    )  # 7 days: December can still make it
    assert await warnings() == []
    await ask_and_approve(date(2026, 12, 14), date(2026, 12, 18))  # 12 days off: 31 − 12 < 20
    told = await warnings()
    assert sorted(m.chat_id for m in told) == sorted(
        [await telegram_chat(session, roster.people[n]) or 0 for n in ("李强", "王芳")]
    )  # the cadre and the team leader
    await ask_and_approve(date(2026, 12, 21), date(2026, 12, 21))
    assert len(await warnings()) == 2  # once per month


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
async def database(tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> int:
    """A database file with November's records and one recall taken to its end."""
    url = f"sqlite+aiosqlite:///{tmp_path}/presence.db"
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", url)
    ctx = AppContext(Settings(_env_file=None, database_url=url), clock=clock)  # type: ignore[call-arg]
    async with await ctx.uow() as uow:
        s = uow.session
        roster = await seed_roster(s, clock.now())
        li = pf.cadre_id(roster, "李强")
        await pf.leave(s, li, LeaveKind.PERSONAL, date(2026, 11, 2), date(2026, 11, 13))
        await trips.log(
            s, GANZHOU, li, pf.person_id(roster, "李强"), "150", "", date(2026, 11, 3), clock.now()
        )
        row = await recall.propose(
            s, GANZHOU, pf.person_id(roster, "刘洋"), li, "presence_not_guaranteed", "长期不在村",
            clock.now(),
        )  # fmt: skip
        assert row.id is not None
        await recall.decide(
            s, GANZHOU, row.id, pf.person_id(roster, "赵敏"), approve=True, note="同意",
            now=clock.now(),
        )  # fmt: skip
        await recall.replaced(s, GANZHOU, row.id, pf.person_id(roster, "吴海"), clock.now())
        await uow.commit()
    await ctx.close()
    return row.id


async def test_report_attendance_writes_the_townships_sheet(
    database: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sheet.xlsx"
    argv = ["report", "attendance", "--month", "2026-11", "--county", "赣县区", "-o", str(out)]
    assert await _main(argv) == 0, capsys.readouterr().err
    said = capsys.readouterr().out
    assert "1 个乡镇" in said and "3 人" in said and "交通费 67.50 元" in said
    assert "天为推定" in said and "周末和节假日须有证据才计入" in said  # issue 18
    ws = load_workbook(out)["江口镇"]
    header = next(r for r in range(1, 8) if ws.cell(r, 1).value == "序号")
    li = next(r for r in range(header + 1, header + 4) if ws.cell(r, 3).value == "李强")
    counted, met = HEADERS.index("计入驻村天数") + 1, HEADERS.index("是否达标") + 1
    assert (ws.cell(li, counted).value, ws.cell(li, met).value) == (11, "否")  # 21 − 10
    assert await _main(["report", "attendance", "--month", "11/2026", "-o", str(out)]) == 2
    assert "2026-11" in capsys.readouterr().err


async def test_audit_recall_prints_each_step(
    database: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _main(["audit", "recall", str(database)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("  ")[1:3] for line in lines] == [
        ["刘洋", "propose - → proposed"],
        ["赵敏", "approve proposed → approved"],
        ["吴海", "replaced approved → replaced"],
    ]
    assert await _main(["audit", "recall", "999"]) == 2


async def _main(argv: list[str]) -> int:
    import asyncio

    return await asyncio.to_thread(main, argv)
