"""A leave draft checked and placed: how many days, which post decides it, how the month
and the team look if it is approved. Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import LeaveKind, LeaveState
from models.tables import Cadre, Person, Township, Village
from models.workflow import LeaveRequest
from services.calendar import WorkCalendar
from services.errors import DomainError
from services.leave.routing import LeaveRoute, count_leave_days, route_leave
from services.messaging import templates
from services.policy import PolicyPack
from services.presence.days import Absence, MonthOutlook, absences, outlook
from services.roster.accounts import reachable_people
from services.roster.cadre_lookup import cadre_name
from services.roster.jurisdiction import Place, holders, key_for, place_of_cadre

# States in which a request still blocks the same days for another request.
BLOCKING = (LeaveState.PENDING, LeaveState.TO_COMPLETE, LeaveState.APPROVED)


class CardMonth(TypedDict):
    year: int
    month: int
    counted: int
    possible: int
    minimum: int


class _CardParams(TypedDict):
    leave_id: int | None
    cadre: str
    place: str
    kind: str
    start: str
    end: str
    days: int
    reason: str
    emergency: bool
    written: bool
    post: str
    replacement: bool
    months: list[CardMonth]
    empty_days: list[str]


class LeaveCardParams(_CardParams, total=False):
    """``leave.card`` and ``leave.emergency``: what an approver's card shows; an escalated
    card also whom the request waited on (names, else their post) and how long."""

    waited_on: list[str]
    waited_post: str
    waited_hours: int


templates.declare("leave.card", LeaveCardParams)
templates.declare("leave.emergency", LeaveCardParams)


@dataclass(frozen=True)
class LeaveDraft:
    kind: LeaveKind
    start: date
    end: date
    reason: str = ""
    emergency: bool = False


@dataclass(frozen=True)
class Approver:
    person_id: int
    name: str
    reachable: bool  # registered with the bot and not blocking it


@dataclass(frozen=True)
class LeavePlan:
    """Everything the cadre's summary and the approver's card show."""

    cadre_id: int
    cadre_name: str
    place_name: str  # 江口镇下寨村
    draft: LeaveDraft
    days: int
    route: LeaveRoute
    route_key: str
    approvers: list[Approver]
    outlooks: list[MonthOutlook]
    empty_days: list[date]  # days the village would be left with nobody from the team
    place: Place = field(repr=False)


def today_in(zone: ZoneInfo, now: datetime) -> date:
    return now.astimezone(zone).date()


def _months(start: date, end: date) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    day = start.replace(day=1)
    while day <= end:
        out.append((day.year, day.month))
        day = (day + timedelta(days=32)).replace(day=1)
    return out


async def _place_name(session: AsyncSession, place: Place) -> str:
    village = await session.get(Village, place.village_id)
    township = await session.get(Township, place.township_id)
    return f"{township.name if township else ''}{village.name if village else ''}"


# The longest leave one request may span, in calendar days.
MAX_LEAVE_DAYS = 366


async def _check_overlap(session: AsyncSession, cadre_id: int, draft: LeaveDraft) -> None:
    clash = (
        await session.exec(
            select(LeaveRequest).where(
                col(LeaveRequest.cadre_id) == cadre_id,
                col(LeaveRequest.state).in_(BLOCKING),
                col(LeaveRequest.start_date) <= draft.end,
                col(LeaveRequest.end_date) >= draft.start,
            )
        )
    ).first()
    if clash is not None:
        raise DomainError(
            "leave_overlaps",
            leave_id=clash.id,
            start=clash.start_date.isoformat(),
            end=clash.end_date.isoformat(),
        )


async def _empty_days(
    session: AsyncSession, place: Place, cadre_id: int, draft: LeaveDraft
) -> list[date]:
    """Days of the draft on which every other team member is away too."""
    mates = (
        await session.exec(
            select(Cadre.id).where(col(Cadre.team_id) == place.team_id, col(Cadre.id) != cadre_id)
        )
    ).all()
    if not mates:
        return []
    away: dict[int, list[Absence]] = {}
    for mate in mates:
        assert mate is not None
        away[mate] = await absences(session, mate, draft.start, draft.end)
    out = []
    day = draft.start
    while day <= draft.end:
        if all(any(a.start <= day <= a.end for a in away[m]) for m in away):
            out.append(day)
        day += timedelta(days=1)
    return out


def validate_draft(pack: PolicyPack, draft: LeaveDraft, today: date) -> None:
    """The checks that need no database: each failure is one clear code."""
    if draft.kind.value not in pack.leave.kinds:
        raise DomainError("leave_kind_unknown", kind=draft.kind.value)
    if draft.end < draft.start:
        raise DomainError("leave_end_before_start")
    if (draft.end - draft.start).days >= MAX_LEAVE_DAYS:
        # A typo (9999-12-31, 3000 days) rather than a leave: the day-by-day checks below
        # would run for years of days.
        raise DomainError("leave_too_long", limit=MAX_LEAVE_DAYS)
    if draft.start < today and not draft.emergency:
        raise DomainError("leave_start_in_past", start=draft.start.isoformat())
    if len(draft.reason) > pack.leave.max_reason_chars:
        raise DomainError(
            "leave_reason_too_long", limit=pack.leave.max_reason_chars, length=len(draft.reason)
        )


async def plan(
    session: AsyncSession,
    pack: PolicyPack,
    calendar: WorkCalendar,
    cadre_id: int,
    draft: LeaveDraft,
    today: date,
) -> LeavePlan:
    """Check a draft and work out where it goes; raises DomainError, writes nothing."""
    validate_draft(pack, draft, today)
    days = count_leave_days(pack, draft.start, draft.end, calendar)
    if days < 1:
        raise DomainError("leave_no_working_days")
    route = route_leave(pack, days, draft.kind.value)
    await _check_overlap(session, cadre_id, draft)
    place = await place_of_cadre(session, cadre_id)
    key = key_for(route.approver, place)
    people = await holders(session, route.approver, key)
    cadre = await session.get(Cadre, cadre_id)
    assert cadre is not None
    person = await session.get(Person, cadre.person_id)
    assert person is not None
    outlooks = []
    for year, month in _months(draft.start, draft.end):
        month_start = date(year, month, 1)
        month_end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        month_away = await absences(session, cadre_id, month_start, month_end)
        month_away.append(Absence(draft.start, draft.end, draft.kind))
        outlooks.append(outlook(pack, calendar, year, month, month_away))
    return LeavePlan(
        cadre_id=cadre_id,
        cadre_name=person.name,
        place_name=await _place_name(session, place),
        draft=draft,
        days=days,
        route=route,
        route_key=key,
        approvers=await _approvers(session, people),
        outlooks=outlooks,
        empty_days=await _empty_days(session, place, cadre_id, draft),
        place=place,
    )


async def _approvers(session: AsyncSession, people: list[Person]) -> list[Approver]:
    reach = await reachable_people(session, [p.id for p in people if p.id is not None])
    return [Approver(p.id or 0, p.name, p.id in reach) for p in people]


def card_params(leave_plan: LeavePlan, leave: LeaveRequest | None = None) -> dict[str, Any]:
    """What a summary or an approver's card shows, frozen at the moment it is made: a
    draft's when ``leave`` is None, else the stored request's."""
    draft = leave_plan.draft
    return {
        "leave_id": leave.id if leave else None,
        "cadre": leave_plan.cadre_name,
        "place": leave_plan.place_name,
        "kind": draft.kind.value,
        "start": draft.start.isoformat(),
        "end": draft.end.isoformat(),
        "days": leave_plan.days,
        "reason": leave.reason if leave else draft.reason,
        "emergency": draft.emergency,
        "written": (leave.written_at is not None) if leave else not draft.emergency,
        "post": (leave.waiting_on if leave else leave_plan.route.approver).value,
        "replacement": leave_plan.route.replacement_required,
        "months": [
            {
                "year": o.year,
                "month": o.month,
                "counted": o.counted_days,
                "possible": o.possible_days,
                "minimum": o.minimum,
            }
            for o in leave_plan.outlooks
        ],
        "empty_days": [d.isoformat() for d in leave_plan.empty_days],
    }


async def replan(
    session: AsyncSession,
    pack: PolicyPack,
    calendar: WorkCalendar,
    leave: LeaveRequest,
    draft: LeaveDraft,
) -> LeavePlan:
    """The plan of a stored request (its own days excluded from the overlap check)."""
    place = await place_of_cadre(session, leave.cadre_id)
    outlooks = []
    for year, month in _months(leave.start_date, leave.end_date):
        month_start = date(year, month, 1)
        month_end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        away = await absences(session, leave.cadre_id, month_start, month_end)
        if leave.state not in (LeaveState.APPROVED, LeaveState.TO_COMPLETE, LeaveState.CLOSED):
            away.append(Absence(leave.start_date, leave.end_date, leave.kind))
        outlooks.append(outlook(pack, calendar, year, month, away))
    people = await holders(session, leave.waiting_on, leave.route_key)
    assert leave.id is not None
    return LeavePlan(
        cadre_id=leave.cadre_id,
        cadre_name=await cadre_name(session, leave.cadre_id),
        place_name=await _place_name(session, place),
        draft=draft,
        days=leave.days,
        route=route_leave(pack, leave.days, leave.kind.value),
        route_key=leave.route_key,
        approvers=await _approvers(session, people),
        outlooks=outlooks,
        empty_days=await _empty_days(session, place, leave.cadre_id, draft),
        place=place,
    )


async def stored_plan(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, leave: LeaveRequest
) -> LeavePlan:
    draft = LeaveDraft(leave.kind, leave.start_date, leave.end_date, leave.reason, leave.emergency)
    return await replan(session, pack, calendar, leave, draft)
