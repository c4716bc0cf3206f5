"""The attendance sheet's figures and its printable workbook (考勤表).

One row per cadre: days by class, days counted toward the minimum, the living allowance
(allowance days × the pack's daily rate, ganzhou Art.27(二) / qinghai item 5) and the
transport reimbursement (ganzhou Art.27(一)). The workbook's words are the catalogs'
(English msgids): the caller passes the translator, Chinese for the township's files.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from locales import N_, Translator
from models.enums import DayClass, SheetState, TeamRole
from services.messaging import templates
from services.policy import PolicyPack
from services.presence.day_ledger import CadreMonth
from services.presence.days import month_days
from services.presence.trips import transport

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
    N_("Days in the village"), N_("Official trips, meetings, training"), N_("Personal leave"),
    N_("Sick leave"), N_("Paid annual leave"), N_("Unexplained absence"), N_("Rest days"),
    N_("Days counted in the village"), N_("Days required in the village"), N_("Minimum met"),
    N_("Allowance days"), N_("Living allowance (yuan)"), N_("Round trips reimbursed"),
    N_("Kilometres reimbursed"), N_("Transport (yuan)"), N_("Total (yuan)"),
]  # fmt: skip
MONEY_COLUMNS = (17, 20, 21)  # 1-based: allowance, transport, total
SUMMED = range(6, 22)  # totals under every figure column except 应驻村天数 and 是否达标
NOT_SUMMED = (14, 15)


class DraftParams(TypedDict):
    """``attendance.draft``: the sheet's figures (``SheetView.summary``)."""

    sheet_id: int
    township: str
    year: int
    month: int
    cadres: int
    met: int
    not_met: list[str]
    absent: int
    allowance: str
    transport: str
    confirmed: bool


templates.declare("attendance.draft", DraftParams)


@dataclass(frozen=True)
class SheetRow:
    cadre_id: int
    name: str
    village: str
    role: str
    unit: str
    days: tuple[DayClass | None, ...]  # one per day of the month; None: not in post
    in_village: int
    official: int
    personal: int
    sick: int
    annual: int
    absent: int
    rest: int
    counted: int
    minimum: int
    met: bool
    allowance_days: int
    allowance: Decimal
    trips: int
    km: Decimal
    transport: Decimal

    @property
    def total(self) -> Decimal:
        return self.allowance + self.transport


def row_of(pack: PolicyPack, cadre: CadreMonth, kms: list[Decimal]) -> SheetRow:
    rate = pack.money.allowance_per_day
    paid = transport(pack, kms)
    allowance_days = cadre.allowance_days
    return SheetRow(
        cadre_id=cadre.cadre_id,
        name=cadre.name,
        village=cadre.village,
        role=cadre.team_role.value,
        unit=cadre.unit,
        days=tuple(cadre.days.get(d) for d in month_days(cadre.year, cadre.month)),
        in_village=cadre.count(DayClass.IN_VILLAGE),
        official=cadre.count(DayClass.OFFICIAL_BUSINESS),
        personal=cadre.count(DayClass.PERSONAL_LEAVE),
        sick=cadre.count(DayClass.SICK_LEAVE),
        annual=cadre.count(DayClass.ANNUAL_LEAVE),
        absent=cadre.count(DayClass.ABSENT),
        rest=cadre.count(DayClass.REST),
        counted=cadre.counted,
        minimum=cadre.minimum,
        met=cadre.met,
        allowance_days=allowance_days,
        allowance=Decimal(0) if rate is None else rate * allowance_days,
        trips=paid.counted,
        km=paid.km,
        transport=paid.amount,
    )


@dataclass(frozen=True)
class Sheet:
    township_id: int
    township: str
    county: str
    year: int
    month: int
    rows: tuple[SheetRow, ...]
    policy: str
    minimum: int
    allowance_rate: Decimal | None
    transport_rate: Decimal | None
    max_trips: int | None
    sheet_id: int | None = None
    state: SheetState | None = None  # None: no sheet drafted yet
    confirmed_by: str = ""
    confirmed_at: datetime | None = None

    @classmethod
    def of(
        cls, pack: PolicyPack, township: str, county: str, township_id: int, year: int,
        month: int, rows: tuple[SheetRow, ...],
    ) -> Sheet:  # fmt: skip
        money = pack.money
        return cls(
            township_id, township, county, year, month, rows, pack.title,
            pack.presence.min_days_per_month, money.allowance_per_day, money.transport_per_km,
            money.transport_max_round_trips_per_month,
        )  # fmt: skip

    def summary(self) -> dict[str, Any]:
        """Plain figures for a chat message about the sheet."""
        return {
            "sheet_id": self.sheet_id,
            "township": self.township,
            "year": self.year,
            "month": self.month,
            "cadres": len(self.rows),
            "met": sum(1 for r in self.rows if r.met),
            "not_met": [r.name for r in self.rows if not r.met],
            "absent": sum(r.absent for r in self.rows),
            "allowance": str(sum((r.allowance for r in self.rows), Decimal(0))),
            "transport": str(sum((r.transport for r in self.rows), Decimal(0))),
            "confirmed": self.state is SheetState.CONFIRMED,
        }


def rows_to_json(sheet: Sheet) -> str:
    """The rows as confirmed, for ``AttendanceSheet.snapshot``."""
    return json.dumps([asdict(r) for r in sheet.rows], ensure_ascii=False, default=str)


def rows_from_json(text: str) -> tuple[SheetRow, ...]:
    rows = []
    for raw in json.loads(text):
        raw["days"] = tuple(DayClass(d) if d else None for d in raw["days"])
        for key in ("allowance", "km", "transport"):
            raw[key] = Decimal(raw[key])
        rows.append(SheetRow(**raw))
    return tuple(rows)


def file_name(sheet: Sheet, t: Translator) -> str:
    return t(
        "attendance_{township}_{year}-{month:02d}.xlsx",
        township=sheet.township, year=sheet.year, month=sheet.month,
    )  # fmt: skip


def _values(t: Translator, index: int, row: SheetRow) -> list[Any]:
    role = TeamRole(row.role)
    return [
        index, row.village, row.name, t(ROLES[role]) if role in ROLES else row.role, row.unit,
        row.in_village, row.official, row.personal, row.sick, row.annual, row.absent, row.rest,
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
    for line in (2, 3):
        ws.merge_cells(start_row=line, start_column=1, end_row=line, end_column=width)
    ws.append([t(h) for h in HEADERS])
    header = ws.max_row
    for index, row in enumerate(sheet.rows, start=1):
        ws.append(_values(t, index, row))
    totals: list[Any] = [t("Total"), "", t("{n} cadres", n=len(sheet.rows))] + [""] * (width - 3)
    for column in SUMMED:
        if column not in NOT_SUMMED:
            values = [r[column - 1] for r in (_values(t, 0, row) for row in sheet.rows)]
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
    legend = items[0]
    for item in items[1:]:
        legend = t("{legend}  {item}", legend=legend, item=item)
    ws.append([t("Legend: {legend}; blank: not in post", legend=legend)])
    ws.append([t("Village"), t("Name"), *[str(d) for d in range(1, days + 1)]])
    for row in sheet.rows:
        ws.append([row.village, row.name, *[codes[c] if c else "" for c in row.days]])
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
