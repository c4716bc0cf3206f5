"""请销假: asking for leave and reporting back (销假); withdrawing is in ``withdrawal``.

Rules come from the policy pack (tiers, reason length, emergency paperwork); routing goes
to the approver post whose jurisdiction covers the cadre. Nothing is written until the
cadre confirms, and every change is audited. Messages to others (the approver's card) are
outbox rows in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import LeaveKind, LeaveState
from models.workflow import LeaveRequest
from services import audit
from services.calendar import WorkCalendar
from services.errors import DomainError
from services.leave.plan import (
    Approver,
    LeaveDraft,
    LeavePlan,
    card_params,
    plan,
    replan,
    today_in,
)
from services.messaging import outbox, templates
from services.policy import PolicyPack
from services.roster.cadre_lookup import cadre_person_id


async def send_cards(
    session: AsyncSession,
    leave: LeaveRequest,
    leave_plan: LeavePlan,
    now: datetime,
    *,
    stage: str,
    approvers: list[Approver] | None = None,
    why: dict[str, Any] | None = None,
) -> int:
    """A card to each holder of the post the request waits on (``why``: the card's reason
    to come, for an escalated one). Returns how many."""
    assert leave.id is not None
    template = "leave.card" if leave.written_at is not None else "leave.emergency"
    params = {**card_params(leave_plan, leave), **(why or {})}
    sent = 0
    for approver in approvers if approvers is not None else leave_plan.approvers:
        if await outbox.to_person(
            session,
            approver.person_id,
            key=f"leave-card:{leave.id}:{stage}:{approver.person_id}",
            template=template,
            params=params,
            now=now,
            ref=f"leave:{leave.id}",
        ):
            sent += 1
    return sent


class WithdrawnParams(TypedDict):
    leave_id: int
    cadre: str


templates.declare("leave.withdrawn", WithdrawnParams)


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


async def own_request(session: AsyncSession, leave_id: int, cadre_id: int) -> LeaveRequest:
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
    leave = await own_request(session, leave_id, cadre_id)
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
    leave_plan = await replan(session, pack, calendar, leave, draft)
    await send_cards(session, leave, leave_plan, now, stage="written")
    return leave


@dataclass(frozen=True)
class MyLeave:
    """One of a cadre's requests as /myleave lists it, with what they may still do."""

    leave_id: int
    kind: LeaveKind
    start: date
    end: date
    state: LeaveState
    withdrawable: bool
    completable: bool  # an emergency leave whose written request is still owed


def written_request_due(pack: PolicyPack, asked_on: date) -> date:
    """The day an emergency leave's written request is due (ganzhou Art.17 及时补办)."""
    return asked_on + timedelta(days=pack.leave.emergency_completion_days)


async def my_leaves(
    session: AsyncSession, cadre_id: int, today: date, limit: int = 20
) -> list[MyLeave]:
    result = await session.exec(
        select(LeaveRequest)
        .where(col(LeaveRequest.cadre_id) == cadre_id)
        .order_by(col(LeaveRequest.start_date).desc(), col(LeaveRequest.id).desc())
        .limit(limit)
    )
    mine = []
    for leave in result.all():
        assert leave.id is not None
        completable = leave.state == LeaveState.TO_COMPLETE and leave.written_at is None
        mine.append(
            MyLeave(
                leave.id,
                leave.kind,
                leave.start_date,
                leave.end_date,
                leave.state,
                withdrawable(leave, today),
                completable,
            )
        )
    return mine
