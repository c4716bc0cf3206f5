"""Deciding leave: who may, exactly once, and what everyone concerned hears.

The server re-checks authority on every decision (a button can be forged, replayed or
pressed by someone else in a group). A decision is a conditional update, so of two
approvers (or two taps) exactly one wins and the other learns who decided and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind, GroupScope, LeaveKind, LeaveState
from models.tables import ApproverPost, GroupChat, Person
from models.workflow import LeaveRequest
from services import audit
from services.calendar import WorkCalendar
from services.errors import DomainError
from services.leave.plan import card_params, stored_plan, today_in
from services.leave.requests import transition
from services.messaging import outbox, templates
from services.policy import PolicyPack
from services.presence import days as presence
from services.roster import tenure
from services.roster.cadre_lookup import cadre_name, cadre_person_id
from services.roster.jurisdiction import holders, holds, key_for, place_of_cadre

DECIDABLE = (LeaveState.PENDING, LeaveState.TO_COMPLETE)


class DecidedParams(TypedDict):
    leave_id: int
    approved: bool
    approver: str
    note: str
    kind: str
    start: str
    end: str


class AwayParams(TypedDict):
    """For a group: who and when, never why."""

    cadre: str
    start: str
    end: str


class ReplacementParams(TypedDict):
    leave_id: int
    cadre: str
    days: int
    start: str
    end: str


templates.declare("leave.decided", DecidedParams)
templates.declare("leave.away", AwayParams)
templates.declare("leave.replacement", ReplacementParams)


@dataclass(frozen=True)
class Decision:
    leave: LeaveRequest
    decided_now: bool  # False: someone decided before; the fields say who and when
    approved: bool
    decided_by: str
    decided_at: datetime | None


def _chain(pack: PolicyPack, low: ApproverKind, high: ApproverKind) -> list[ApproverKind]:
    """The posts from where the pack routed a request up to where it waits now."""
    order = pack.leave.escalation
    if low not in order or high not in order:
        return [high]
    return order[order.index(low) : order.index(high) + 1]


async def may_decide(
    session: AsyncSession, pack: PolicyPack, leave: LeaveRequest, person_id: int
) -> bool:
    """Whether the person holds a post, for this cadre's place, between the tier the pack
    routed to and the tier it was escalated to."""
    place = await place_of_cadre(session, leave.cadre_id)
    for kind in _chain(pack, leave.routed_to, leave.waiting_on):
        if await holds(session, person_id, kind, key_for(kind, place)):
            return True
    return False


async def may_decide_id(
    session: AsyncSession, pack: PolicyPack, leave_id: int, person_id: int
) -> bool:
    leave = await session.get(LeaveRequest, leave_id)
    return leave is not None and await may_decide(session, pack, leave, person_id)


async def leave_for_decider(
    session: AsyncSession, pack: PolicyPack, leave_id: int, person_id: int | None
) -> LeaveRequest | None:
    """The request, if this person may decide it; None otherwise (nothing is revealed)."""
    leave = await session.get(LeaveRequest, leave_id)
    if leave is None or person_id is None or not await may_decide(session, pack, leave, person_id):
        return None
    return leave


async def _decided(session: AsyncSession, leave: LeaveRequest) -> Decision:
    by = (
        await session.get(Person, leave.decided_by_person_id)
        if leave.decided_by_person_id
        else None
    )
    return Decision(
        leave=leave,
        decided_now=False,
        approved=leave.state in (LeaveState.APPROVED, LeaveState.CLOSED),
        decided_by=by.name if by else "",
        decided_at=leave.decided_at,
    )


async def refuse_press(
    session: AsyncSession, person_id: int | None, leave_id: int | None, why: str, now: datetime
) -> None:
    """Record a press the server refused: forged, replayed, or by someone without the post."""
    await audit.record(
        session,
        entity="leave",
        entity_id=leave_id,
        action="refused_press",
        actor_person_id=person_id,
        at=now,
        note=why,
    )


async def decide(
    session: AsyncSession,
    pack: PolicyPack,
    leave_id: int,
    person_id: int,
    *,
    approve: bool,
    note: str,
    now: datetime,
    zone: ZoneInfo,
) -> Decision:
    leave = await session.get(LeaveRequest, leave_id)
    if leave is None:
        raise DomainError("leave_unknown", leave_id=leave_id)
    if not await may_decide(session, pack, leave, person_id):
        raise DomainError("not_your_decision", leave_id=leave_id)
    if leave.state not in DECIDABLE:
        return await _decided(session, leave)
    # A cadre out of post (term over, recalled) gets no decision: the daily sweep closes
    # the request; until it runs, a press is refused here.
    why = await tenure.why_out_of_post(session, leave.cadre_id, today_in(zone, now))
    if why is not None:
        raise DomainError("leave_cadre_out_of_post", leave_id=leave_id, why=why)
    note = note.strip()
    if not approve and not note:
        raise DomainError("reject_needs_reason")
    if approve and leave.written_at is None:
        raise DomainError("leave_not_written")
    if len(note) > pack.leave.max_reason_chars:
        raise DomainError(
            "leave_reason_too_long", limit=pack.leave.max_reason_chars, length=len(note)
        )
    before = leave.state
    if approve:
        after = LeaveState.CLOSED if leave.returned_on is not None else LeaveState.APPROVED
    else:
        after = LeaveState.REJECTED
    won = await transition(
        session,
        leave,
        DECIDABLE,
        state=after,
        decided_at=now,
        decided_by_person_id=person_id,
        decision_note=note,
    )
    if not won:
        await session.refresh(leave)
        return await _decided(session, leave)
    await audit.record(
        session,
        entity="leave",
        entity_id=leave_id,
        action="approve" if approve else "reject",
        from_state=before.value,
        to_state=after.value,
        actor_person_id=person_id,
        at=now,
        note=note,
    )
    approver = await session.get(Person, person_id)
    await _tell_everyone(session, leave, approve, approver.name if approver else "", now)
    if approve:
        # Presence (issue #5): when this leave leaves a month unable to reach the pack's
        # minimum, the cadre and the team leader are told, once per month.
        await presence.warn_if_unreachable(session, pack, leave, now)
    return Decision(leave, True, approve, approver.name if approver else "", now)


async def _tell_everyone(
    session: AsyncSession, leave: LeaveRequest, approved: bool, approver: str, now: datetime
) -> None:
    assert leave.id is not None
    name = await cadre_name(session, leave.cadre_id)
    dates = {"start": leave.start_date.isoformat(), "end": leave.end_date.isoformat()}
    await outbox.to_person(
        session,
        await cadre_person_id(session, leave.cadre_id),
        key=f"leave-decided:{leave.id}",
        template="leave.decided",
        params={
            "leave_id": leave.id,
            "approved": approved,
            "approver": approver,
            "note": leave.decision_note,
            "kind": leave.kind.value,
            **dates,
        },
        now=now,
    )
    if not approved:
        return
    place = await place_of_cadre(session, leave.cadre_id)
    # The team's group hears only that someone is away: no reason, no kind.
    groups = await session.exec(
        select(GroupChat).where(
            col(GroupChat.scope) == GroupScope.VILLAGE,
            col(GroupChat.village_id) == place.village_id,
        )
    )
    for group in groups.all():
        await outbox.to_group(
            session,
            group,
            key=f"leave-away:{leave.id}:{group.chat_id}",
            template="leave.away",
            params={"cadre": name, **dates},
            now=now,
        )
    if leave.replacement_required:
        key = key_for(ApproverKind.DISPATCHING_UNIT, place)
        for person in await holders(session, ApproverKind.DISPATCHING_UNIT, key):
            assert person.id is not None
            await outbox.to_person(
                session,
                person.id,
                key=f"leave-replacement:{leave.id}:{person.id}",
                template="leave.replacement",
                params={"leave_id": leave.id, "cadre": name, "days": leave.days, **dates},
                now=now,
            )


async def leave_of_card(session: AsyncSession, chat_id: str, message_id: str) -> int | None:
    """The leave request whose card is that message (for decisions by reply)."""
    ref = await outbox.ref_of_message(session, chat_id, message_id)
    if ref is None or not ref.startswith("leave:"):
        return None
    return int(ref.split(":", 1)[1])


@dataclass(frozen=True)
class Waiting:
    """A request waiting for someone's decision, as /pending lists it."""

    leave_id: int
    kind: LeaveKind
    start: date
    end: date
    days: int
    cadre: str  # the cadre's name


