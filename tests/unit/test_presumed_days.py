"""Presumed days told apart from evidenced ones (issue 18): "11 of 11 met the minimum" on a
database never used, or "0 met" beside the allowance, must read right. A working day with no
leave and no absence found is presumed in the village (days.py rule 5); a weekend counts only
with evidence (rule 4). The ledger, the sheet's rows, its workbook, the township's draft
message and /month all say which days rest on evidence."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.presence.views import month_text, sheet_text
from locales import Catalogs
from models.enums import DayClass
from services.calendar import WorkCalendar
from services.clock import FixedClock
from services.policy_loading import load_pack
from services.presence import attendance
from services.presence.attendance_workbook import PRESUMED_MARK, workbook
from services.presence.day_ledger import cadre_month
from services.presence.sheet_rows import rows_from_json, rows_to_json
from services.visits.coverage import Scope, ScopeKind
from tests import presence_factories as pf
from tests.factories import seed_roster

ZH = Catalogs().get("zh")
GANZHOU = load_pack("ganzhou-2021")
CAL = WorkCalendar()
# November 2026 has no public holiday: 21 working days (2–6, 9–13, 16–20, 23–27, 30).
WORKING_DAYS = 21


async def test_evidence_and_presumption_are_told_apart(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await seed_roster(session, clock.now())
    wang = pf.cadre_id(roster, "王芳")
    await pf.location(session, wang, pf.local(date(2026, 11, 3)))  # a Tuesday
    await pf.location(session, wang, pf.local(date(2026, 11, 7)))  # a Saturday
    await pf.location(session, wang, pf.local(date(2026, 11, 8)), inside=False)  # no evidence
    month = await cadre_month(session, GANZHOU, CAL, wang, 2026, 11, zone=pf.ZONE)
    assert month is not None
    assert month.count(DayClass.IN_VILLAGE) == WORKING_DAYS + 1  # the Saturday shown
    assert month.days[date(2026, 11, 8)] is DayClass.REST  # a Sunday needs evidence
    assert len(month.presumed_days) == WORKING_DAYS - 1  # every working day but the 3rd
    assert date(2026, 11, 3) not in month.presumed_days

    scope = Scope(ScopeKind.TOWNSHIP, roster.township.id or 0)
    (sheet,) = await attendance.sheets(session, GANZHOU, CAL, scope, 2026, 11, pf.ZONE)
    row = next(r for r in sheet.rows if r.name == "王芳")
    assert (row.in_village, row.evidenced) == (WORKING_DAYS + 1, 2)
    assert 2 in (row.presumed or ()) and 3 not in (row.presumed or ())
    # The confirmed snapshot keeps the presumed days.
    assert rows_from_json(rows_to_json(sheet)) == sheet.rows

    book = load_workbook(io.BytesIO(workbook([sheet], ZH)))
    main, daily = book["江口镇"], book["江口镇逐日"]
    assert "推定在村" in str(main["A4"].value) and "周末和节假日须有证据" in str(main["A4"].value)
    header = next(r for r in range(1, 8) if main.cell(r, 1).value == "序号")
    line = next(r for r in range(header + 1, header + 5) if main.cell(r, 3).value == "王芳")
    assert main.cell(header, 7).value == "其中有据天数" and main.cell(line, 7).value == 2
    assert "○ 推定在村" in str(daily["A2"].value)
    grid = next(r for r in range(4, 8) if daily.cell(r, 2).value == "王芳")
    marks = {day: daily.cell(grid, day + 2) for day in (1, 2, 3, 7)}
    assert [marks[d].value for d in (1, 2, 3, 7)] == ["休", PRESUMED_MARK, "√", "√"]
    assert marks[2].fill.fgColor.rgb.endswith("EEEEEE") and marks[3].fill.fill_type is None

    summary = sheet.summary()
    presumed = sum(len(r.presumed or ()) for r in sheet.rows)
    assert summary["presumed"] == presumed and summary["in_village"] >= presumed + 2
    text = sheet_text(ZH, summary)
    assert f"其中 {presumed} 天为推定" in text and "周末和节假日须有证据才计入" in text


async def test_month_says_how_many_days_rest_on_evidence(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await seed_roster(session, clock.now())
    wang = pf.cadre_id(roster, "王芳")
    await pf.location(session, wang, pf.local(date(2026, 11, 3)))
    today = date(2026, 11, 10)  # 7 working days so far, one shown
    month = await cadre_month(session, GANZHOU, CAL, wang, 2026, 11, today=today, zone=pf.ZONE)
    assert month is not None
    text = month_text(ZH, month)
    assert "在村 7 天中，1 天有位置或走访为证，6 天为推定" in text
    assert "周末和节假日须有证据才计入" in text
