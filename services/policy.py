"""Policy packs: one regime's rules as data (``policies/*.toml``), as the models that
hold and validate them.

A pack is validated whole when loaded, so the rest of the code can trust it: leave tiers
run from one day upwards without gaps or overlaps and end open-ended, every approver in a
tier sits on the escalation chain, every ``sources`` entry names a real field. Nothing
outside the packs says "3 days" or "20 days".

A pack cites its documents as a reader finds them (``services.policy_documents``); the rules
and their readings are ``docs/rules.md``.

Money is ``Decimal`` yuan: TOML floats are read as ``Decimal`` so 0.45 stays 0.45.

Reading the files is ``services.policy_loading``; who approves a leave of so many days,
under a pack, is ``services.leave.routing``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PositiveInt, model_validator
from pydantic_core import PydanticCustomError

# Day classes are the attendance sheet's own (models.enums.DayClass): a pack names which of
# them count toward the monthly minimum and which earn the living allowance.
from models.enums import ApproverKind, DayClass, VisitMode
from services.policy_documents import Document, untold_documents


class Cadence(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEAR = "half_year"
    YEARLY = "yearly"

    @property
    def months(self) -> int:
        """Length of one period in months."""
        return {"monthly": 1, "quarterly": 3, "half_year": 6, "yearly": 12}[self.value]


DayCount = Literal["calendar", "working"]
Level = Literal["national", "province", "city", "county"]
Yuan = Annotated[Decimal, Field(ge=0)]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
PackId = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]


def _rule_error(path: str, problem: str) -> PydanticCustomError:
    """A cross-field problem, carrying the exact field path so the message can name it."""
    return PydanticCustomError(
        "policy_rule", "{path}: {problem}", {"path": path, "problem": problem}
    )


def _first_duplicate(items: list[Any]) -> Any | None:
    seen: set[Any] = set()
    for item in items:
        if item in seen:
            return item
        seen.add(item)
    return None


class _Strict(BaseModel):
    # Frozen: packs are cached and shared; extra="forbid": a misspelt key is an error, not a no-op.
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Section(_Strict):
    """A pack section; ``sources`` maps a field name to the article it comes from."""

    sources: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _sources_name_fields(self) -> Self:
        fields = set(type(self).model_fields) - {"sources"}
        for key in self.sources:
            if key not in fields:
                raise _rule_error(f"sources.{key}", f"no field {key!r} in this section")
        return self

    def source(self, field: str) -> str | None:
        return self.sources.get(field)


class TeamRules(_Section):
    min_members: PositiveInt
    first_secretary_party_member: bool = True
    min_party_years: NonNegativeInt | None = None
    min_work_years: NonNegativeInt | None = None
    max_age: PositiveInt | None = None
    term_years: PositiveInt | None = None
    term_end_date: date | None = None  # a fixed end for every term (qinghai: 2020-12-31)


class LeaveTier(_Strict):
    min_days: PositiveInt
    max_days: PositiveInt | None = None  # None: open-ended (only the last tier)
    approver: ApproverKind
    replacement_required: bool = False
    source: str = ""

    def covers(self, days: int) -> bool:
        return self.min_days <= days and (self.max_days is None or days <= self.max_days)


class LeaveRules(_Section):
    day_count: DayCount = "calendar"
    tiers: list[LeaveTier] = Field(min_length=1)
    kinds: list[Identifier] = Field(min_length=1)
    official_business_kinds: list[Identifier] = Field(default_factory=list)
    emergency_completion_days: PositiveInt
    reminder_hours: PositiveInt
    escalation_hours: PositiveInt
    max_reason_chars: PositiveInt
    escalation: list[ApproverKind] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for name in ("kinds", "official_business_kinds", "escalation"):
            dup = _first_duplicate(getattr(self, name))
            if dup is not None:
                raise _rule_error(name, f"{dup} is listed twice")
        for kind in self.official_business_kinds:
            if kind not in self.kinds:
                raise _rule_error("official_business_kinds", f"{kind!r} is not one of kinds")
        self._check_tiers()
        return self

    def _check_tiers(self) -> None:
        expected = 1
        rank = 0
        last = len(self.tiers) - 1
        for i, tier in enumerate(self.tiers):
            if tier.min_days != expected:
                why = (
                    "the first tier starts at one day"
                    if i == 0
                    else f"the day after tiers[{i - 1}].max_days (no gaps or overlaps)"
                )
                raise _rule_error(f"tiers[{i}].min_days", f"must be {expected}, {why}")
            if tier.max_days is None and i != last:
                raise _rule_error(f"tiers[{i}].max_days", "only the last tier may be open-ended")
            if tier.max_days is not None and i == last:
                raise _rule_error(f"tiers[{i}].max_days", "the last tier must be open-ended")
            if tier.max_days is not None and tier.max_days < tier.min_days:
                raise _rule_error(f"tiers[{i}].max_days", "must not be less than min_days")
            if tier.approver not in self.escalation:
                raise _rule_error(f"tiers[{i}].approver", "is not on the escalation chain")
            # A longer leave never goes to a lower post than a shorter one.
            if self.escalation.index(tier.approver) < rank:
                raise _rule_error(
                    f"tiers[{i}].approver", f"is below tiers[{i - 1}].approver on the escalation"
                )
            rank = self.escalation.index(tier.approver)
            expected = (tier.max_days or 0) + 1


class PresenceRules(_Section):
    min_days_per_month: int = Field(ge=1, le=31)
    counted_classes: list[DayClass] = Field(min_length=1)
    allowance_classes: list[DayClass] = Field(default_factory=list)
    radius_km: float = Field(gt=0)
    spot_check_deadline_minutes: PositiveInt

    @model_validator(mode="after")
    def _classes_make_sense(self) -> Self:
        for name in ("counted_classes", "allowance_classes"):
            classes = getattr(self, name)
            dup = _first_duplicate(classes)
            if dup is not None:
                raise _rule_error(name, f"{dup} is listed twice")
            # A confirmed unexplained absence (无故脱岗) never counts as time in the village.
            if DayClass.ABSENT in classes:
                raise _rule_error(name, "absent (无故脱岗) cannot count")
        return self


class VisitReminders(_Strict):
    first_weeks_before_quarter_end: PositiveInt
    every_days: PositiveInt
    every_days_last_week: PositiveInt


class VisitRules(_Section):
    min_per_quarter: PositiveInt
    counted_modes: list[VisitMode] = Field(min_length=1)
    households_per_cadre: PositiveInt
    reminders: VisitReminders
    care_grounds: dict[Identifier, str] = Field(default_factory=dict)  # qinghai “五必访”
    # No document sets how soon an unacknowledged risk flag is chased: a working day.
    risk_reminder_hours: PositiveInt = 24


class MoneyRules(_Section):
    """Amounts in yuan; None means the document sets no number (a local rate applies)."""

    allowance_per_day: Yuan | None = None
    transport_per_km: Yuan | None = None
    transport_max_round_trips_per_month: NonNegativeInt | None = None
    team_fund_per_year: Yuan | None = None
    village_cadre_subsidy_per_month: dict[int, Yuan] = Field(default_factory=dict)
    village_office_fund_per_year: dict[int, Yuan] = Field(default_factory=dict)


class RecallRules(_Section):
    notice_at_confirmed_absences: PositiveInt | None = None
    recall_at_confirmed_absences: PositiveInt | None = None
    no_award_at_confirmed_absences: PositiveInt | None = None
    no_promotion_years_after_recall: PositiveInt | None = None
    proposed_by: ApproverKind
    decided_by: ApproverKind
    grounds: dict[Identifier, str] = Field(min_length=1)

    @model_validator(mode="after")
    def _notice_before_recall(self) -> Self:
        notice, recall = self.notice_at_confirmed_absences, self.recall_at_confirmed_absences
        if notice is not None and recall is not None and notice >= recall:
            raise _rule_error(
                "notice_at_confirmed_absences", "must be less than recall_at_confirmed_absences"
            )
        return self


class TrainingRules(_Section):
    pre_dispatch: bool = False
    min_sessions_per_year: PositiveInt | None = None
    min_days_per_year: PositiveInt | None = None
    county_training_per_term: PositiveInt | None = None
    remind_from_month: int = Field(ge=1, le=12)
    term_county_training_months_before_end: PositiveInt
    level_shares_percent: dict[Literal["province", "city", "county"], NonNegativeInt] = Field(
        default_factory=dict
    )

    @model_validator(mode="after")
    def _shares_add_up(self) -> Self:
        total = sum(self.level_shares_percent.values())
        if self.level_shares_percent and total != 100:
            raise _rule_error("level_shares_percent", f"must add up to 100, not {total}")
        return self


class SupervisionCalendar(_Section):
    dispatch_check: Cadence
    leader_meeting: Cadence
    work_report: Cadence
    assessment: Cadence = Cadence.YEARLY
    unit_head_report: Cadence | None = None
    unit_head_village_visit: Cadence | None = None
    unit_deputy_village_visit: Cadence | None = None
    leaders_village_visit: Cadence | None = None
    term_end_reminder_days: list[PositiveInt] = Field(default_factory=list)

    @model_validator(mode="after")
    def _reminders_descend(self) -> Self:
        days = self.term_end_reminder_days
        if any(a <= b for a, b in pairwise(days)):
            raise _rule_error("term_end_reminder_days", "must be strictly decreasing")
        return self


class ScheduleRules(_Section):
    """When the sweeps may send, in the deployment's zone: nobody is messaged at night, and
    what can wait for a working day does (the Chinese calendar with the deployment's
    overrides)."""

    # Reminders and reports to offices, teams and their groups.
    office_hour: int = Field(ge=0, le=23)
    # Reminders to a cadre about their own leave and visits: they may be read before work.
    cadre_hour: int = Field(ge=0, le=23)
    # Visit reminders run to the quarter's end, weeks away: a weekend or holiday costs
    # nothing. Leave chases are not held: their deadlines run in calendar days.
    visits_on_working_days: bool = True


class PolicyPack(_Strict):
    id: PackId
    title: str = Field(min_length=1)
    level: Level
    year: int = Field(ge=1949, le=2100)
    documents: list[Document] = Field(min_length=1)
    based_on: list[PackId] = Field(default_factory=list)  # packs whose values are borrowed
    team: TeamRules
    leave: LeaveRules
    presence: PresenceRules
    visits: VisitRules
    money: MoneyRules
    recall: RecallRules
    training: TrainingRules
    calendar: SupervisionCalendar
    schedule: ScheduleRules

    @model_validator(mode="after")
    def _not_based_on_itself(self) -> Self:
        if self.id in self.based_on:
            raise _rule_error("based_on", "a pack cannot be based on itself")
        return self

    @model_validator(mode="after")
    def _documents_told_apart(self) -> Self:
        problem = untold_documents(self.documents)
        if problem is not None:
            raise _rule_error(*problem)
        return self