async def pending_for(session: AsyncSession, person_id: int) -> list[Waiting]:
    """What waits for this person's decision, oldest first."""
    result = await session.exec(
        select(LeaveRequest)
        .join(
            ApproverPost,
            (col(ApproverPost.kind) == col(LeaveRequest.waiting_on))
            & (col(ApproverPost.jurisdiction_key) == col(LeaveRequest.route_key)),
        )
        .where(
            col(ApproverPost.person_id) == person_id,
            col(LeaveRequest.state).in_(DECIDABLE),
        )
        .order_by(col(LeaveRequest.waiting_since), col(LeaveRequest.id))
    )
    waiting = []
    for leave in result.unique().all():
        assert leave.id is not None
        name = await cadre_name(session, leave.cadre_id)
        waiting.append(
            Waiting(leave.id, leave.kind, leave.start_date, leave.end_date, leave.days, name)
        )
    return waiting


async def card_for_decider(
    session: AsyncSession,
    pack: PolicyPack,
    calendar: WorkCalendar,
    leave_id: int,
    person_id: int | None,
) -> dict[str, Any] | None:
    """The approver card's parameters (as the relay's card has them), if this person may
    decide the request; None otherwise (nothing is revealed)."""
    leave = await leave_for_decider(session, pack, leave_id, person_id)
    if leave is None:
        return None
    leave_plan = await stored_plan(session, pack, calendar, leave)
    return card_params(leave_plan, leave)
