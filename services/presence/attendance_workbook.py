"""The attendance sheet's printable workbook (考勤表), from its rows (``sheet_rows``).

The workbook's words are the catalogs' (English msgids): the caller passes the translator,
Chinese for the township's files.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from locales import N_, Translator
from models.enums import DayClass, SheetState, TeamRole
from services.presence.days import month_days
from services.presence.sheet_rows import Sheet, SheetRow

CODES = {
    DayClass.IN_VILLAGE: "√",
    # One letter in the day grid; the msgid says which, the en catalog keeps the letter.
    DayClass.OFFICIAL_BUSINESS: N_("B (day code: official business)"),
    DayClass.PERSONAL_LEAVE: N_("P (day code: personal leave)"),
    DayClass.SICK_LEAVE: N_("S (day code: sick leave)"),
    DayClass.ANNUAL_LEAVE: N_("A (day code: annual leave)"),
    DayClass.ABSENT: "×",
    DayClass.REST: N_("R (day code: rest day)"),
}
CLASS_NAMES = {
    DayClass.IN_VILLAGE: N_("In the village"),
    DayClass.OFFICIAL_BUSINESS: N_("Official trips, meetings, training"),
    DayClass.PERSONAL_LEAVE: N_("Personal leave"),
    DayClass.SICK_LEAVE: N_("Sick leave"),
    DayClass.ANNUAL_LEAVE: N_("Paid annual leave"),
    DayClass.ABSENT: N_("Unexplained absence"),
    DayClass.REST: N_("Rest days"),
}
ROLES = {
    TeamRole.FIRST_SECRETARY: N_("First secretary"),
    TeamRole.LEADER: N_("Team leader"),
    TeamRole.MEMBER: N_("Team member"),
}
HEADERS = [
    N_("No."), N_("Village"), N_("Name"), N_("Role"), N_("Dispatching unit"),
    N_("Days in the village"), N_("Of which shown by evidence"),
    N_("Official trips, meetings, training"), N_("Personal leave"),
    N_("Sick leave"), N_("Paid annual leave"), N_("Unexplained absence"), N_("Rest days"),
    N_("Days counted in the village"), N_("Days required in the village"), N_("Minimum met"),
    N_("Allowance days"), N_("Living allowance (yuan)"), N_("Round trips reimbursed"),
    N_("Kilometres reimbursed"), N_("Transport (yuan)"), N_("Total (yuan)"),
]  # fmt: skip
MONEY_COLUMNS = (18, 21, 22)  # 1-based: allowance, transport, total
SUMMED = range(6, 23)  # totals under every figure column except 应驻村天数 and 是否达标
NOT_SUMMED = (15, 16)
# A presumed day in the grid: a mark that survives a black-and-white printer, and a fill.
PRESUMED_MARK = "○"
PRESUMED_FILL = PatternFill("solid", fgColor="EEEEEE")
UNKNOWN = "—"  # evidence not kept on a sheet confirmed before it was


def file_name(sheet: Sheet, t: Translator) -> str:
    return t(
        "attendance_{township}_{year}-{month:02d}.xlsx",
        township=sheet.township, year=sheet.year, month=sheet.month,
    )  # fmt: skip


def _values(t: Translator, index: int, row: SheetRow) -> list[Any]:
    role = TeamRole(row.role)
    return [
        index, row.village, row.name, t(ROLES[role]) if role in ROLES else row.role, row.unit,
        row.in_village, UNKNOWN if row.evidenced is None else row.evidenced, row.official,
        row.personal, row.sick, row.annual, row.absent, row.rest,
        row.counted, row.minimum, t("Yes") if row.met else t("No"), row.allowance_days,
        row.allowance,
        row.trips, row.km, row.transport, row.total,
    ]  # fmt: skip


def _rule_line(t: Translator, sheet: Sheet) -> str:
    parts = [
        t(
            "At least {days} days a month in the village (official trips, meetings and "
            "training included)",
            days=sheet.minimum,
        )
    ]
    if sheet.allowance_rate is not None:
        parts.append(
            t(
                "living allowance {rate} yuan a day, paid for the days actually in the village",
                rate=sheet.allowance_rate,
            )
        )
    if sheet.transport_rate is not None:
        trips = (
            t("at most {n} round trips a month", n=sheet.max_trips)
            if sheet.max_trips is not None
            else ""
        )
        parts.append(
            t(
                "transport by own car {rate} yuan/km, {trips}",
                rate=sheet.transport_rate,
                trips=trips,
            )
        )
    return t("; ").join(parts)


def _reading_line(t: Translator, sheet: Sheet) -> str:
    """How a day is counted, so that a figure reads right (services.presence.days)."""
    names = t("; ")  # the class names hold 、 themselves
    line = t(
        "How days are counted: a working day counts as in the village unless leave or an "
        "unexplained absence is recorded (presumed: nobody clocks in); a weekend or holiday "
        "only with evidence (a location shared in the village, a visit with one, or the "
        "township's correction). {mark} in the day-by-day sheet marks a presumed day.",
        mark=PRESUMED_MARK,
    )
    if sheet.counted_classes:
        counted = names.join(t(CLASS_NAMES[c]) for c in sheet.counted_classes)
        more = t("Counted toward the minimum: {classes}.", classes=counted)
        line = t("{sentence} {next}", sentence=line, next=more)
    if sheet.allowance_classes and sheet.allowance_rate is not None:
        paid = names.join(t(CLASS_NAMES[c]) for c in sheet.allowance_classes)
        more = t("Allowance paid for: {classes}.", classes=paid)
        line = t("{sentence} {next}", sentence=line, next=more)
    return line


def _state_line(t: Translator, sheet: Sheet) -> str:
    if sheet.state is SheetState.CONFIRMED and sheet.confirmed_at is not None:
        when = sheet.confirmed_at.date().isoformat()
        return t("Status: confirmed ({by}, {when})", by=sheet.confirmed_by, when=when)
    return t("Status: draft, awaiting the township party committee's confirmation")


def _main(t: Translator, ws: Worksheet, sheet: Sheet) -> None:
    width = len(HEADERS)
    ws.append(
        [
            t(
                "{township} attendance of the first secretaries and team members, "
                "{year}-{month:02d}",
                township=sheet.township, year=sheet.year, month=sheet.month,
            )
        ]
    )  # fmt: skip
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center")
    where = t(
        "County (district): {county}  Township: {township}  Rules: {policy}",
        county=sheet.county, township=sheet.township, policy=sheet.policy,
    )  # fmt: skip
    ws.append([t("{where}  {state}", where=where, state=_state_line(t, sheet))])
    ws.append([_rule_line(t, sheet)])
    ws.append([_reading_line(t, sheet)])
    for line in (2, 3, 4):
        ws.merge_cells(start_row=line, start_column=1, end_row=line, end_column=width)
    ws.row_dimensions[4].height = 45
    ws["A4"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.append([t(h) for h in HEADERS])
    header = ws.max_row
    for index, row in enumerate(sheet.rows, start=1):
        ws.append(_values(t, index, row))
    totals: list[Any] = [t("Total"), "", t("{n} cadres", n=len(sheet.rows))] + [""] * (width - 3)
    for column in SUMMED:
        if column not in NOT_SUMMED:
            values = [r[column - 1] for r in (_values(t, 0, row) for row in sheet.rows)]
            if UNKNOWN in values:
                totals[column - 1] = UNKNOWN
                continue
            totals[column - 1] = sum(values, Decimal(0) if column in MONEY_COLUMNS else 0)
    ws.append(totals)
    thin = Side(style="thin")
    for cells in ws.iter_rows(min_row=header, max_row=ws.max_row, max_col=width):
        for cell in cells:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            if cell.column in MONEY_COLUMNS and (cell.row or 0) > header:
                cell.number_format = "0.00"
    for cell in ws[header]:
        cell.font = Font(bold=True)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    ws.append([])
    ws.append(
        [
            t("Township party committee (seal):"),
            "",
            "",
            "",
            t("Signature of the person in charge:"),
            "",
            "",
            "",
            "",
            t("Date:"),
        ]
    )
    for index, cells in enumerate(ws.iter_cols(min_row=header, max_col=width), start=1):
        widest = max((len(str(c.value)) for c in cells if c.value is not None), default=4)
        ws.column_dimensions[get_column_letter(index)].width = min(max(widest * 1.8, 6), 24)
    ws.freeze_panes = f"A{header + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = f"{header}:{header}"


def _daily(t: Translator, ws: Worksheet, sheet: Sheet) -> None:
    days = len(month_days(sheet.year, sheet.month))
    codes = {c: t(code) for c, code in CODES.items()}
    ws.append(
        [
            t(
                "{township} day by day, {year}-{month:02d}",
                township=sheet.township, year=sheet.year, month=sheet.month,
            )
        ]
    )  # fmt: skip
    items = [f"{codes[c]} {t(CLASS_NAMES[c])}" for c in CODES]
    items.insert(1, f"{PRESUMED_MARK} " + t("In the village, presumed (no evidence that day)"))
    legend = items[0]
    for item in items[1:]:
        legend = t("{legend}  {item}", legend=legend, item=item)
    ws.append([t("Legend: {legend}; blank: not in post", legend=legend)])
    ws.append([t("Village"), t("Name"), *[str(d) for d in range(1, days + 1)]])
    for row in sheet.rows:
        presumed = set(row.presumed or ())
        marks = [
            PRESUMED_MARK if day in presumed else codes[c] if c else ""
            for day, c in enumerate(row.days, start=1)
        ]
        ws.append([row.village, row.name, *marks])
        for day in presumed:
            ws.cell(ws.max_row, day + 2).fill = PRESUMED_FILL
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 10
    for index in range(3, days + 3):
        ws.column_dimensions[get_column_letter(index)].width = 4
    ws.freeze_panes = "C4"
    ws.page_setup.orientation = "landscape"


def workbook(sheets: list[Sheet], t: Translator) -> bytes:
    """One printable sheet per township, each followed by its day-by-day grid; the rates
    shown are each sheet's own (as confirmed)."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for sheet in sheets:
        _main(t, book.create_sheet(sheet.township[:28]), sheet)
        _daily(t, book.create_sheet(t("{township} daily", township=sheet.township[:26])), sheet)
    if not sheets:
        sheet_title = t("Attendance sheet")
        book.create_sheet(sheet_title).append([t("No resident cadre in post this month")])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
