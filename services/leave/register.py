"""请假登记: the month's leave register, one row per request, from what was recorded."""

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

from models.enums import LeaveKind, LeaveState
from models.tables import Cadre, County, Person, Team, Township, Village
from models.workflow import LeaveRequest
from services.visits.coverage import Scope, ScopeKind
from services.visits.ledger_report import chinese_date

KIND_NAMES = {
    LeaveKind.PERSONAL: "事假",
    LeaveKind.SICK: "病假",
    LeaveKind.ANNUAL: "年假",
    LeaveKind.BUSINESS: "公差",
    LeaveKind.MEETING: "会议",
    LeaveKind.TRAINING: "培训",
}
STATE_NAMES = {
    LeaveState.PENDING: "待审批",
    LeaveState.TO_COMPLETE: "待补办",
    LeaveState.APPROVED: "已批准",
    LeaveState.REJECTED: "已驳回",
    LeaveState.WITHDRAWN: "已撤回",
    LeaveState.CLOSED: "已销假",
}
HEADERS = [
    "序号", "县", "乡镇", "村", "姓名", "类型", "开始日期", "结束日期", "天数", "事由",
    "紧急", "状态", "审批人", "审批时间", "审批意见", "销假日期",
]  # fmt: skip


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
    rows: list[LeaveRow], year: int, month: int, scope_name: str, zone: ZoneInfo
) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "请假登记"
    sheet.append([f"{scope_name} {year}年{month}月 驻村干部请假登记"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(HEADERS)
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
                KIND_NAMES[leave.kind],
                chinese_date(leave.start_date),
                chinese_date(leave.end_date),
                leave.days,
                leave.reason,
                "是" if leave.emergency else "",
                STATE_NAMES[leave.state],
                row.decided_by,
                f"{chinese_date(decided.date())} {decided:%H:%M}" if decided else "",
                leave.decision_note,
                chinese_date(leave.returned_on) if leave.returned_on else "",
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
