"""考勤表: the township's monthly attendance sheet, built from the ledger.

ganzhou Art.27(二) 生活补助按实际驻村天数计发，凭乡镇盖章的考勤表; qinghai-2018 item 5
驻村天数以乡镇党委提供的实际考勤天数为准: the township party committee owns the sheet. After a
month ends a draft per township is built and sent to it (``draft_sheets``, a sweep); it may
correct single days (``fix_day``, the reason recorded) and confirms (``confirm``). A confirmed
sheet is locked: its figures are kept as confirmed (``AttendanceSheet.snapshot``) and no day of
that month can be corrected any more.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from locales import Translator, office_translator
from models.enums import ApproverKind, DayClass, SheetState
from models.presence import AttendanceSheet, DayCorrection
from models.tables import ApproverPost, Cadre, Person, Team, Village
from services import audit
from services.calendar import WorkCalendar
from services.errors import DomainError
from services.messaging import outbox
from services.policy import PolicyPack
from services.presence.attendance_workbook import file_name, workbook
from services.presence.day_ledger import CadreMonth, cadre_month, month_ledger
from services.presence.days import month_days
from services.presence.sheet_rows import Sheet, row_of, rows_from_json, rows_to_json
from services.presence.trips import kms_by_cadre
from services.roster.cadre_lookup import one_covered
from services.roster.jurisdiction import holders, holds
from services.sql import dialect_insert
from services.visits.coverage import Scope, ScopeKind

OWNER = ApproverKind.TOWNSHIP_PARTY_COMMITTEE  # 乡镇党委: stamps the sheet


def _zh() -> Translator:
    """The township files its attendance sheet in Chinese, whoever opens it."""
    return office_translator()


@dataclass(frozen=True)
class Fixed:
    cadre: str
    day: date
    before: DayClass | None
    after: DayClass
    month: CadreMonth


@dataclass(frozen=True)
class SheetFile:
    sheet: Sheet
    content: bytes  # the XLSX


@dataclass(frozen=True)
class Confirmed:
    sheet: Sheet
    done_now: bool  # False: confirmed before, by ``sheet.confirmed_by``
    content: bytes


def previous_month(day: date) -> tuple[int, int]:
    last = day.replace(day=1) - timedelta(days=1)
    return last.year, last.month


async def sheets(
    session: AsyncSession,
    pack: PolicyPack,
    calendar: WorkCalendar,
    scope: Scope,
    year: int,
    month: int,
    zone: ZoneInfo,
    *,
    today: date | None = None,
) -> list[Sheet]:
    """One sheet per township in the scope with cadres posted that month: a confirmed
    township's as confirmed, the others from the ledger as it stands."""
    ledger = await month_ledger(session, pack, calendar, year, month, scope, today=today, zone=zone)
    if not ledger:
        return []
    kms = await kms_by_cadre(session, [m.cadre_id for m in ledger], year, month)
    by_township: dict[int, list[CadreMonth]] = defaultdict(list)
    for cadre in ledger:
        by_township[cadre.township_id].append(cadre)
    stored = {
        s.township_id: s
        for s in (
            await session.exec(
                select(AttendanceSheet).where(
                    col(AttendanceSheet.township_id).in_(list(by_township)),
                    col(AttendanceSheet.year) == year,
                    col(AttendanceSheet.month) == month,
                )
            )
        ).all()
    }
    out = []
    for township_id, cadres in by_township.items():
        row = stored.get(township_id)
        sheet = Sheet.of(
            pack,
            cadres[0].township,
            cadres[0].county,
            township_id,
            year,
            month,
            tuple(row_of(pack, c, kms.get(c.cadre_id, [])) for c in cadres),
        )
        if row is not None:
            confirmer = await session.get(Person, row.confirmed_by_person_id or 0)
            sheet = replace(
                sheet,
                sheet_id=row.id,
                state=row.state,
                confirmed_by=confirmer.name if confirmer else "",
                confirmed_at=row.confirmed_at,
            )
            if row.state is SheetState.CONFIRMED and row.snapshot:
                sheet = replace(sheet, rows=rows_from_json(row.snapshot))
        out.append(sheet)
    return out


