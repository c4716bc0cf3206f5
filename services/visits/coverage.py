"""Visit coverage: which pairings were visited this quarter, as the policy pack counts visits.

A pairing is *visited* for a calendar quarter when its cadre made at least
``pack.visits.min_per_quarter`` visits to the household in one of ``pack.visits.counted_modes``
(ganzhou-2021: in person; phone and online contact are recorded but not counted) between the
quarter's first and last day in the deployment's zone. A pairing is *due* in a quarter when it
was in force at the quarter's reference instant (its end, or now for the current quarter):
a household re-paired mid-quarter is due for its new cadre, and its earlier visits stay with it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import HouseholdCategory, Jurisdiction, VisitMode
from models.tables import (
    Cadre,
    County,
    DispatchingUnit,
    Household,
    Pairing,
    Person,
    Team,
    Township,
    Village,
)
from models.workflow import Visit
from services.errors import DomainError
from services.periods import Period
from services.policy import PolicyPack


class ScopeKind(StrEnum):
    ALL = "all"  # the whole deployment (id ignored)
    CADRE = "cadre"
    TEAM = "team"
    VILLAGE = "village"
    TOWNSHIP = "township"
    COUNTY = "county"
    UNIT = "unit"


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    id: int

    @classmethod
    def of_post(cls, jurisdiction: Jurisdiction, jurisdiction_key: str) -> Scope:
        """The area an approver post covers ("township:3" → the township with id 3)."""
        _, _, raw = jurisdiction_key.partition(":")
        if not raw.isdigit():
            raise DomainError("scope_invalid", key=jurisdiction_key)
        return cls(ScopeKind(jurisdiction.value), int(raw))


@dataclass(frozen=True)
class PairingCoverage:
    pairing_id: int
    cadre_id: int
    cadre_name: str
    household_id: int
    code: str
    head_name: str
    category: HouseholdCategory
    village: str
    township: str
    counted_visits: int
    other_visits: int  # recorded this quarter but not counted (phone, online, another cadre)
    last_visit_at: datetime | None  # the household's last visit this quarter, by anyone
    done: bool


@dataclass(frozen=True)
class Coverage:
    quarter: Period
    scope: Scope
    place: str  # the scope by name: a cadre's name, a village, a township, a county
    min_per_quarter: int
    counted_modes: tuple[VisitMode, ...]
    days_left: int
    rows: tuple[PairingCoverage, ...]
    visits: int  # every visit recorded in the quarter, in scope
    risk_flags: int
    risk_unacknowledged: int = 0  # not yet acknowledged by the township (still chased)

    @property
    def pairings(self) -> int:
        return len(self.rows)

    @property
    def visited(self) -> int:
        return sum(1 for r in self.rows if r.done)

    @property
    def not_visited(self) -> tuple[PairingCoverage, ...]:
        return tuple(r for r in self.rows if not r.done)


def counted_modes(pack: PolicyPack) -> tuple[VisitMode, ...]:
    return tuple(pack.visits.counted_modes)


def _scope_filter(scope: Scope) -> ColumnElement[bool]:
    if scope.kind is ScopeKind.ALL:
        return true()
    return {
        ScopeKind.CADRE: col(Cadre.id) == scope.id,
        ScopeKind.TEAM: col(Cadre.team_id) == scope.id,
        ScopeKind.UNIT: col(Cadre.unit_id) == scope.id,
        ScopeKind.VILLAGE: col(Village.id) == scope.id,
        ScopeKind.TOWNSHIP: col(Township.id) == scope.id,
        ScopeKind.COUNTY: col(Township.county_id) == scope.id,
    }[scope.kind]


async def place_name(session: AsyncSession, scope: Scope) -> str:
    """The scope by name (a cadre, a village, township, county or unit); empty for ALL."""
    if scope.kind is ScopeKind.CADRE:
        cadre = await session.get(Cadre, scope.id)
        person = await session.get(Person, cadre.person_id) if cadre else None
        return person.name if person else ""
    if scope.kind is ScopeKind.TEAM:
        team = await session.get(Team, scope.id)
        village = await session.get(Village, team.village_id) if team else None
        return village.name if village else ""
    row: Village | Township | County | DispatchingUnit | None = None
    if scope.kind is ScopeKind.VILLAGE:
        row = await session.get(Village, scope.id)
    elif scope.kind is ScopeKind.TOWNSHIP:
        row = await session.get(Township, scope.id)
    elif scope.kind is ScopeKind.COUNTY:
        row = await session.get(County, scope.id)
    elif scope.kind is ScopeKind.UNIT:
        row = await session.get(DispatchingUnit, scope.id)
    return row.name if row else ""


async def coverage(
    session: AsyncSession,
    pack: PolicyPack,
    quarter: Period,
    scope: Scope,
    *,
    now: datetime,
    zone: ZoneInfo,
) -> Coverage:
    """Pairings due in ``quarter`` within ``scope``, and which of them were visited."""
    start, end = quarter.start(zone), quarter.end(zone)
    reference = min(max(now, start), end)
    due = await session.exec(
        select(Pairing, Household, Person, Village)
        .join(Household, col(Household.id) == col(Pairing.household_id))
        .join(Cadre, col(Cadre.id) == col(Pairing.cadre_id))
        .join(Person, col(Person.id) == col(Cadre.person_id))
        .join(Village, col(Village.id) == col(Household.village_id))
        .join(Township, col(Township.id) == col(Village.township_id))
        .where(
            _scope_filter(scope),
            col(Pairing.started_at) < end,
            (col(Pairing.ended_at).is_(None)) | (col(Pairing.ended_at) > reference),
        )
        .order_by(col(Township.name), col(Village.name), col(Household.code))
    )
    pairings = due.all()
    townships = await _township_names(session, {v.township_id for *_, v in pairings})
    household_ids = {h.id for _, h, *_ in pairings}
    visits = await _visits_in_scope(session, scope, start, end)
    by_household: dict[int, list[Visit]] = defaultdict(list)
    for visit in visits:
        by_household[visit.household_id].append(visit)
    # Visits to the due households by cadres outside the scope still show as "other".
    missing = household_ids - set(by_household)
    if missing:
        extra = await session.exec(
            select(Visit).where(
                col(Visit.household_id).in_(missing),
                col(Visit.visited_at) >= start,
                col(Visit.visited_at) < end,
            )
        )
        for visit in extra.all():
            by_household[visit.household_id].append(visit)
    modes = counted_modes(pack)
    rows = []
    for pairing, household, person, village in pairings:
        assert pairing.id is not None and household.id is not None
        seen = by_household.get(household.id, [])
        counted = sum(1 for v in seen if v.cadre_id == pairing.cadre_id and v.mode in modes)
        rows.append(
            PairingCoverage(
                pairing_id=pairing.id,
                cadre_id=pairing.cadre_id,
                cadre_name=person.name,
                household_id=household.id,
                code=household.code,
                head_name=household.head_name,
                category=household.category,
                village=village.name,
                township=townships.get(village.township_id, ""),
                counted_visits=counted,
                other_visits=len(seen) - counted,
                last_visit_at=max((v.visited_at for v in seen), default=None),
                done=counted >= pack.visits.min_per_quarter,
            )
        )
    return Coverage(
        quarter=quarter,
        scope=scope,
        place=await place_name(session, scope),
        min_per_quarter=pack.visits.min_per_quarter,
        counted_modes=modes,
        days_left=quarter.days_left(now, zone),
        rows=tuple(rows),
        visits=len(visits),
        risk_flags=sum(1 for v in visits if v.risk),
        risk_unacknowledged=sum(1 for v in visits if v.risk and v.risk_acked_at is None),
    )


async def coverages(
    session: AsyncSession,
    pack: PolicyPack,
    quarter: Period,
    scopes: list[Scope],
    *,
    now: datetime,
    zone: ZoneInfo,
) -> list[Coverage]:
    """``coverage`` for several scopes (a person's own pairings and each post's area)."""
    return [await coverage(session, pack, quarter, s, now=now, zone=zone) for s in scopes]


async def _township_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    result = await session.exec(select(Township).where(col(Township.id).in_(ids)))
    return {t.id: t.name for t in result.all() if t.id is not None}


async def _visits_in_scope(
    session: AsyncSession, scope: Scope, start: datetime, end: datetime
) -> list[Visit]:
    """Visits in the quarter made by the scope's cadres (cadre, team, unit) or to households
    in the scope's area (village, township, county)."""
    statement = select(Visit).where(col(Visit.visited_at) >= start, col(Visit.visited_at) < end)
    if scope.kind is ScopeKind.ALL:
        pass
    elif scope.kind in (ScopeKind.CADRE, ScopeKind.TEAM, ScopeKind.UNIT):
        statement = statement.join(Cadre, col(Cadre.id) == col(Visit.cadre_id))
    else:
        statement = statement.join(Household, col(Household.id) == col(Visit.household_id)).join(
            Village, col(Village.id) == col(Household.village_id)
        )
        if scope.kind is not ScopeKind.VILLAGE:
            statement = statement.join(Township, col(Township.id) == col(Village.township_id))
    result = await session.exec(statement.where(_scope_filter(scope)))
    return list(result.all())
