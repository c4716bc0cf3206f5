"""Who may log a visit to which household: the cadre paired with it, or a cadre of the
team resident in its village (covering for a colleague); and finding the household a
cadre types.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import HouseholdCategory
from models.tables import Cadre, Household, Pairing, Team, Township, Village
from services.errors import DomainError
from services.visits.household_search import SearchResult, search


@dataclass(frozen=True)
class VisitTarget:
    """A household a cadre may log a visit to, with where it is."""

    household_id: int
    code: str
    head_name: str
    category: HouseholdCategory
    village_id: int
    village: str
    township_id: int
    township: str
    paired: bool  # the cadre's own active pairing


async def visit_target(session: AsyncSession, cadre_id: int, household_id: int) -> VisitTarget:
    """The household, if ``cadre_id`` may log a visit to it; DomainError otherwise."""
    household = await session.get(Household, household_id)
    cadre = await session.get(Cadre, cadre_id)
    if household is None or household.id is None:
        raise DomainError("visit_household_unknown", household_id=household_id)
    if cadre is None:
        raise DomainError("visit_not_cadre", cadre_id=cadre_id)
    paired = (
        await session.exec(
            select(Pairing.id).where(
                Pairing.cadre_id == cadre_id,
                Pairing.household_id == household_id,
                col(Pairing.ended_at).is_(None),
            )
        )
    ).first() is not None
    team = await session.get(Team, cadre.team_id)
    if not paired and (team is None or team.village_id != household.village_id):
        raise DomainError("visit_not_allowed", household_id=household_id)
    village = await session.get(Village, household.village_id)
    assert village is not None and village.id is not None
    township = await session.get(Township, village.township_id)
    assert township is not None and township.id is not None
    return VisitTarget(
        household_id=household.id,
        code=household.code,
        head_name=household.head_name,
        category=household.category,
        village_id=village.id,
        village=village.name,
        township_id=township.id,
        township=township.name,
        paired=paired,
    )


async def cadre_village(session: AsyncSession, cadre_id: int) -> int:
    cadre = await session.get(Cadre, cadre_id)
    team = await session.get(Team, cadre.team_id) if cadre else None
    if team is None:
        raise DomainError("visit_not_cadre", cadre_id=cadre_id)
    return team.village_id


async def find_household(session: AsyncSession, cadre_id: int, query: str) -> SearchResult:
    """Households answering a typed name or code, the cadre's own pairings first."""
    return await search(
        session, query, cadre_id=cadre_id, village_id=await cadre_village(session, cadre_id)
    )


@dataclass(frozen=True)
class Resolved:
    """A typed name settled on one household (``target``), or the choices to offer."""

    target: VisitTarget | None
    result: SearchResult


async def resolve_household(session: AsyncSession, cadre_id: int, text: str) -> Resolved:
    """The household a typed name or code means, when the search is confident."""
    result = await find_household(session, cadre_id, text)
    best = result.best
    if best is None:
        return Resolved(None, result)
    return Resolved(await visit_target(session, cadre_id, best.household_id), result)
