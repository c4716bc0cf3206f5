"""走访台账: the quarter's visit ledger as a workbook, made from the visits already logged.

Sheet 走访台账 has one row per visit; sheet 覆盖情况 has the quarter's coverage per pairing,
with totals on top. The workbook is a Chinese-language document (the format county offices
file), so its words live here rather than in the gettext catalogs. Dates are written the
Chinese way (2026年12月1日) in the deployment's zone.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import HouseholdCategory, VisitMode
from models.tables import Cadre, County, Household, Person, Township, Village
from models.workflow import Visit, VisitPhoto
from services.errors import DomainError
from services.periods import Period
from services.policy import PolicyPack
from services.visits.coverage import Coverage, Scope, ScopeKind, coverage
from services.visits.records import CHECKS

LEDGER_SHEET = "走访台账"
COVERAGE_SHEET = "覆盖情况"

MODE_NAMES = {
    VisitMode.IN_PERSON: "入户走访",
    VisitMode.PHONE: "电话联系",
    VisitMode.ONLINE: "线上联系",
}
CATEGORY_NAMES = {
    HouseholdCategory.UNSTABLE: "脱贫不稳定户",
    HouseholdCategory.MARGINAL: "边缘易致贫户",
    HouseholdCategory.SUDDEN_HARDSHIP: "突发严重困难户",
    HouseholdCategory.OUT_OF_POVERTY: "脱贫户",
}
CHECK_NAMES = {
    "income": "收入就业",
    "food": "不愁吃",
    "clothing": "不愁穿",
    "schooling": "义务教育",
    "medical": "基本医疗",
    "housing": "住房安全",
    "water": "饮水安全",
}
LEDGER_HEADERS = [
    "序号",
    "走访日期",
    "时间",
    "乡镇",
    "村",
    "农户编号",
    "户主",
    "农户类别",
    "帮扶干部",
    "走访方式",
    "计入本季度走访",
    *[CHECK_NAMES[k] for k in CHECKS],
    "其他情况",
    "照片（张）",
    "位置",
    "返贫风险",
    "风险说明",
]
COVERAGE_HEADERS = [
    "乡镇",
    "村",
    "农户编号",
    "户主",
    "农户类别",
    "帮扶干部",
    "计入走访次数",
    "其他联系次数",
    "本季度最近一次联系",
    "状态",
]


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class LedgerRow:
    visit_id: int
    visited_at: datetime
    township: str
    village: str
    code: str
    head_name: str
    category: HouseholdCategory
    cadre: str
    mode: VisitMode
    counted: bool
    checks: dict[str, tuple[bool, str]]
    notes: str
    photos: int
    location: tuple[float, float] | None
    risk: bool
    risk_note: str


async def report_scope(
    session: AsyncSession, *, township: str | None = None, county: str | None = None
) -> Scope:
    """The scope named on the command line: a county, a township ("江口镇", or "赣县区/江口镇"
    when two counties have one of that name), or everything."""
    if township and county:
        raise DomainError("report_scope_both")
    if county:
        found = (await session.exec(select(County).where(County.name == county.strip()))).first()
        if found is None or found.id is None:
            raise DomainError("report_county_unknown", county=county)
        return Scope(ScopeKind.COUNTY, found.id)
    if township:
        county_name, _, township_name = township.strip().rpartition("/")
        statement = select(Township, County).join(County, col(County.id) == col(Township.county_id))
        statement = statement.where(Township.name == township_name)
        if county_name:
            statement = statement.where(County.name == county_name)
        rows = (await session.exec(statement)).all()
        if not rows:
            raise DomainError("report_township_unknown", township=township)
        if len(rows) > 1:
            names = "、".join(f"{c.name}/{t.name}" for t, c in rows)
            raise DomainError("report_township_ambiguous", township=township, choices=names)
        found_township = rows[0][0]
        assert found_township.id is not None
        return Scope(ScopeKind.TOWNSHIP, found_township.id)
    return Scope(ScopeKind.ALL, 0)


async def ledger_rows(
    session: AsyncSession,
    pack: PolicyPack,
    quarter: Period,
    scope: Scope,
    *,
    paired: set[tuple[int, int]],
    zone: ZoneInfo,
) -> list[LedgerRow]:
    """Every visit of the quarter to a household in the scope's area, oldest first.

    ``paired`` holds (cadre id, household id) of the pairings due this quarter, so a row
    says whether the visit counts."""
    if scope.kind not in (ScopeKind.ALL, ScopeKind.TOWNSHIP, ScopeKind.COUNTY):
        raise DomainError("report_scope_invalid", scope=scope.kind.value)
    statement = (
        select(Visit, Household, Village, Township)
        .join(Household, col(Household.id) == col(Visit.household_id))
        .join(Village, col(Village.id) == col(Household.village_id))
        .join(Township, col(Township.id) == col(Village.township_id))
        .where(
            col(Visit.visited_at) >= quarter.start(zone), col(Visit.visited_at) < quarter.end(zone)
        )
        .order_by(col(Visit.visited_at), col(Visit.id))
    )
    if scope.kind is ScopeKind.TOWNSHIP:
        statement = statement.where(col(Township.id) == scope.id)
    elif scope.kind is ScopeKind.COUNTY:
        statement = statement.where(col(Township.county_id) == scope.id)
    rows = (await session.exec(statement)).all()
    visit_ids = [v.id for v, *_ in rows]
    photo_counts = dict(
        (
            await session.exec(
                select(VisitPhoto.visit_id, func.count())
                .where(col(VisitPhoto.visit_id).in_(visit_ids))
                .group_by(col(VisitPhoto.visit_id))
            )
        ).all()
    )
    cadres = dict(
        (
            await session.exec(
                select(Cadre.id, Person.name).join(Person, col(Person.id) == col(Cadre.person_id))
            )
        ).all()
    )
    modes = {str(m) for m in pack.visits.counted_modes}
    out = []
    for visit, household, village, township in rows:
        assert visit.id is not None
        raw = json.loads(visit.checks or "{}")
        out.append(
            LedgerRow(
                visit_id=visit.id,
                visited_at=visit.visited_at,
                township=township.name,
                village=village.name,
                code=household.code,
                head_name=household.head_name,
                category=household.category,
                cadre=cadres.get(visit.cadre_id, ""),
                mode=visit.mode,
                counted=visit.mode.value in modes
                and (visit.cadre_id, visit.household_id) in paired,
                checks={
                    k: (bool(raw.get(k, {}).get("ok", True)), str(raw.get(k, {}).get("note", "")))
                    for k in CHECKS
                },
                notes=visit.notes,
                photos=int(photo_counts.get(visit.id, 0)),
                location=(
                    (visit.latitude, visit.longitude)
                    if visit.latitude is not None and visit.longitude is not None
                    else None
                ),
                risk=visit.risk,
                risk_note=visit.risk_note,
            )
        )
    return out


def _check_cell(ok: bool, note: str) -> str:
    if ok:
        return "正常"
    return f"问题：{note}" if note else "问题"


def _ledger_sheet(sheet: Worksheet, rows: list[LedgerRow], zone: ZoneInfo) -> None:
    sheet.append(LEDGER_HEADERS)
    for number, row in enumerate(rows, start=1):
        local = row.visited_at.astimezone(zone)
        sheet.append(
            [
                number,
                chinese_date(local.date()),
                local.strftime("%H:%M"),
                row.township,
                row.village,
                row.code,
                row.head_name,
                CATEGORY_NAMES[row.category],
                row.cadre,
                MODE_NAMES[row.mode],
                "是" if row.counted else "否",
                *[_check_cell(*row.checks[k]) for k in CHECKS],
                row.notes,
                row.photos,
                f"{row.location[0]:.5f}, {row.location[1]:.5f}" if row.location else "未共享",
                "是" if row.risk else "否",
                row.risk_note,
            ]
        )


def _coverage_sheet(sheet: Worksheet, cov: Coverage, zone: ZoneInfo, scope_name: str) -> int:
    """Totals, then one row per pairing; returns the header row's number."""
    counted = "、".join(MODE_NAMES[m] for m in cov.counted_modes)
    summary = [
        ("季度", f"{cov.quarter.year}年第{cov.quarter.index}季度"),
        ("范围", scope_name),
        ("计入方式", f"{counted}，每户每季度至少{cov.min_per_quarter}次"),
        ("结对户数", cov.pairings),
        ("已走访", cov.visited),
        ("未走访", cov.pairings - cov.visited),
        ("本季度剩余天数", cov.days_left),
        ("返贫风险标记", cov.risk_flags),
    ]
    for label, value in summary:
        sheet.append([label, value])
    sheet.append([])
    header_row = sheet.max_row + 1
    sheet.append(COVERAGE_HEADERS)
    for row in cov.rows:
        last = row.last_visit_at
        sheet.append(
            [
                row.township,
                row.village,
                row.code,
                row.head_name,
                CATEGORY_NAMES[row.category],
                row.cadre_name,
                row.counted_visits,
                row.other_visits,
                chinese_date(last.astimezone(zone).date()) if last else "",
                "已走访" if row.done else "未走访",
            ]
        )
    return header_row


def _style(sheet: Worksheet, header_row: int = 1) -> None:
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index, column in enumerate(sheet.iter_cols(), start=1):
        widest = max((len(str(c.value)) for c in column if c.value is not None), default=4)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(widest * 2, 8), 40)
    sheet.freeze_panes = f"A{header_row + 1}"


async def visit_ledger(
    session: AsyncSession,
    pack: PolicyPack,
    quarter: Period,
    scope: Scope,
    *,
    now: datetime,
    zone: ZoneInfo,
) -> tuple[bytes, Coverage, int]:
    """The workbook's bytes, the coverage it shows, and how many visits it lists."""
    cov = await coverage(session, pack, quarter, scope, now=now, zone=zone)
    paired = {(r.cadre_id, r.household_id) for r in cov.rows}
    rows = await ledger_rows(session, pack, quarter, scope, paired=paired, zone=zone)
    book = Workbook()
    ledger = book.active
    assert ledger is not None
    ledger.title = LEDGER_SHEET
    _ledger_sheet(ledger, rows, zone)
    _style(ledger)
    sheet = book.create_sheet(COVERAGE_SHEET)
    _style(sheet, _coverage_sheet(sheet, cov, zone, cov.place or "全部"))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), cov, len(rows)
