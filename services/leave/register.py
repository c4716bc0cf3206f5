"""请假登记: the month's leave register, one row per request, from what was recorded.

Its words are the catalogs' (English msgids); the caller passes the reader's translator,
Chinese for the county's files.
"""

from __future__ import annotations

import io
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from locales import N_, Translator
from models.enums import LeaveKind, LeaveState
from models.tables import Cadre, County, Person, Team, Township, Village
from models.workflow import LeaveRequest
from services.visits.coverage import Scope, ScopeKind

KIND_NAMES = {
    LeaveKind.PERSONAL: N_("Personal leave"),
    LeaveKind.SICK: N_("Sick leave"),
    LeaveKind.ANNUAL: N_("Annual leave"),
    LeaveKind.BUSINESS: N_("Official business"),
    LeaveKind.MEETING: N_("Meeting"),
    LeaveKind.TRAINING: N_("Training"),
}
STATE_NAMES = {
    LeaveState.PENDING: N_("Awaiting approval"),
    LeaveState.TO_COMPLETE: N_("Awaiting the written request"),
    LeaveState.APPROVED: N_("Approved"),
    LeaveState.REJECTED: N_("Rejected"),
    LeaveState.WITHDRAWN: N_("Withdrawn"),
    LeaveState.CLOSED: N_("Returned"),
}
HEADERS = [
    N_("No."), N_("County"), N_("Township"), N_("Village"), N_("Name"), N_("Type"),
    N_("Start date"), N_("End date"), N_("Days"), N_("Reason"), N_("Emergency"), N_("Status"),
    N_("Approved by"), N_("Decided at"), N_("Decision note"), N_("Returned on"),
]  # fmt: skip


def sheet_date(t: Translator, day: date) -> str:
    """2026年12月1日 in zh, as the county's documents write a date."""
    return t("{year}-{month:02d}-{day:02d}", year=day.year, month=day.month, day=day.day)


@dataclass(frozen=True)
class LeaveRow:
    leave: LeaveRequest
    name: str
    village: str
    township: str
    county: str
    decided_by: str


async def leave_rows(session: AsyncSession, year: int, month: int, scope: Scope) -> list[LeaveRow]:
    """Requests touching the month, in the scope, in date order."""
    first, last = date(year, month, 1), date(year, month, monthrange(year, month)[1])
    statement = (
        select(LeaveRequest, Person, Village, Township)
        .join(Cadre, col(Cadre.id) == col(LeaveRequest.cadre_id))
        .join(Person, col(Person.id) == col(Cadre.person_id))
        .join(Team, col(Team.id) == col(Cadre.team_id))
        .join(Village, col(Village.id) == col(Team.village_id))
        .join(Township, col(Township.id) == col(Village.township_id))
        .join(County, col(County.id) == col(Township.county_id))
        .where(col(LeaveRequest.start_date) <= last, col(LeaveRequest.end_date) >= first)
        .order_by(col(LeaveRequest.start_date), col(LeaveRequest.id))
    )
    if scope.kind == ScopeKind.TOWNSHIP:
        statement = statement.where(col(Township.id) == scope.id)
    elif scope.kind == ScopeKind.COUNTY:
        statement = statement.where(col(County.id) == scope.id)
    out = []
    for leave, person, village, township in (await session.exec(statement)).all():
        county = await session.get(County, township.county_id)
        by = None
        if leave.decided_by_person_id is not None:
            by = await session.get(Person, leave.decided_by_person_id)
        out.append(
            LeaveRow(
                leave,
                person.name,
                village.name,
                township.name,
                county.name if county else "",
                by.name if by else "",
            )
        )
    return out


def register_workbook(
    rows: list[LeaveRow], year: int, month: int, scope_name: str, zone: ZoneInfo, t: Translator
) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t("Leave register")
    sheet.append(
        [
            t(
                "{scope} {year}-{month:02d} cadres' leave register",
                scope=scope_name,
                year=year,
                month=month,
            )
        ]
    )
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([t(header) for header in HEADERS])
    for n, row in enumerate(rows, start=1):
        leave = row.leave
        decided = leave.decided_at.astimezone(zone) if leave.decided_at else None
        sheet.append(
            [
                n,
                row.county,
                row.township,
                row.village,
                row.name,
                t(KIND_NAMES[leave.kind]),
                sheet_date(t, leave.start_date),
                sheet_date(t, leave.end_date),
                leave.days,
                leave.reason,
                t("Yes") if leave.emergency else "",
                t(STATE_NAMES[leave.state]),
                row.decided_by,
                f"{sheet_date(t, decided.date())} {decided:%H:%M}" if decided else "",
                leave.decision_note,
                sheet_date(t, leave.returned_on) if leave.returned_on else "",
            ]
        )
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for index, column in enumerate(sheet.iter_cols(min_row=2), start=1):
        widest = max((len(str(c.value)) for c in column if c.value is not None), default=4)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(widest * 2, 6), 40)
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