async def township_sheet(
    session: AsyncSession,
    pack: PolicyPack,
    calendar: WorkCalendar,
    township_id: int,
    year: int,
    month: int,
    zone: ZoneInfo,
) -> Sheet | None:
    found = await sheets(
        session, pack, calendar, Scope(ScopeKind.TOWNSHIP, township_id), year, month, zone
    )
    return found[0] if found else None


async def _posted_townships(session: AsyncSession, year: int, month: int) -> set[int]:
    days = month_days(year, month)
    rows = await session.exec(
        select(Village.township_id)
        .join(Team, col(Team.village_id) == col(Village.id))
        .join(Cadre, col(Cadre.team_id) == col(Team.id))
        .where(col(Cadre.term_start) <= days[-1], col(Cadre.term_end) >= days[0])
        .distinct()
    )
    return set(rows.all())


async def draft_sheets(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, now: datetime, zone: ZoneInfo
) -> int:
    """Sweep: once the month is over, a draft sheet per township, sent to the township party
    committee with a summary and the XLSX. Run twice, late or by two processes: each
    township's draft is made and sent once. Returns how many drafts were made."""
    year, month = previous_month(now.astimezone(zone).date())
    have = set(
        (
            await session.exec(
                select(AttendanceSheet.township_id).where(
                    col(AttendanceSheet.year) == year, col(AttendanceSheet.month) == month
                )
            )
        ).all()
    )
    made = 0
    for township_id in sorted(await _posted_townships(session, year, month) - have):
        result = await session.exec(
            dialect_insert(session, AttendanceSheet)
            .values(
                township_id=township_id,
                year=year,
                month=month,
                state=SheetState.DRAFT,
                built_at=now,
            )
            .on_conflict_do_nothing(index_elements=["township_id", "year", "month"])
        )
        if not result.rowcount:
            continue  # another process drafted it
        sheet = await township_sheet(session, pack, calendar, township_id, year, month, zone)
        if sheet is None or sheet.sheet_id is None:
            continue
        made += 1
        await audit.record(
            session, entity="attendance_sheet", entity_id=sheet.sheet_id, action="draft", at=now,
            to_state=SheetState.DRAFT.value, note=f"{sheet.township} {year}-{month:02d}",
        )  # fmt: skip
        content = workbook([sheet], _zh())
        for person in await holders(session, OWNER, f"township:{township_id}"):
            assert person.id is not None
            await outbox.to_person(
                session,
                person.id,
                key=f"attendance-draft:{sheet.sheet_id}:{person.id}",
                template="attendance.draft",
                params=sheet.summary(),
                now=now,
                ref=f"sheet:{sheet.sheet_id}",
                document=(file_name(sheet, _zh()), content),
            )
    return made


async def owned_sheets(
    session: AsyncSession,
    pack: PolicyPack,
    calendar: WorkCalendar,
    person_id: int,
    year: int,
    month: int,
    zone: ZoneInfo,
) -> list[SheetFile]:
    """The month's drafted or confirmed sheet of each township whose party committee this
    person holds, with its workbook: for someone who registered after the draft went out,
    lost it, or wants a confirmed month again. Nothing is recomputed for a confirmed month
    (its figures are the stamped ones); a draft shows the ledger as it stands."""
    townships = (
        await session.exec(
            select(ApproverPost.township_id)
            .where(
                col(ApproverPost.person_id) == person_id,
                col(ApproverPost.kind) == OWNER,
                col(ApproverPost.township_id).is_not(None),
            )
            .order_by(col(ApproverPost.township_id))
        )
    ).all()
    if not townships:
        raise DomainError("sheet_not_township")
    out = []
    for township_id in townships:
        assert township_id is not None
        if await _sheet_row(session, township_id, year, month) is None:
            continue  # not drafted yet: the month is not over, or nobody was posted
        sheet = await township_sheet(session, pack, calendar, township_id, year, month, zone)
        if sheet is not None:
            out.append(SheetFile(sheet, workbook([sheet], _zh())))
    if not out:
        raise DomainError("sheet_not_drafted", year=year, month=month)
    return out


