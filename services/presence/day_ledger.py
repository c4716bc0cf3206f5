"""The presence ledger: every posted day of every cadre in a scope, classed for one month.

Set-based, so a county of a few thousand cadres costs a handful of queries, not one per
cadre per day: the cadres, their leave, their shared locations, their visits with a
location, the approver's corrections and the confirmed absences of the month, each loaded
once for the whole scope, then classed in memory by ``services.presence.days.classify``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import CheckState, DayClass, TeamRole
from models.presence import DayCorrection, LocationReport, SpotCheckTarget
from models.tables import Cadre, County, DispatchingUnit, Person, Team, Township, Village
from models.workflow import LeaveRequest, Visit
from services.calendar import WorkCalendar
from services.policy import PolicyPack
from services.presence.days import (
    AWAY_STATES,
    Absence,
    DayFacts,
    absence_of,
    classify_days,
    month_days,
    workdays_of,
)
from services.presence.geo import within
from services.visits.coverage import Scope, ScopeKind

LEAVE_CLASSES = (DayClass.PERSONAL_LEAVE, DayClass.SICK_LEAVE, DayClass.ANNUAL_LEAVE)


@dataclass(frozen=True)
class CadreMonth:
    """One cadre's month as the ledger sees it. Days after ``today`` are a projection
    (no evidence yet, leave as approved); ``today`` None means the month is over."""

    cadre_id: int
    person_id: int
    name: str
    team_role: TeamRole
    unit: str
    village: str
    township_id: int
    township: str
    county: str
    year: int
    month: int
    days: Mapping[date, DayClass]  # the posted days of the month (its term), in order
    today: date | None
    minimum: int
    counted_classes: frozenset[DayClass]
    allowance_classes: frozenset[DayClass]
    # Days shown in the village: a location or a visit with one inside the radius, or the
    # township's correction. Other in-village days are presumed (a working day with no
    # leave and no absence found), which a reader of the sheet needs to tell apart.
    evidenced: frozenset[date] = frozenset()

    @property
    def presumed_days(self) -> list[date]:
        """In-village days that rest on the presumption, not on evidence."""
        return [
            d for d, c in self.days.items() if c is DayClass.IN_VILLAGE and d not in self.evidenced
        ]

    def count(self, *classes: DayClass) -> int:
        return sum(1 for c in self.days.values() if c in classes)

    def _past(self) -> list[DayClass]:
        return [c for d, c in self.days.items() if self.today is None or d <= self.today]

    def so_far(self, *classes: DayClass) -> int:
        """Days up to today in those classes."""
        return sum(1 for c in self._past() if c in classes)

    @property
    def counted(self) -> int:
        """Days that count toward the minimum, the projection included."""
        return self.count(*self.counted_classes)

    @property
    def counted_so_far(self) -> int:
        return sum(1 for c in self._past() if c in self.counted_classes)

    @property
    def possible(self) -> int:
        """The most the month can still reach: what counted so far, and every day ahead
        not taken by leave that does not count (a weekend in the village counts too)."""
        ahead = [c for d, c in self.days.items() if self.today is not None and d > self.today]
        return self.counted_so_far + sum(
            1 for c in ahead if c in self.counted_classes or c is DayClass.REST
        )

    @property
    def reachable(self) -> bool:
        return self.possible >= self.minimum

    @property
    def met(self) -> bool:
        return self.counted >= self.minimum

    @property
    def allowance_days(self) -> int:
        return self.count(*self.allowance_classes)


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


async def _names(
    session: AsyncSession, table: type[County] | type[DispatchingUnit], ids: set[int]
) -> dict[int, str]:
    rows = await session.exec(select(col(table.id), col(table.name)).where(col(table.id).in_(ids)))
    return {ident: name for ident, name in rows.all() if ident is not None}


def _posted(statement: Any, scope: Scope, first: date, last: date) -> Any:
    """Restrict a select over Cadre to the scope and to terms that touch the month."""
    return (
        statement.join(Team, col(Team.id) == col(Cadre.team_id))
        .join(Village, col(Village.id) == col(Team.village_id))
        .join(Township, col(Township.id) == col(Village.township_id))
        .where(_scope_filter(scope), col(Cadre.term_start) <= last, col(Cadre.term_end) >= first)
    )


def local_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[first 00:00, the day after last 00:00) in the zone, as UTC instants."""
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def minimum_for(pack: PolicyPack, posted: int, days_in_month: int) -> int:
    """The pack's minimum, in proportion for a term that starts or ends within the month
    (reading of ganzhou Art.16 平均每月: an average over the days posted)."""
    minimum = pack.presence.min_days_per_month
    if posted >= days_in_month:
        return minimum
    return math.ceil(minimum * posted / days_in_month)


