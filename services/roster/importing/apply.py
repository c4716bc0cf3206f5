"""Writing a validated roster's ``Plan`` over the ``Snapshot`` of what is stored, as
upserts on natural keys, and counting what was created, updated or left unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import POST_JURISDICTION, Jurisdiction
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
from services.roster.importing.plan import (
    KEEP,
    ApproverPlan,
    CadrePlan,
    HouseholdPlan,
    PairingPlan,
    Plan,
    Target,
    TownshipKey,
    UnitPlan,
    VillageKey,
    VillagePlan,
)
from services.roster.importing.snapshot import Snapshot
from services.roster.names import household_search_key
from services.visits.household_search import backfill_search_keys

ENTITIES: tuple[str, ...] = (
    "units",
    "counties",
    "townships",
    "villages",
    "teams",
    "people",
    "cadres",
    "approver_posts",
    "households",
    "pairings",
)


@dataclass
class EntityCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def record(self, *, created: bool = False, changed: bool = False) -> None:
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1


def empty_counts() -> dict[str, EntityCounts]:
    return {name: EntityCounts() for name in ENTITIES}


def _update(row: SQLModel, values: dict[str, Any]) -> bool:
    """Set the values that differ; True if any did. Keep means "leave this one"."""
    changed = False
    for name, value in values.items():
        if value is KEEP or getattr(row, name) == value:
            continue
        setattr(row, name, value)
        changed = True
    return changed


def _id(row: SQLModel) -> int:
    value = getattr(row, "id", None)
    assert value is not None, "flushed rows have ids"
    return int(value)


class _Writer:
    def __init__(self, session: AsyncSession, snap: Snapshot, now: datetime) -> None:
        self.session = session
        self.snap = snap
        self.now = now
        self.counts = empty_counts()

    def add(self, row: SQLModel) -> None:
        self.session.add(row)

    async def units(self, plans: list[UnitPlan]) -> None:
        for plan in plans:
            unit = self.snap.units.get(plan.name)
            if unit is None:
                unit = DispatchingUnit(name=plan.name, level=plan.level)
                self.snap.units[plan.name] = unit
                self.add(unit)
                self.counts["units"].record(created=True)
            else:
                self.counts["units"].record(changed=_update(unit, {"level": plan.level}))
        await self.session.flush()

    async def places(self, plans: list[VillagePlan]) -> None:
        await self._counties({p.key[0] for p in plans})
        await self._townships({p.key[:2] for p in plans})
        for plan in plans:
            values: dict[str, Any] = {"needs": plan.needs}
            if plan.coords is not KEEP:
                lat, lon = plan.coords if plan.coords is not None else (None, None)
                values |= {"latitude": lat, "longitude": lon}
            village = self.snap.villages.get(plan.key)
            if village is None:
                township = self.snap.townships[plan.key[:2]]
                village = Village(township_id=_id(township), name=plan.key[2])
                _update(village, values)
                self.snap.villages[plan.key] = village
                self.add(village)
                self.counts["villages"].record(created=True)
            else:
                self.counts["villages"].record(changed=_update(village, values))
        await self.session.flush()

    async def _counties(self, names: set[str]) -> None:
        for name in sorted(names):
            created = name not in self.snap.counties
            if created:
                self.snap.counties[name] = County(name=name)
                self.add(self.snap.counties[name])
            self.counts["counties"].record(created=created)
        await self.session.flush()

    async def _townships(self, keys: set[TownshipKey]) -> None:
        for key in sorted(keys):
            created = key not in self.snap.townships
            if created:
                county_id = _id(self.snap.counties[key[0]])
                self.snap.townships[key] = Township(county_id=county_id, name=key[1])
                self.add(self.snap.townships[key])
            self.counts["townships"].record(created=created)
        await self.session.flush()

    async def teams(self, keys: list[VillageKey]) -> None:
        """One team per village named in the file (一村一队)."""
        for key in dict.fromkeys(keys):
            village_id = _id(self.snap.villages[key])
            created = village_id not in self.snap.teams
            if created:
                self.snap.teams[village_id] = Team(village_id=village_id)
                self.add(self.snap.teams[village_id])
            self.counts["teams"].record(created=created)
        await self.session.flush()

    async def people(self, names: dict[str, str]) -> None:
        for phone, name in names.items():
            person = self.snap.people.get(phone)
            if person is None:
                person = Person(name=name, phone=phone, created_at=self.now, updated_at=self.now)
                self.snap.people[phone] = person
                self.add(person)
                self.counts["people"].record(created=True)
                continue
            changed = _update(person, {"name": name})
            if changed:
                person.updated_at = self.now
            self.counts["people"].record(changed=changed)
        await self.session.flush()

    async def cadres(self, plans: list[CadrePlan], leader_updates: dict[int, bool]) -> None:
        for plan in plans:
            person_id = _id(self.snap.people[plan.phone])
            values: dict[str, Any] = {
                "team_id": _id(self.snap.teams[_id(self.snap.villages[plan.village])]),
                "team_role": plan.role,
                "is_leader": plan.is_leader,
                "unit_id": _id(self.snap.units[plan.unit]),
                "dispatch_level": plan.level,
                "term_start": plan.term_start,
                "term_end": plan.term_end,
                "party_member_since": plan.party_since,
                "birth_date": plan.birth_date,
            }
            cadre = self.snap.cadres.get(person_id)
            if cadre is None:
                cadre = Cadre.model_validate(
                    {"person_id": person_id, **{k: v for k, v in values.items() if v is not KEEP}}
                )
                self.snap.cadres[person_id] = cadre
                self.add(cadre)
                self.counts["cadres"].record(created=True)
            else:
                self.counts["cadres"].record(changed=_update(cadre, values))
        by_id = {c.id: c for c in self.snap.cadres.values()}
        for cadre_id, is_leader in leader_updates.items():
            self.counts["cadres"].record(changed=_update(by_id[cadre_id], {"is_leader": is_leader}))
        await self.session.flush()

    async def approvers(self, plans: list[ApproverPlan]) -> None:
        for plan in plans:
            assert POST_JURISDICTION[plan.kind] is plan.target.jurisdiction
            person_id = _id(self.snap.people[plan.phone])
            own_id, ids = self._target_ids(plan.target)
            key = f"{plan.target.jurisdiction.value}:{own_id}"
            created = (plan.kind, key, person_id) not in self.snap.posts
            if created:
                self.add(
                    ApproverPost(
                        kind=plan.kind,
                        person_id=person_id,
                        jurisdiction=plan.target.jurisdiction,
                        jurisdiction_key=key,
                        **ids,
                    )
                )
                self.snap.posts.add((plan.kind, key, person_id))
            self.counts["approver_posts"].record(created=created)
        await self.session.flush()

    def _target_ids(self, target: Target) -> tuple[int, dict[str, int]]:
        """The covered place's (or unit's) own id, and every id column the post fills:
        a village post also names its township and county, for joins."""
        path = target.path
        if target.jurisdiction is Jurisdiction.UNIT:
            unit_id = _id(self.snap.units[path[0]])
            return unit_id, {"unit_id": unit_id}
        ids = {"county_id": _id(self.snap.counties[path[0]])}
        if len(path) >= 2:
            ids["township_id"] = _id(self.snap.townships[(path[0], path[1])])
        if len(path) == 3:
            ids["village_id"] = _id(self.snap.villages[(path[0], path[1], path[2])])
        own = {
            Jurisdiction.COUNTY: "county_id",
            Jurisdiction.TOWNSHIP: "township_id",
            Jurisdiction.VILLAGE: "village_id",
        }[target.jurisdiction]
        return ids[own], ids

    async def households(self, plans: list[HouseholdPlan]) -> None:
        for plan in plans:
            values: dict[str, Any] = {
                "head_name": plan.head,
                "village_id": _id(self.snap.villages[plan.village]),
                "category": plan.category,
                "size": plan.size,
            }
            household = self.snap.households.get(plan.code)
            # Name search: the pinyin key is computed once, when the household is created or
            # its head's name changes (services/roster/names.py).
            if household is None or household.head_name != plan.head:
                values["name_pinyin"] = household_search_key(plan.head)
            if household is None:
                household = Household.model_validate(
                    {"code": plan.code, **{k: v for k, v in values.items() if v is not KEEP}}
                )
                self.snap.households[plan.code] = household
                self.add(household)
                self.counts["households"].record(created=True)
            else:
                self.counts["households"].record(changed=_update(household, values))
        await self.session.flush()

    async def pairings(self, plans: list[PairingPlan]) -> None:
        """A household changing hands ends its old pairing and starts a new one; the
        household row (and so its visit history) stays the same."""
        for plan in plans:
            cadre_id = _id(self.snap.cadres[_id(self.snap.people[plan.phone])])
            household_id = _id(self.snap.households[plan.code])
            active = self.snap.active_pairings.setdefault(household_id, [])
            for old in [p for p in active if p.cadre_id != cadre_id]:
                old.ended_at = self.now
                active.remove(old)
                self.counts["pairings"].record(changed=True)
            if active:
                self.counts["pairings"].record()
                continue
            pairing = Pairing(cadre_id=cadre_id, household_id=household_id, started_at=self.now)
            active.append(pairing)
            self.add(pairing)
            self.counts["pairings"].record(created=True)
        await self.session.flush()


async def apply_plan(
    session: AsyncSession, plan: Plan, snap: Snapshot, *, now: datetime
) -> dict[str, EntityCounts]:
    """Write ``plan`` into ``session`` (flushed, not committed) and count what changed.

    Parents go first and are flushed so their ids exist for the children.
    """
    writer = _Writer(session, snap, now)
    await writer.units(plan.units)
    await writer.places(plan.villages)
    await writer.teams([v.key for v in plan.villages] + [c.village for c in plan.cadres])
    await writer.people(plan.people)
    await writer.cadres(plan.cadres, plan.leader_updates)
    await writer.approvers(plan.approvers)
    await writer.households(plan.households)
    await writer.pairings(plan.pairings)
    # Households written before name search existed get their pinyin key now.
    await backfill_search_keys(session)
    return writer.counts
