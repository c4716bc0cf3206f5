"""Withdrawing a request (撤回): a waiting one, or approved leave that has not started. The
cadre is asked first (handlers/leave/own.py); the answer is checked against the state the
question was about, and the approver is told through the outbox."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import LeaveState
from models.workflow import LeaveRequest
from services import audit
from services.errors import DomainError
from services.leave.plan import today_in
from services.leave.requests import own_request, transition, withdrawable
from services.messaging import outbox
from services.roster.cadre_lookup import cadre_name, cadre_person_id
from services.roster.jurisdiction import holders


async def to_withdraw(
    session: AsyncSession, leave_id: int, cadre_id: int, now: datetime, zone: ZoneInfo
) -> LeaveRequest:
    """The cadre's own request, when it may be withdrawn now (what the question asks about)."""
    leave = await own_request(session, leave_id, cadre_id)
    if not withdrawable(leave, today_in(zone, now)):
        raise DomainError("leave_not_withdrawable", state=leave.state.value)
    return leave


async def withdraw(
    session: AsyncSession,
    leave_id: int,
    cadre_id: int,
    now: datetime,
    zone: ZoneInfo,
    expected: LeaveState | None = None,
) -> LeaveRequest:
    """``expected``: the state the cadre was asked about; a request that has moved on since
    (approved meanwhile) is not withdrawn on an answer to another question."""
    leave = await to_withdraw(session, leave_id, cadre_id, now, zone)
    before = leave.state
    if expected is not None and before != expected:
        raise DomainError("leave_changed", leave_id=leave_id)
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