async def _sheet_row(
    session: AsyncSession, township_id: int, year: int, month: int
) -> AttendanceSheet | None:
    return (
        await session.exec(
            select(AttendanceSheet).where(
                col(AttendanceSheet.township_id) == township_id,
                col(AttendanceSheet.year) == year,
                col(AttendanceSheet.month) == month,
            )
        )
    ).first()


async def fix_day(
    session: AsyncSession,
    pack: PolicyPack,
    calendar: WorkCalendar,
    person_id: int,
    name: str,
    day: date,
    day_class: DayClass,
    reason: str,
    now: datetime,
    zone: ZoneInfo,
) -> Fixed:
    """The township party committee corrects one day of one cadre, giving the reason."""
    today = now.astimezone(zone).date()
    if day > today:
        raise DomainError("fix_future", day=day.isoformat())
    reason = reason.strip()
    if not reason:
        raise DomainError("fix_reason_missing")
    if len(reason) > pack.leave.max_reason_chars:
        raise DomainError(
            "fix_reason_too_long", limit=pack.leave.max_reason_chars, length=len(reason)
        )
    try:
        cadre = await one_covered(session, person_id, (OWNER,), name, day)
    except DomainError as exc:
        raise DomainError("fix_not_township") if exc.code == "post_required" else exc from None
    sheet = await _sheet_row(session, cadre.township_id, day.year, day.month)
    if sheet is not None and sheet.state is SheetState.CONFIRMED:
        raise DomainError("sheet_locked", year=day.year, month=day.month)
    before = await cadre_month(
        session, pack, calendar, cadre.cadre_id, day.year, day.month, today=today, zone=zone
    )
    old = before.days.get(day) if before else None
    correction = DayCorrection(
        cadre_id=cadre.cadre_id, day=day, day_class=day_class, reason=reason,
        by_person_id=person_id, at=now,
    )  # fmt: skip
    session.add(correction)
    await session.flush()
    await audit.record(
        session, entity="day_correction", entity_id=correction.id, action="fix",
        from_state=old.value if old else None, to_state=day_class.value,
        actor_person_id=person_id, at=now, note=f"{cadre.name} {day.isoformat()}: {reason}",
    )  # fmt: skip
    after = await cadre_month(
        session, pack, calendar, cadre.cadre_id, day.year, day.month, today=today, zone=zone
    )
    assert after is not None
    return Fixed(cadre.name, day, old, day_class, after)


async def confirm(
    session: AsyncSession,
    pack: PolicyPack,
    calendar: WorkCalendar,
    sheet_id: int,
    person_id: int,
    now: datetime,
    zone: ZoneInfo,
) -> Confirmed:
    """Confirm (stamp) a draft, once: the figures are kept as confirmed and the month locked."""
    row = await session.get(AttendanceSheet, sheet_id)
    if row is None or not await holds(session, person_id, OWNER, f"township:{row.township_id}"):
        raise DomainError("sheet_not_yours", sheet_id=sheet_id)
    if row.state is SheetState.DRAFT:
        live = await township_sheet(
            session, pack, calendar, row.township_id, row.year, row.month, zone
        )
        snapshot = rows_to_json(live) if live else "[]"
        result = await session.exec(
            update(AttendanceSheet)
            .where(
                col(AttendanceSheet.id) == sheet_id, col(AttendanceSheet.state) == SheetState.DRAFT
            )
            .values(
                state=SheetState.CONFIRMED,
                confirmed_by_person_id=person_id,
                confirmed_at=now,
                snapshot=snapshot,
            )
        )
        done_now = result.rowcount == 1
        if done_now:
            await audit.record(
                session, entity="attendance_sheet", entity_id=sheet_id, action="confirm",
                from_state=SheetState.DRAFT.value, to_state=SheetState.CONFIRMED.value,
                actor_person_id=person_id, at=now,
            )  # fmt: skip
        await session.refresh(row)
    else:
        done_now = False
    sheet = await township_sheet(
        session, pack, calendar, row.township_id, row.year, row.month, zone
    )
    if sheet is None:
        raise DomainError("sheet_empty", sheet_id=sheet_id)
    return Confirmed(sheet, done_now, workbook([sheet], _zh()))
