"""Leave sweeps: what is due, found from the data, sent once (dedup keys).

Each sweep may run twice, late, or after days of downtime: the keys make a reminder go out
once, and conditional updates make an escalation happen once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind, LeaveState
from models.tables import Cadre
from models.workflow import LeaveRequest
from services import audit
from services.calendar import WorkCalendar
from services.leave.approvals import DECIDABLE
from services.leave.plan import stored_plan, today_in
from services.leave.requests import send_cards, transition, written_request_due
from services.leave.routing import next_approver
from services.messaging import outbox, templates
from services.periods import cadre_due_now
from services.policy import PolicyPack
from services.roster import tenure
from services.roster.cadre_lookup import cadre_name, cadre_person_id
from services.roster.jurisdiction import Place, holders, key_for, place_of_cadre


class RemindApproverParams(TypedDict):
    leave_id: int
    cadre: str
    hours: int
    start: str
    end: str


class ClosedParams(TypedDict):
    """``leave.closed``: a request closed because its cadre is out of post."""

    leave_id: int
    cadre: str
    why: str  # tenure.TERM_OVER or tenure.RECALLED
    start: str
    end: str


class RemindBackParams(TypedDict):
    leave_id: int
    end: str


class RemindCompleteParams(TypedDict):
    leave_id: int
    due: str
    overdue: bool
    start: str
    end: str


templates.declare("leave.remind_approver", RemindApproverParams)
templates.declare("leave.remind_back", RemindBackParams)
templates.declare("leave.closed", ClosedParams)
templates.declare("leave.remind_complete", RemindCompleteParams)


@dataclass
class SweepResult:
    reminded: int = 0
    escalated: int = 0


async def _next_staffed(
    session: AsyncSession, pack: PolicyPack, kind: ApproverKind, place: Place
) -> ApproverKind | None:
    """The next post up the chain that somebody holds for this place."""
    step = next_approver(pack, kind)
    while step is not None:
        if await holders(session, step, key_for(step, place)):
            return step
        step = next_approver(pack, step)
    return None


async def pending_approvals(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, now: datetime
) -> SweepResult:
    """Remind approvers past the reminder age; move requests past the escalation age one
    tier up (ganzhou Art.17: approvers must not sit on a request)."""
    result = SweepResult()
    remind_after = timedelta(hours=pack.leave.reminder_hours)
    escalate_after = timedelta(hours=pack.leave.escalation_hours)
    rows = await session.exec(
        select(LeaveRequest).where(
            col(LeaveRequest.state).in_(DECIDABLE),
            col(LeaveRequest.written_at).is_not(None),
            col(LeaveRequest.waiting_since) <= now - remind_after,
        )
    )
    for leave in list(rows.all()):
        assert leave.id is not None
        waited = now - leave.waiting_since
        place = await place_of_cadre(session, leave.cadre_id)
        upper = (
            await _next_staffed(session, pack, leave.waiting_on, place)
            if (waited >= escalate_after)
            else None
        )
        if upper is not None:
            if await _escalate(session, pack, calendar, leave, upper, place, now):
                result.escalated += 1
            continue
        for person in await holders(session, leave.waiting_on, leave.route_key):
            assert person.id is not None
            if await outbox.to_person(
                session,
                person.id,
                key=f"leave-remind:{leave.id}:{leave.waiting_on.value}:{person.id}",
                template="leave.remind_approver",
                params={
                    "leave_id": leave.id,
                    "cadre": await cadre_name(session, leave.cadre_id),
                    "hours": int(waited.total_seconds() // 3600),
                    "start": leave.start_date.isoformat(),
                    "end": leave.end_date.isoformat(),
                },
                now=now,
                ref=f"leave:{leave.id}",
            ):
                result.reminded += 1
    return result


async def _escalate(
    session: AsyncSession,
    pack: PolicyPack,
    calendar: WorkCalendar,
    leave: LeaveRequest,
    upper: ApproverKind,
    place: Place,
    now: datetime,
) -> bool:
    before = leave.waiting_on
    waited_on = [p.name for p in await holders(session, before, leave.route_key)]
    waited_hours = int((now - leave.waiting_since).total_seconds() // 3600)
    moved = await session.exec(
        update(LeaveRequest)
        .where(
            col(LeaveRequest.id) == leave.id,
            col(LeaveRequest.state).in_(DECIDABLE),
            col(LeaveRequest.waiting_on) == before,
        )
        .values(waiting_on=upper, route_key=key_for(upper, place), waiting_since=now)
    )
    if moved.rowcount != 1:
        return False
    await session.refresh(leave)
    await audit.record(
        session,
        entity="leave",
        entity_id=leave.id,
        action="escalate",
        from_state=before.value,
        to_state=upper.value,
        at=now,
    )
    leave_plan = await stored_plan(session, pack, calendar, leave)
    # The new approver is told why the request came to them, not just that it did.
    why = {"waited_on": waited_on, "waited_post": before.value, "waited_hours": waited_hours}
    await send_cards(session, leave, leave_plan, now, stage=f"up-{upper.value}", why=why)
    return True


async def unreturned(
    session: AsyncSession, pack: PolicyPack, now: datetime, zone: ZoneInfo
) -> SweepResult:
    """The morning after a leave ended without 销假 (from the pack's cadre hour): remind the
    cadre once."""
    result = SweepResult()
    local = now.astimezone(zone)
    if not cadre_due_now(pack, local):
        return result
    rows = await session.exec(
        select(LeaveRequest).where(
            col(LeaveRequest.state).in_((LeaveState.APPROVED, LeaveState.TO_COMPLETE)),
            col(LeaveRequest.returned_on).is_(None),
            col(LeaveRequest.end_date) < local.date(),
        )
    )
    for leave in rows.all():
        if await outbox.to_person(
            session,
            await cadre_person_id(session, leave.cadre_id),
            key=f"leave-back:{leave.id}",
            template="leave.remind_back",
            params={"leave_id": leave.id, "end": leave.end_date.isoformat()},
            now=now,
        ):
            result.reminded += 1
    return result


async def emergency_paperwork(
    session: AsyncSession, pack: PolicyPack, now: datetime, zone: ZoneInfo
) -> SweepResult:
    """Chase the written request of an emergency leave (ganzhou Art.17 补办): a reminder
    each morning until it is done, marked overdue past the pack's limit."""
    result = SweepResult()
    if not cadre_due_now(pack, now.astimezone(zone)):
        return result
    today = today_in(zone, now)
    rows = await session.exec(
        select(LeaveRequest).where(
            col(LeaveRequest.state) == LeaveState.TO_COMPLETE,
            col(LeaveRequest.written_at).is_(None),
        )
    )
    for leave in rows.all():
        created = today_in(zone, leave.created_at)
        if created == today:
            continue  # told when it was made; the chase starts the next morning
        due = written_request_due(pack, created)
        if await outbox.to_person(
            session,
            await cadre_person_id(session, leave.cadre_id),
            key=f"leave-complete:{leave.id}:{today.isoformat()}",
            template="leave.remind_complete",
            params={
                "leave_id": leave.id,
                "due": due.isoformat(),
                "overdue": today > due,
                "start": leave.start_date.isoformat(),
                "end": leave.end_date.isoformat(),
            },
            now=now,
            ref=f"leave:{leave.id}",
        ):
            result.reminded += 1
    return result


async def close_out_of_post(session: AsyncSession, now: datetime, zone: ZoneInfo) -> int:
    """Close the requests still waiting for a decision (pending, or an emergency's paperwork)
    of cadres out of post today (term over, or recalled): withdrawn, with the reason as the
    decision note, and the post they waited on is told. Conditional updates and dedup keys:
    run twice, each request is closed and announced once. Returns how many it closed."""
    today = today_in(zone, now)
    rows = await session.exec(
        select(LeaveRequest)
        .join(Cadre, col(Cadre.id) == col(LeaveRequest.cadre_id))
        .where(col(LeaveRequest.state).in_(DECIDABLE), tenure.ended_clause(today))
        .order_by(col(LeaveRequest.id))
    )
    closed = 0
    for leave in list(rows.all()):
        assert leave.id is not None
        why = await tenure.why_out_of_post(session, leave.cadre_id, today) or tenure.TERM_OVER
        before = leave.state
        if not await transition(
            session,
            leave,
            DECIDABLE,
            state=LeaveState.WITHDRAWN,
            decided_at=now,
            decision_note=why,
        ):
            continue
        await audit.record(
            session,
            entity="leave",
            entity_id=leave.id,
            action="close_out_of_post",
            from_state=before.value,
            to_state=LeaveState.WITHDRAWN.value,
            at=now,
            note=why,
        )
        name = await cadre_name(session, leave.cadre_id)
        for person in await holders(session, leave.waiting_on, leave.route_key):
            assert person.id is not None
            await outbox.to_person(
                session,
                person.id,
                key=f"leave-closed:{leave.id}:{person.id}",
                template="leave.closed",
                params={
                    "leave_id": leave.id,
                    "cadre": name,
                    "why": why,
                    "start": leave.start_date.isoformat(),
                    "end": leave.end_date.isoformat(),
                },
                now=now,
                ref=f"leave:{leave.id}",
            )
        closed += 1
    return closed