async def month_ledger(
    session: AsyncSession,
    pack: PolicyPack,
    calendar: WorkCalendar,
    year: int,
    month: int,
    scope: Scope,
    *,
    today: date | None = None,
    zone: ZoneInfo,
) -> list[CadreMonth]:
    """Every cadre posted in the scope during the month, ordered by township, village and
    name. ``today`` within the month makes the days after it a projection."""
    days = month_days(year, month)
    first, last = days[0], days[-1]
    if today is not None and today >= last:
        today = None
    statement = select(Cadre, Person, Village, Township).join(
        Person, col(Person.id) == col(Cadre.person_id)
    )
    cadre_rows = (
        await session.exec(
            _posted(statement, scope, first, last).order_by(
                col(Township.name), col(Village.name), col(Cadre.id)
            )
        )
    ).all()
    if not cadre_rows:
        return []
    counties = await _names(session, County, {t.county_id for *_, t in cadre_rows})
    units = await _names(session, DispatchingUnit, {c.unit_id for c, *_ in cadre_rows})
    ids = _posted(select(Cadre.id), scope, first, last).scalar_subquery()
    start, end = local_bounds(first, last, zone)
    away: dict[int, list[Absence]] = defaultdict(list)
    leaves = await session.exec(
        select(LeaveRequest).where(
            col(LeaveRequest.cadre_id).in_(ids),
            col(LeaveRequest.state).in_(AWAY_STATES),
            col(LeaveRequest.start_date) <= last,
            col(LeaveRequest.end_date) >= first,
        )
    )
    for leave in leaves.all():
        absence = absence_of(leave)
        if absence is not None:
            away[leave.cadre_id].append(absence)
    present: dict[int, set[date]] = defaultdict(set)
    located = await session.exec(
        select(col(LocationReport.cadre_id), col(LocationReport.at)).where(
            col(LocationReport.cadre_id).in_(ids),
            col(LocationReport.inside),
            col(LocationReport.at) >= start,
            col(LocationReport.at) < end,
        )
    )
    for cadre_id, at in located.all():
        present[cadre_id].add(at.astimezone(zone).date())
    centres = {c.id: (v.latitude, v.longitude) for c, _, v, *_ in cadre_rows}
    visits = await session.exec(
        select(
            col(Visit.cadre_id), col(Visit.visited_at), col(Visit.latitude), col(Visit.longitude)
        ).where(
            col(Visit.cadre_id).in_(ids),
            col(Visit.latitude).is_not(None),
            col(Visit.longitude).is_not(None),
            col(Visit.visited_at) >= start,
            col(Visit.visited_at) < end,
        )
    )
    for cadre_id, at, lat, lon in visits.all():
        centre = centres.get(cadre_id, (None, None))
        if (
            lat is not None
            and lon is not None
            and within(lat, lon, centre, pack.presence.radius_km)[0]
        ):
            present[cadre_id].add(at.astimezone(zone).date())
    corrections: dict[int, dict[date, DayClass]] = defaultdict(dict)
    fixed = await session.exec(
        select(DayCorrection)
        .where(
            col(DayCorrection.cadre_id).in_(ids),
            col(DayCorrection.day) >= first,
            col(DayCorrection.day) <= last,
        )
        .order_by(col(DayCorrection.at), col(DayCorrection.id))
    )
    for correction in fixed.all():  # the latest correction of a day wins
        corrections[correction.cadre_id][correction.day] = correction.day_class
    absent: dict[int, set[date]] = defaultdict(set)
    confirmed = await session.exec(
        select(col(SpotCheckTarget.cadre_id), col(SpotCheckTarget.day)).where(
            col(SpotCheckTarget.cadre_id).in_(ids),
            col(SpotCheckTarget.state) == CheckState.CONFIRMED,
            col(SpotCheckTarget.day) >= first,
            col(SpotCheckTarget.day) <= last,
        )
    )
    for cadre_id, day in confirmed.all():
        absent[cadre_id].add(day)

    workdays = workdays_of(calendar, days)
    counted = frozenset(pack.presence.counted_classes)
    allowance = frozenset(pack.presence.allowance_classes)
    out = []
    for cadre, person, village, township in cadre_rows:
        assert cadre.id is not None and township.id is not None
        posted = [d for d in days if cadre.term_start <= d <= cadre.term_end]
        facts = DayFacts(
            away=tuple(away[cadre.id]),
            present=frozenset(present[cadre.id]),
            absent=frozenset(absent[cadre.id]),
            corrections=corrections[cadre.id],
        )
        out.append(
            CadreMonth(
                cadre_id=cadre.id,
                person_id=cadre.person_id,
                name=person.name,
                team_role=cadre.team_role,
                unit=units.get(cadre.unit_id, ""),
                village=village.name,
                township_id=township.id,
                township=township.name,
                county=counties.get(township.county_id, ""),
                year=year,
                month=month,
                days=classify_days(pack, posted, workdays, facts),
                today=today,
                minimum=minimum_for(pack, len(posted), len(days)),
                counted_classes=counted,
                allowance_classes=allowance,
                evidenced=facts.present | frozenset(facts.corrections),
            )
        )
    return out


async def cadre_month(
    session: AsyncSession,
    pack: PolicyPack,
    calendar: WorkCalendar,
    cadre_id: int,
    year: int,
    month: int,
    *,
    today: date | None = None,
    zone: ZoneInfo,
) -> CadreMonth | None:
    """One cadre's month (None when the cadre was not posted in it)."""
    found = await month_ledger(
        session,
        pack,
        calendar,
        year,
        month,
        Scope(ScopeKind.CADRE, cadre_id),
        today=today,
        zone=zone,
    )
    return found[0] if found else None
