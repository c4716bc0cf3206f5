"""请销假: asking for leave, withdrawing it, and reporting back (销假).

Rules come from the policy pack (tiers, reason length, emergency paperwork); routing goes
to the approver post whose jurisdiction covers the cadre. Nothing is written until the
cadre confirms, and every change is audited. Messages to others (the approver's card) are
outbox rows in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import LeaveKind, LeaveState
from models.tables import Cadre, Person, Township, Village
from models.workflow import LeaveRequest
from services import audit, outbox
from services.calendar import WorkCalendar
from services.errors import DomainError
from services.jurisdiction import Place, holders, key_for, place_of_cadre
from services.policy import LeaveRoute, PolicyPack, count_leave_days, route_leave
from services.presence import Absence, MonthOutlook, absences, outlook

# States in which a request still blocks the same days for another request.
BLOCKING = (LeaveState.PENDING, LeaveState.TO_COMPLETE, LeaveState.APPROVED)


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
        approvers=[
            Approver(p.id or 0, p.name, p.telegram_user_id is not None and not p.blocked_bot_at)
            for p in people
        ],
        outlooks=outlooks,
        empty_days=await _empty_days(session, place, cadre_id, draft),
        place=place,
    )


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


async def send_cards(
    session: AsyncSession,
    leave: LeaveRequest,
    leave_plan: LeavePlan,
    now: datetime,
    *,
    stage: str,
    approvers: list[Approver] | None = None,
) -> int:
    """A card to each holder of the post the request waits on. Returns how many."""
    assert leave.id is not None
    template = "leave.card" if leave.written_at is not None else "leave.emergency"
    sent = 0
    for approver in approvers if approvers is not None else leave_plan.approvers:
        if await outbox.to_person(
            session,
            approver.person_id,
            key=f"leave-card:{leave.id}:{stage}:{approver.person_id}",
            template=template,
            params=card_params(leave_plan, leave),
            now=now,
            ref=f"leave:{leave.id}",
        ):
            sent += 1
    return sent


async def submit(
    session: AsyncSession,
    pack: PolicyPack,
    calendar: WorkCalendar,
    cadre_id: int,
    draft: LeaveDraft,
    now: datetime,
    zone: ZoneInfo,
) -> tuple[LeaveRequest, LeavePlan]:
    """Store a confirmed request and send it to its approvers. Checks run again here: the
    summary the cadre confirmed may be minutes old."""
    today = today_in(zone, now)
    if draft.emergency and draft.start != today:
        raise DomainError("emergency_starts_today")
    leave_plan = await plan(session, pack, calendar, cadre_id, draft, today)
    leave = LeaveRequest(
        cadre_id=cadre_id,
        kind=draft.kind,
        emergency=draft.emergency,
        start_date=draft.start,
        end_date=draft.end,
        days=leave_plan.days,
        reason=draft.reason.strip(),
        state=LeaveState.TO_COMPLETE if draft.emergency else LeaveState.PENDING,
        routed_to=leave_plan.route.approver,
        waiting_on=leave_plan.route.approver,
        route_key=leave_plan.route_key,
        waiting_since=now,
        replacement_required=leave_plan.route.replacement_required,
        created_at=now,
        written_at=None if draft.emergency else now,
    )
    session.add(leave)
    await session.flush()
    assert leave.id is not None
    person_id = await cadre_person_id(session, cadre_id)
    await audit.record(
        session,
        entity="leave",
        entity_id=leave.id,
        action="emergency" if draft.emergency else "submit",
        to_state=leave.state.value,
        actor_person_id=person_id,
        at=now,
    )
    await send_cards(session, leave, leave_plan, now, stage="new")
    return leave, leave_plan


async def cadre_person_id(session: AsyncSession, cadre_id: int) -> int:
    cadre = await session.get(Cadre, cadre_id)
    assert cadre is not None
    return cadre.person_id


async def _own(session: AsyncSession, leave_id: int, cadre_id: int) -> LeaveRequest:
    leave = await session.get(LeaveRequest, leave_id)
    if leave is None or leave.cadre_id != cadre_id:
        raise DomainError("leave_unknown", leave_id=leave_id)
    return leave


async def transition(
    session: AsyncSession,
    leave: LeaveRequest,
    allowed: tuple[LeaveState, ...],
    **values: object,
) -> bool:
    """Conditional update: of two racing changes only one finds the state it expects."""
    result = await session.exec(
        update(LeaveRequest)
        .where(col(LeaveRequest.id) == leave.id, col(LeaveRequest.state).in_(allowed))
        .values(**values)
    )
    if result.rowcount != 1:
        return False
    await session.refresh(leave)
    return True


def withdrawable(leave: LeaveRequest, today: date) -> bool:
    if leave.state == LeaveState.PENDING:
        return True
    return leave.state == LeaveState.APPROVED and leave.start_date > today


async def withdraw(
    session: AsyncSession, leave_id: int, cadre_id: int, now: datetime, zone: ZoneInfo
) -> LeaveRequest:
    leave = await _own(session, leave_id, cadre_id)
    before = leave.state
    if not withdrawable(leave, today_in(zone, now)):
        raise DomainError("leave_not_withdrawable", state=leave.state.value)
    if not await transition(session, leave, (before,), state=LeaveState.WITHDRAWN):
        raise DomainError("leave_not_withdrawable", state=leave.state.value)
    await audit.record(
        session,
        entity="leave",
        entity_id=leave_id,
        action="withdraw",
        from_state=before.value,
        to_state=LeaveState.WITHDRAWN.value,
        actor_person_id=await cadre_person_id(session, cadre_id),
        at=now,
    )
    for approver in await holders(session, leave.waiting_on, leave.route_key):
        assert approver.id is not None
        await outbox.to_person(
            session,
            approver.id,
            key=f"leave-withdrawn:{leave_id}:{approver.id}",
            template="leave.withdrawn",
            params={"leave_id": leave_id, "cadre": await cadre_name(session, cadre_id)},
            now=now,
            ref=f"leave:{leave_id}",
        )
    return leave


async def cadre_name(session: AsyncSession, cadre_id: int) -> str:
    person = await session.get(Person, await cadre_person_id(session, cadre_id))
    return person.name if person else ""


async def report_back(
    session: AsyncSession, cadre_id: int, now: datetime, zone: ZoneInfo
) -> LeaveRequest:
    """销假: close the leave the cadre is on, with today as the actual return date."""
    today = today_in(zone, now)
    leave = (
        await session.exec(
            select(LeaveRequest)
            .where(
                col(LeaveRequest.cadre_id) == cadre_id,
                col(LeaveRequest.state).in_((LeaveState.APPROVED, LeaveState.TO_COMPLETE)),
                col(LeaveRequest.start_date) <= today,
                col(LeaveRequest.returned_on).is_(None),
            )
            .order_by(col(LeaveRequest.start_date).desc())
        )
    ).first()
    if leave is None:
        raise DomainError("no_leave_to_close")
    before = leave.state
    # An emergency leave whose paperwork is still owed stays to_complete, but returned.
    after = LeaveState.CLOSED if before == LeaveState.APPROVED else before
    if not await transition(
        session, leave, (before,), state=after, returned_on=today, returned_at=now
    ):
        raise DomainError("no_leave_to_close")
    await audit.record(
        session,
        entity="leave",
        entity_id=leave.id,
        action="back",
        from_state=before.value,
        to_state=after.value,
        actor_person_id=await cadre_person_id(session, cadre_id),
        at=now,
        note=f"returned {today.isoformat()}",
    )
    return leave


async def complete_emergency(
    session: AsyncSession,
    pack: PolicyPack,
    calendar: WorkCalendar,
    leave_id: int,
    cadre_id: int,
    reason: str,
    now: datetime,
) -> LeaveRequest:
    """补办: the written request for an emergency leave; the approvers now decide it."""
    leave = await _own(session, leave_id, cadre_id)
    if leave.state != LeaveState.TO_COMPLETE or leave.written_at is not None:
        raise DomainError("leave_not_to_complete", state=leave.state.value)
    reason = reason.strip()
    if not reason:
        raise DomainError("leave_reason_required")
    if len(reason) > pack.leave.max_reason_chars:
        raise DomainError(
            "leave_reason_too_long", limit=pack.leave.max_reason_chars, length=len(reason)
        )
    if not await transition(
        session, leave, (LeaveState.TO_COMPLETE,), written_at=now, reason=reason
    ):
        raise DomainError("leave_not_to_complete", state=leave.state.value)
    await audit.record(
        session,
        entity="leave",
        entity_id=leave_id,
        action="complete",
        from_state=leave.state.value,
        to_state=leave.state.value,
        actor_person_id=await cadre_person_id(session, cadre_id),
        at=now,
    )
    draft = LeaveDraft(leave.kind, leave.start_date, leave.end_date, reason, emergency=True)
    leave_plan = await _replan(session, pack, calendar, leave, draft)
    await send_cards(session, leave, leave_plan, now, stage="written")
    return leave


async def _replan(
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
        approvers=[
            Approver(p.id or 0, p.name, p.telegram_user_id is not None and not p.blocked_bot_at)
            for p in people
        ],
        outlooks=outlooks,
        empty_days=await _empty_days(session, place, leave.cadre_id, draft),
        place=place,
    )


async def stored_plan(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, leave: LeaveRequest
) -> LeavePlan:
    draft = LeaveDraft(leave.kind, leave.start_date, leave.end_date, leave.reason, leave.emergency)
    return await _replan(session, pack, calendar, leave, draft)


async def my_requests(session: AsyncSession, cadre_id: int, limit: int = 20) -> list[LeaveRequest]:
    result = await session.exec(
        select(LeaveRequest)
        .where(col(LeaveRequest.cadre_id) == cadre_id)
        .order_by(col(LeaveRequest.start_date).desc(), col(LeaveRequest.id).desc())
        .limit(limit)
    )
    return list(result.all())
