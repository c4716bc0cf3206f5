"""What the database holds already, for a roster import to check against and update."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TypeVar

from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind
from models.tables import (
    ApproverPost,
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
from services.roster.importing.plan import TownshipKey, VillageKey

M = TypeVar("M", bound=SQLModel)


@dataclass
class Snapshot:
    """Every roster row already stored, indexed by natural key.

    A roster is a county or a province: thousands of rows, fine to hold in memory, and
    it lets validation be plain Python over the file and the database together.
    """

    units: dict[str, DispatchingUnit]
    counties: dict[str, County]
    townships: dict[TownshipKey, Township]
    villages: dict[VillageKey, Village]
    teams: dict[int, Team]  # by village id
    people: dict[str, Person]  # by phone
    cadres: dict[int, Cadre]  # by person id
    posts: set[tuple[ApproverKind, str, int]]  # (kind, jurisdiction key, person id)
    households: dict[str, Household]  # by code
    active_pairings: dict[int, list[Pairing]]  # by household id

    def village_keys(self) -> dict[int, VillageKey]:
        """Village id → its key."""
        return {v.id: key for key, v in self.villages.items() if v.id is not None}

    def team_village_keys(self) -> dict[int, VillageKey]:
        """Team id → its village's key."""
        keys = self.village_keys()
        return {t.id: keys[vid] for vid, t in self.teams.items() if t.id is not None}

    def people_by_id(self) -> dict[int, Person]:
        return {p.id: p for p in self.people.values() if p.id is not None}


async def _all(session: AsyncSession, model: type[M]) -> list[M]:
    return list((await session.exec(select(model))).all())


async def load_snapshot(session: AsyncSession) -> Snapshot:
    counties = await _all(session, County)
    townships = await _all(session, Township)
    villages = await _all(session, Village)
    county_names = {c.id: c.name for c in counties}
    township_keys = {t.id: (county_names[t.county_id], t.name) for t in townships}
    active = await session.exec(select(Pairing).where(col(Pairing.ended_at).is_(None)))
    by_household: dict[int, list[Pairing]] = defaultdict(list)
    for pairing in active.all():
        by_household[pairing.household_id].append(pairing)
    return Snapshot(
        units={u.name: u for u in await _all(session, DispatchingUnit)},
        counties={c.name: c for c in counties},
        townships={township_keys[t.id]: t for t in townships},
        villages={(*township_keys[v.township_id], v.name): v for v in villages},
        teams={t.village_id: t for t in await _all(session, Team)},
        people={p.phone: p for p in await _all(session, Person)},
        cadres={c.person_id: c for c in await _all(session, Cadre)},
        posts={
            (p.kind, p.jurisdiction_key, p.person_id) for p in await _all(session, ApproverPost)
        },
        households={h.code: h for h in await _all(session, Household)},
        active_pairings=dict(by_household),
    )
