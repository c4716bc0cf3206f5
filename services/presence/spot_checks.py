"""抽查: an approver asks named cadres where they are; each answers by sharing a location.

Shared inside the village's radius, or away on leave: fine. No answer by the deadline, or
outside the radius without leave: a suspected unexplained absence (疑似无故脱岗). The cadre
may explain in chat; the approver confirms or clears it
(``services.presence.spot_check_decisions``), and only a confirmed absence counts (on the
sheet, and toward the pack's thresholds in ``services.presence.sanctions``).

Who may run one (qinghai-2018 item 4 各级组织部门和乡镇党委要采取电话抽查、随机督查; ganzhou
Art.14 县乡党委加强日常管理): the township party committee, the county's posts and the
dispatching unit, each over the cadres its jurisdiction covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind, CheckState
from models.presence import LocationReport, SpotCheck, SpotCheckTarget
from services import audit
from services.errors import DomainError
from services.messaging import outbox, templates
from services.policy import PolicyPack
from services.presence.days import absences
from services.roster.cadre_lookup import cadre_name, cadre_person_id, covered

CHECKERS = (
    ApproverKind.TOWNSHIP_PARTY_COMMITTEE,
    ApproverKind.COUNTY_LEADING_GROUP_OFFICE,
    ApproverKind.COUNTY_LEADING_GROUP,
    ApproverKind.COUNTY_ORG_DEPT,
    ApproverKind.DISPATCHING_UNIT,
)


class AskParams(TypedDict):
    target_id: int
    deadline: str
    local_time: str
    minutes: int


class ResultParams(TypedDict):
    """``spotcheck.fine`` and ``spotcheck.suspected``, to whoever asked."""

    target_id: int
    cadre: str
    reason: str
    distance_m: int | None
    day: str


class MissedParams(TypedDict):
    target_id: int
    day: str


templates.declare("spotcheck.ask", AskParams)
templates.declare("spotcheck.fine", ResultParams)
templates.declare("spotcheck.suspected", ResultParams)
templates.declare("spotcheck.missed", MissedParams)


@dataclass(frozen=True)
class Target:
    target_id: int
    cadre_id: int
    name: str
    village: str
    state: CheckState
    reachable: bool  # the question reached the cadre (registered, not blocking the bot)


@dataclass(frozen=True)
class Started:
    check_id: int
    deadline_at: datetime
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Answer:
    target_id: int
    state: CheckState
    reason: str  # inside | on_leave | outside


async def start(
    session: AsyncSession,
    pack: PolicyPack,
    person_id: int,
    query: str,
    now: datetime,
    zone: ZoneInfo,
) -> Started:
    """Ask every cadre named ``query`` (a cadre's name or a village's) under the person's
    posts. A cadre on leave today is fine at once and not asked."""
    query = query.strip()
    if not query:
        raise DomainError("spot_check_query_missing")
    today = now.astimezone(zone).date()
    try:
        cadres = await covered(session, person_id, CHECKERS, query, today, by_village=True)
    except DomainError:
        raise DomainError("spot_check_not_allowed") from None
    if not cadres:
        raise DomainError("spot_check_nobody", query=query)
    deadline = now + timedelta(minutes=pack.presence.spot_check_deadline_minutes)
    check = SpotCheck(
        requested_by_person_id=person_id, query=query, created_at=now, deadline_at=deadline
    )
    session.add(check)
    await session.flush()
    assert check.id is not None
    targets = []
    for cadre in cadres:
        away = await absences(session, cadre.cadre_id, today, today)
        target = SpotCheckTarget(
            spot_check_id=check.id,
            cadre_id=cadre.cadre_id,
            day=today,
            state=CheckState.FINE if away else CheckState.ASKED,
            on_leave_id=away[0].leave_id if away else None,
        )
        session.add(target)
        await session.flush()
        assert target.id is not None
        reachable = bool(away) or await outbox.to_person(
            session,
            cadre.person_id,
            key=f"spotcheck-ask:{target.id}",
            template="spotcheck.ask",
            params={
                "target_id": target.id,
                "deadline": deadline.isoformat(),
                "local_time": f"{deadline.astimezone(zone):%H:%M}",
                "minutes": pack.presence.spot_check_deadline_minutes,
            },
            now=now,
        )
        targets.append(
            Target(target.id, cadre.cadre_id, cadre.name, cadre.village, target.state, reachable)
        )
    await audit.record(
        session,
        entity="spot_check",
        entity_id=check.id,
        action="start",
        actor_person_id=person_id,
        at=now,
        note=f"{query}: {len(targets)}",
    )
    return Started(check.id, deadline, tuple(targets))


async def _settle(
    session: AsyncSession,
    target: SpotCheckTarget,
    check: SpotCheck,
    reason: str,
    now: datetime,
    report: LocationReport | None = None,
) -> Answer | None:
    """Move an asked target to fine or suspected (conditionally: once), and tell the
    approver who asked. None when someone else settled it first."""
    away = await absences(session, target.cadre_id, target.day, target.day)
    if reason != "inside" and away:
        reason = "on_leave"
    state = CheckState.FINE if reason in ("inside", "on_leave") else CheckState.SUSPECTED
    result = await session.exec(
        update(SpotCheckTarget)
        .where(col(SpotCheckTarget.id) == target.id, col(SpotCheckTarget.state) == CheckState.ASKED)
        .values(
            state=state,
            location_report_id=report.id if report else None,
            on_leave_id=away[0].leave_id if away else None,
            answered_at=now if report else None,
        )
    )
    if result.rowcount != 1:
        return None
    await session.refresh(target)
    params = {
        "target_id": target.id,
        "cadre": await cadre_name(session, target.cadre_id),
        "reason": reason,
        "distance_m": round(report.distance_m) if report and report.distance_m else None,
        "day": target.day.isoformat(),
    }
    template = "spotcheck.fine" if state is CheckState.FINE else "spotcheck.suspected"
    await outbox.to_person(
        session,
        check.requested_by_person_id,
        key=f"spotcheck-result:{target.id}",
        template=template,
        params=params,
        now=now,
        ref=f"spotcheck:{target.id}",
    )
    await audit.record(
        session,
        entity="spot_check",
        entity_id=check.id,
        action=f"answer_{reason}",
        to_state=state.value,
        at=now,
        note=str(params["cadre"]),
    )
    assert target.id is not None
    return Answer(target.id, state, reason)


async def answer(session: AsyncSession, report: LocationReport, now: datetime) -> list[Answer]:
    """A location the cadre just shared answers every check still open for them."""
    rows = await session.exec(
        select(SpotCheckTarget, SpotCheck)
        .join(SpotCheck, col(SpotCheck.id) == col(SpotCheckTarget.spot_check_id))
        .where(
            col(SpotCheckTarget.cadre_id) == report.cadre_id,
            col(SpotCheckTarget.state) == CheckState.ASKED,
            col(SpotCheck.deadline_at) >= now,
        )
    )
    out = []
    for target, check in rows.all():
        reason = "inside" if report.inside else "outside"
        settled = await _settle(session, target, check, reason, now, report)
        if settled is not None:
            out.append(settled)
    return out


async def expire_checks(session: AsyncSession, pack: PolicyPack, now: datetime) -> int:
    """Sweep: every target still unanswered at its deadline becomes suspected (or fine, when
    leave approved meanwhile covers the day); the approver and the cadre are told. Run it
    twice, late or after downtime: each target settles once. Returns how many settled."""
    del pack  # the deadline was fixed from the pack when the check started
    rows = await session.exec(
        select(SpotCheckTarget, SpotCheck)
        .join(SpotCheck, col(SpotCheck.id) == col(SpotCheckTarget.spot_check_id))
        .where(col(SpotCheckTarget.state) == CheckState.ASKED, col(SpotCheck.deadline_at) < now)
        .order_by(col(SpotCheckTarget.id))
    )
    settled = 0
    for target, check in rows.all():
        done = await _settle(session, target, check, "no_answer", now)
        if done is None:
            continue
        settled += 1
        if done.state is CheckState.SUSPECTED:
            await outbox.to_person(
                session,
                await cadre_person_id(session, target.cadre_id),
                key=f"spotcheck-missed:{target.id}",
                template="spotcheck.missed",
                params={"target_id": target.id, "day": target.day.isoformat()},
                now=now,
            )
    return settled
