"""A risk flag (返贫风险) found on a visit, followed up until the township acknowledges it.

The flag goes, in the visit's transaction, to every holder of the township party committee
post over the household's township (and to nobody else). The notice carries 已知悉/跟进;
the first holder to press it acknowledges the flag for all. Until then ``risk_follow_up``
sends the notice again every ``visits.risk_reminder_hours`` of the pack: one reminder per
period and person (the period's number is in the dedup key), so a sweep run twice, late or
after downtime sends each once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind
from models.tables import ApproverPost, Cadre, Household, Person, Township, Village
from models.workflow import Visit
from services.calendar import WorkCalendar
from services.errors import DomainError
from services.messaging import outbox, templates
from services.policy import PolicyPack

RISK_TEMPLATE = "visit.risk"
REMIND_TEMPLATE = "visit.risk_remind"
ACKED_TEMPLATE = "visit.risk_acked"


class Problem(TypedDict):
    check: str
    note: str


class RiskParams(TypedDict):
    visit_id: int
    household: str
    code: str
    village: str
    township: str
    cadre: str
    mode: str
    visited_on: str
    problems: list[Problem]
    note: str


class RiskRemindParams(RiskParams):
    hours: int  # since the flag was raised


class RiskAckedParams(TypedDict):
    """To the cadre who raised the flag: the township has it."""

    visit_id: int
    household: str
    code: str
    visited_on: str
    by: str


templates.declare(RISK_TEMPLATE, RiskParams)
templates.declare(REMIND_TEMPLATE, RiskRemindParams)
templates.declare(ACKED_TEMPLATE, RiskAckedParams)


async def township_approvers(session: AsyncSession, township_id: int) -> list[int]:
    """Person ids holding the township party committee post over the township."""
    result = await session.exec(
        select(ApproverPost.person_id)
        .where(
            ApproverPost.kind == ApproverKind.TOWNSHIP_PARTY_COMMITTEE,
            ApproverPost.jurisdiction_key == f"township:{township_id}",
        )
        .order_by(col(ApproverPost.person_id))
    )
    return list(dict.fromkeys(result.all()))


async def _township_of(session: AsyncSession, visit: Visit) -> tuple[Household, Village, Township]:
    household = await session.get(Household, visit.household_id)
    assert household is not None
    village = await session.get(Village, household.village_id)
    assert village is not None
    township = await session.get(Township, village.township_id)
    assert township is not None and township.id is not None
    return household, village, township


async def _params(session: AsyncSession, visit: Visit, zone: ZoneInfo) -> dict[str, Any]:
    household, village, township = await _township_of(session, visit)
    cadre = await session.get(Cadre, visit.cadre_id)
    person = await session.get(Person, cadre.person_id) if cadre else None
    checks = json.loads(visit.checks or "{}")
    return {
        "visit_id": visit.id,
        "household": household.head_name,
        "code": household.code,
        "village": village.name,
        "township": township.name,
        "cadre": person.name if person else "",
        "mode": visit.mode.value,
        "visited_on": visit.visited_at.astimezone(zone).date().isoformat(),
        "problems": [
            {"check": k, "note": c.get("note", "")} for k, c in checks.items() if not c.get("ok")
        ],
        "note": visit.risk_note or visit.notes,
    }


async def flag_risk(session: AsyncSession, visit: Visit, *, now: datetime, zone: ZoneInfo) -> int:
    """Queue the risk notice to the township's approvers; how many it was queued for."""
    params = await _params(session, visit, zone)
    _, _, township = await _township_of(session, visit)
    assert township.id is not None
    told = 0
    for person_id in await township_approvers(session, township.id):
        if await outbox.to_person(
            session,
            person_id,
            key=f"visit-risk:{visit.id}:{person_id}",
            template=RISK_TEMPLATE,
            params=params,
            now=now,
            ref=f"visit:{visit.id}",
        ):
            told += 1
    return told


@dataclass(frozen=True)
class Acked:
    visit_id: int
    by: str  # who acknowledged first
    done_now: bool  # False: someone had acknowledged it before


async def acknowledge(
    session: AsyncSession, visit_id: int, person_id: int, now: datetime, zone: ZoneInfo
) -> Acked:
    """已知悉: the flag is acknowledged by a township approver over the household (the
    first press stands; a later one is told who), and the cadre who raised it is told.
    DomainError for anyone else."""
    visit = await session.get(Visit, visit_id)
    if visit is None or not visit.risk:
        raise DomainError("visit_risk_unknown", visit_id=visit_id)
    _, _, township = await _township_of(session, visit)
    assert township.id is not None
    if person_id not in await township_approvers(session, township.id):
        raise DomainError("visit_risk_not_township", visit_id=visit_id)
    # Conditional, so two approvers pressing at once record one acknowledgement.
    moved = await session.exec(
        update(Visit)
        .where(col(Visit.id) == visit_id, col(Visit.risk_acked_at).is_(None))
        .values(risk_acked_at=now, risk_acked_by_person_id=person_id)
    )
    await session.refresh(visit)
    by = await session.get(Person, visit.risk_acked_by_person_id or person_id)
    done_now = moved.rowcount == 1
    cadre = await session.get(Cadre, visit.cadre_id)
    if done_now and cadre is not None:
        household, _, _ = await _township_of(session, visit)
        await outbox.to_person(
            session,
            cadre.person_id,
            key=f"visit-risk-acked:{visit_id}",
            template=ACKED_TEMPLATE,
            params={
                "visit_id": visit_id,
                "household": household.head_name,
                "code": household.code,
                "visited_on": visit.visited_at.astimezone(zone).date().isoformat(),
                "by": by.name if by else "",
            },
            now=now,
            ref=f"visit:{visit_id}",
        )
    return Acked(visit_id, by.name if by else "", done_now)


async def risk_follow_up(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, now: datetime, zone: ZoneInfo
) -> int:
    """Send each unacknowledged risk notice again, once per ``risk_reminder_hours``."""
    every = timedelta(hours=pack.visits.risk_reminder_hours)
    rows = await session.exec(
        select(Visit).where(
            col(Visit.risk).is_(True),
            col(Visit.risk_acked_at).is_(None),
            col(Visit.created_at) <= now - every,
        )
    )
    sent = 0
    for visit in list(rows.all()):
        waited = now - visit.created_at
        period = int(waited / every)
        params = await _params(session, visit, zone) | {
            "hours": int(waited.total_seconds() // 3600)
        }
        _, _, township = await _township_of(session, visit)
        assert township.id is not None
        for person_id in await township_approvers(session, township.id):
            if await outbox.to_person(
                session,
                person_id,
                key=f"visit-risk-remind:{visit.id}:{period}:{person_id}",
                template=REMIND_TEMPLATE,
                params=params,
                now=now,
                ref=f"visit:{visit.id}",
            ):
                sent += 1
    return sent
