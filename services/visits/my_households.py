"""A cadre's own households (/mine): the active pairings, each with its last visit and
whether this quarter's visits are done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import HouseholdCategory, VisitMode
from models.tables import Household, Pairing, Village
from models.workflow import Visit
from services.periods import Period
from services.policy import Cadence, PolicyPack
from services.visits.coverage import counted_modes


@dataclass(frozen=True)
class MyHousehold:
    household_id: int
    code: str
    head_name: str
    category: HouseholdCategory
    village: str
    last_visit_at: datetime | None  # the household's last visit, by anyone, any mode
    last_visit_mode: VisitMode | None
    done_this_quarter: bool  # this cadre's counted visits reach the pack's minimum


async def my_households(
    session: AsyncSession,
    cadre_id: int,
    *,
    pack: PolicyPack,
    now: datetime,
    zone: ZoneInfo,
) -> list[MyHousehold]:
    """The cadre's active pairings, with the last visit and this quarter's status."""
    rows = (
        await session.exec(
            select(Household, Village)
            .join(Pairing, col(Pairing.household_id) == col(Household.id))
            .join(Village, col(Village.id) == col(Household.village_id))
            .where(Pairing.cadre_id == cadre_id, col(Pairing.ended_at).is_(None))
            .order_by(col(Household.code))
        )
    ).all()
    ids = [h.id for h, _ in rows if h.id is not None]
    visits = (
        await session.exec(
            select(Visit)
            .where(col(Visit.household_id).in_(ids))
            .order_by(col(Visit.visited_at).desc())
        )
    ).all()
    quarter = Period.of(Cadence.QUARTERLY, now, zone)
    start, end = quarter.start(zone), quarter.end(zone)
    modes = counted_modes(pack)
    last: dict[int, Visit] = {}
    counted: dict[int, int] = {}
    for visit in visits:
        last.setdefault(visit.household_id, visit)
        if visit.cadre_id == cadre_id and visit.mode in modes and start <= visit.visited_at < end:
            counted[visit.household_id] = counted.get(visit.household_id, 0) + 1
    out = []
    for household, village in rows:
        assert household.id is not None
        seen = last.get(household.id)
        out.append(
            MyHousehold(
                household_id=household.id,
                code=household.code,
                head_name=household.head_name,
                category=household.category,
                village=village.name,
                last_visit_at=seen.visited_at if seen else None,
                last_visit_mode=seen.mode if seen else None,
                done_this_quarter=counted.get(household.id, 0) >= pack.visits.min_per_quarter,
            )
        )
    return out
