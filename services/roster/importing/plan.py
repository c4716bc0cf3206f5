"""What a validated roster asks the database for: a ``Plan`` of upserts.

Natural keys, not ids, link the plan's records (a village is its county, township and
name; a person is a phone; a household is a code), so a plan can be checked before
anything it names exists. ``apply.apply_plan`` resolves them to ids as it goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from models.enums import ApproverKind, HouseholdCategory, Jurisdiction, TeamRole, UnitLevel

VillageKey = tuple[str, str, str]  # county, township, village
TownshipKey = tuple[str, str]  # county, township


class Keep(Enum):
    """An optional column the file does not have: the stored value stays as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class UnitPlan:
    name: str
    level: UnitLevel


@dataclass(frozen=True)
class VillagePlan:
    key: VillageKey
    needs: str | Keep
    coords: tuple[float, float] | Keep | None


@dataclass(frozen=True)
class CadrePlan:
    phone: str
    village: VillageKey
    role: TeamRole
    is_leader: bool
    unit: str
    level: UnitLevel
    term_start: date
    term_end: date
    party_since: date | Keep | None
    birth_date: date | Keep | None


@dataclass(frozen=True)
class Target:
    """What an approver post covers: a path of names (county[, township[, village]]) or a unit."""

    jurisdiction: Jurisdiction
    path: tuple[str, ...]

    def label(self) -> str:
        return "/".join(self.path)


@dataclass(frozen=True)
class ApproverPlan:
    phone: str
    kind: ApproverKind
    target: Target


@dataclass(frozen=True)
class HouseholdPlan:
    code: str
    head: str
    village: VillageKey
    category: HouseholdCategory
    size: int | Keep | None


@dataclass(frozen=True)
class PairingPlan:
    phone: str
    code: str


@dataclass
class Plan:
    units: list[UnitPlan] = field(default_factory=list)
    villages: list[VillagePlan] = field(default_factory=list)
    people: dict[str, str] = field(default_factory=dict)  # phone → name
    cadres: list[CadrePlan] = field(default_factory=list)
    # Cadres already stored and absent from the file whose leadership the file changes
    # (a 队长 added beside a stored 第一书记): cadre id → is_leader.
    leader_updates: dict[int, bool] = field(default_factory=dict)
    approvers: list[ApproverPlan] = field(default_factory=list)
    households: list[HouseholdPlan] = field(default_factory=list)
    pairings: list[PairingPlan] = field(default_factory=list)
