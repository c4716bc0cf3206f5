"""走访台账: the quarter's visit ledger as a workbook, made from the visits already logged.

Sheet 走访台账 has one row per visit; sheet 覆盖情况 has the quarter's coverage per pairing,
with totals on top. Its words are the catalogs' (English msgids): the caller passes the
translator, Chinese for the county offices' files, where dates read 2026年12月1日, in the
deployment's zone.
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

from locales import N_, Translator
from models.enums import HouseholdCategory, VisitMode
from models.tables import Cadre, County, Household, Person, Township, Village
from models.workflow import Visit, VisitPhoto
from services.errors import DomainError
from services.periods import Period
from services.policy import PolicyPack
from services.visits.coverage import Coverage, Scope, ScopeKind, coverage
from services.visits.records import CHECKS

LEDGER_SHEET = N_("Visit ledger")
COVERAGE_SHEET = N_("Coverage")

MODE_NAMES = {
    VisitMode.IN_PERSON: N_("Home visit"),
    VisitMode.PHONE: N_("Phone contact"),
    VisitMode.ONLINE: N_("Online contact"),
}
CATEGORY_NAMES = {
    HouseholdCategory.UNSTABLE: N_("Unstable out of poverty"),
    HouseholdCategory.MARGINAL: N_("At the margin of poverty"),
    HouseholdCategory.SUDDEN_HARDSHIP: N_("In sudden severe hardship"),
    HouseholdCategory.OUT_OF_POVERTY: N_("Out of poverty"),
}
CHECK_NAMES = {
    "income": N_("Income and employment"),
    "food": N_("Enough to eat"),
    "clothing": N_("Enough to wear"),
    "schooling": N_("Compulsory schooling"),
    "medical": N_("Basic medical care"),
    "housing": N_("Safe housing"),
    "water": N_("Safe drinking water"),
}
LEDGER_HEADERS = [
    N_("No."),
    N_("Visit date"),
    N_("Time"),
    N_("Township"),
    N_("Village"),
    N_("Household code"),
    N_("Head of household"),
    N_("Household category"),
    N_("Paired cadre"),
    N_("Visit mode"),
    N_("Counted this quarter"),
    *[CHECK_NAMES[k] for k in CHECKS],
    N_("Other notes"),
    N_("Photos"),
    N_("Location"),
    N_("Risk of falling back"),
    N_("Risk note"),
]
COVERAGE_HEADERS = [
    N_("Township"),
    N_("Village"),
    N_("Household code"),
    N_("Head of household"),
    N_("Household category"),
    N_("Paired cadre"),
    N_("Counted visits"),
    N_("Other contacts"),
    N_("Last contact this quarter"),
    N_("Status"),
]


def sheet_date(t: Translator, day: date) -> str:
    """2026年12月1日 in zh, as the county's documents write a date."""
    return t("{year}-{month:02d}-{day:02d}", year=day.year, month=day.month, day=day.day)


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


def _check_cell(t: Translator, ok: bool, note: str) -> str:
    if ok:
        return t("Fine")
    return t("Problem: {note}", note=note) if note else t("Problem")


def _ledger_sheet(t: Translator, sheet: Worksheet, rows: list[LedgerRow], zone: ZoneInfo) -> None:
    sheet.append([t(header) for header in LEDGER_HEADERS])
    for number, row in enumerate(rows, start=1):
        local = row.visited_at.astimezone(zone)
        sheet.append(
            [
                number,
                sheet_date(t, local.date()),
                local.strftime("%H:%M"),
                row.township,
                row.village,
                row.code,
                row.head_name,
                t(CATEGORY_NAMES[row.category]),
                row.cadre,
                t(MODE_NAMES[row.mode]),
                t("Yes") if row.counted else t("No"),
                *[_check_cell(t, *row.checks[k]) for k in CHECKS],
                row.notes,
                row.photos,
                f"{row.location[0]:.5f}, {row.location[1]:.5f}"
                if row.location
                else t("Not shared"),
                t("Yes") if row.risk else t("No"),
                row.risk_note,
            ]
        )


def _coverage_sheet(
    t: Translator, sheet: Worksheet, cov: Coverage, zone: ZoneInfo, scope_name: str
) -> int:
    """Totals, then one row per pairing; returns the header row's number."""
    counted = t(", ").join(t(MODE_NAMES[m]) for m in cov.counted_modes)
    quarter = cov.quarter
    summary = [
        (t("Quarter"), t("Q{number} {year}", number=quarter.index, year=quarter.year)),
        (t("Scope"), scope_name),
        (
            t("Counted"),
            t(
                "{modes}, at least {n} a quarter for each household",
                modes=counted,
                n=cov.min_per_quarter,
            ),
        ),
        (t("Paired households"), cov.pairings),
        (t("Visited"), cov.visited),
        (t("Not visited"), cov.pairings - cov.visited),
        (t("Days left this quarter"), cov.days_left),
        (t("Risk flags"), cov.risk_flags),
    ]
    for label, value in summary:
        sheet.append([label, value])
    sheet.append([])
    header_row = sheet.max_row + 1
    sheet.append([t(header) for header in COVERAGE_HEADERS])
    for row in cov.rows:
        last = row.last_visit_at
        sheet.append(
            [
                row.township,
                row.village,
                row.code,
                row.head_name,
                t(CATEGORY_NAMES[row.category]),
                row.cadre_name,
                row.counted_visits,
                row.other_visits,
                sheet_date(t, last.astimezone(zone).date()) if last else "",
                t("Visited") if row.done else t("Not visited"),
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
    t: Translator,
) -> tuple[bytes, Coverage, int]:
    """The workbook's bytes, the coverage it shows, and how many visits it lists."""
    cov = await coverage(session, pack, quarter, scope, now=now, zone=zone)
    paired = {(r.cadre_id, r.household_id) for r in cov.rows}
    rows = await ledger_rows(session, pack, quarter, scope, paired=paired, zone=zone)
    book = Workbook()
    ledger = book.active
    assert ledger is not None
    ledger.title = t(LEDGER_SHEET)
    _ledger_sheet(t, ledger, rows, zone)
    _style(ledger)
    sheet = book.create_sheet(t(COVERAGE_SHEET))
    _style(sheet, _coverage_sheet(t, sheet, cov, zone, cov.place or t("All")))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), cov, len(rows)
