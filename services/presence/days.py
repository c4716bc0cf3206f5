"""Days in the village, derived from what is recorded, never clocked.

Every day of a cadre's month has one class (``models.enums.DayClass``), decided here and
nowhere else, first match wins:

1. the township approver's correction of that day (/fix; the latest one);
2. a confirmed unexplained absence (无故脱岗) found by a spot check;
3. leave in effect (approved, closed, or emergency leave before its paperwork), until the day
   the cadre reported back: business, meeting and training leave is official business (ganzhou
   Art.16 含因公出差、开会和培训), the rest personal, sick or annual leave;
4. evidence of presence: a location shared inside the village's radius, or a visit that
   carried one, weekends and holidays included;
5. otherwise in the village on a working day (the default: no punching in, 2024 rules
   against formalism), and rest on a weekend or public holiday (make-up working days, 调休,
   are working days).

Which classes count toward the monthly minimum and which earn the allowance is the pack's
(``presence.counted_classes``, ``presence.allowance_classes``). The month outlook on a leave
card and the ledger behind /month and the attendance sheet use this same classifier, so they
always agree.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypedDict

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import DayClass, LeaveKind, LeaveState
from models.tables import Cadre, Person
from models.workflow import LeaveRequest
from services.calendar import WorkCalendar, load_calendar
from services.messaging import outbox, templates
from services.policy import PolicyPack

# Leave that takes a cadre out of the village: decided, or in effect before its paperwork.
AWAY_STATES = (LeaveState.APPROVED, LeaveState.TO_COMPLETE, LeaveState.CLOSED)

_LEAVE_CLASSES = {
    LeaveKind.PERSONAL: DayClass.PERSONAL_LEAVE,
    LeaveKind.SICK: DayClass.SICK_LEAVE,
    LeaveKind.ANNUAL: DayClass.ANNUAL_LEAVE,
}
# Two leaves on one day should not happen (requests may not overlap), but stored data may
# disagree; then the one that keeps the cadre on duty wins, then sick, annual, personal.
_LEAVE_ORDER = (
    DayClass.OFFICIAL_BUSINESS,
    DayClass.SICK_LEAVE,
    DayClass.ANNUAL_LEAVE,
    DayClass.PERSONAL_LEAVE,
)


class UnreachableParams(TypedDict):
    cadre: str
    leave_id: int
    own: bool
    year: int
    month: int
    possible: int
    minimum: int


templates.declare("presence.unreachable", UnreachableParams)


@dataclass(frozen=True)
class Absence:
    start: date
    end: date
    kind: LeaveKind
    leave_id: int | None = None


@dataclass(frozen=True)
class DayFacts:
    """What is recorded about one cadre's month, as the classifier reads it."""

    away: tuple[Absence, ...] = ()
    present: frozenset[date] = frozenset()  # evidence inside the village's radius
    absent: frozenset[date] = frozenset()  # confirmed unexplained absences
    corrections: Mapping[date, DayClass] = field(default_factory=dict)


@dataclass(frozen=True)
class MonthOutlook:
    year: int
    month: int
    working_days: int
    # Days whose class counts (working days in the village by default, official business).
    counted_days: int
    # counted_days plus weekends and holidays free of leave: the most that can be reached
    # if the cadre is shown to be in the village on those days too.
    possible_days: int
    minimum: int

    @property
    def short_by(self) -> int:
        return max(0, self.minimum - self.counted_days)

    @property
    def reachable(self) -> bool:
        return self.possible_days >= self.minimum


def month_days(year: int, month: int) -> list[date]:
    return [date(year, month, d) for d in range(1, monthrange(year, month)[1] + 1)]


def months_between(start: date, end: date) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    day = start.replace(day=1)
    while day <= end:
        out.append((day.year, day.month))
        day = (day + timedelta(days=32)).replace(day=1)
    return out


def workdays_of(calendar: WorkCalendar, days: list[date]) -> frozenset[date]:
    """Asked once per month, not per cadre: the calendar is the slow part of a county."""
    return frozenset(d for d in days if calendar.is_workday(d))


def leave_class(pack: PolicyPack, kind: LeaveKind) -> DayClass:
    if kind.value in pack.leave.official_business_kinds:
        return DayClass.OFFICIAL_BUSINESS
    return _LEAVE_CLASSES.get(kind, DayClass.PERSONAL_LEAVE)


def classify(pack: PolicyPack, day: date, workday: bool, facts: DayFacts) -> DayClass:
    """The one class of one day (see the module's docstring for the order)."""
    corrected = facts.corrections.get(day)
    if corrected is not None:
        return corrected
    if day in facts.absent:
        return DayClass.ABSENT
    on_leave = [leave_class(pack, a.kind) for a in facts.away if a.start <= day <= a.end]
    if on_leave:
        return min(on_leave, key=_LEAVE_ORDER.index)
    if workday or day in facts.present:
        return DayClass.IN_VILLAGE
    return DayClass.REST


def classify_days(
    pack: PolicyPack, days: list[date], workdays: frozenset[date], facts: DayFacts
) -> dict[date, DayClass]:
    return {day: classify(pack, day, day in workdays, facts) for day in days}


def _last_day(absence: Absence, returned_on: date | None) -> date:
    # An early return (销假) gives the remaining days back; the day of return is in the village.
    if returned_on is not None and returned_on <= absence.end:
        return returned_on - timedelta(days=1)
    return absence.end


def absence_of(leave: LeaveRequest) -> Absence | None:
    """The days a stored leave keeps the cadre away, or None when they returned before it."""
    absence = Absence(leave.start_date, leave.end_date, leave.kind, leave.id)
    last = _last_day(absence, leave.returned_on)
    if last < leave.start_date:
        return None
    return Absence(leave.start_date, last, leave.kind, leave.id)


async def absences(session: AsyncSession, cadre_id: int, start: date, end: date) -> list[Absence]:
    """The cadre's leave touching [start, end] that keeps them away (or did)."""
    rows = await session.exec(
        select(LeaveRequest).where(
            col(LeaveRequest.cadre_id) == cadre_id,
            col(LeaveRequest.state).in_(AWAY_STATES),
            col(LeaveRequest.start_date) <= end,
            col(LeaveRequest.end_date) >= start,
        )
    )
    return [a for a in (absence_of(leave) for leave in rows.all()) if a is not None]


def outlook(
    pack: PolicyPack,
    calendar: WorkCalendar,
    year: int,
    month: int,
    away: list[Absence],
) -> MonthOutlook:
    """The month's counted days from leave alone: every working day counts unless leave of
    a class the pack does not count covers it. Weekends in the village would add to this;
    they cannot be promised ahead."""
    days = month_days(year, month)
    workdays = workdays_of(calendar, days)
    classes = classify_days(pack, days, workdays, DayFacts(away=tuple(away)))
    counted_classes = set(pack.presence.counted_classes)
    counted = sum(1 for c in classes.values() if c in counted_classes)
    rest = sum(1 for c in classes.values() if c is DayClass.REST)
    return MonthOutlook(
        year=year,
        month=month,
        working_days=len(workdays),
        counted_days=counted,
        possible_days=counted + rest,
        minimum=pack.presence.min_days_per_month,
    )


async def warn_if_unreachable(
    session: AsyncSession,
    pack: PolicyPack,
    leave: LeaveRequest,
    now: datetime,
    calendar: WorkCalendar | None = None,
) -> int:
    """After leave is approved: when the months it touches can no longer reach the pack's
    minimum (ganzhou Art.16), the cadre and their team leader are told, once per month.
    Returns how many messages were enqueued."""
    cadre = await session.get(Cadre, leave.cadre_id)
    if cadre is None:
        return 0
    person = await session.get(Person, cadre.person_id)
    calendar = calendar or await load_calendar(session)
    leaders = await session.exec(
        select(Cadre.person_id).where(col(Cadre.team_id) == cadre.team_id, col(Cadre.is_leader))
    )
    recipients = [cadre.person_id, *(p for p in leaders.all() if p != cadre.person_id)]
    sent = 0
    for year, month in months_between(leave.start_date, leave.end_date):
        days = month_days(year, month)
        away = await absences(session, leave.cadre_id, days[0], days[-1])
        look = outlook(pack, calendar, year, month, away)
        if look.reachable:
            continue
        for person_id in recipients:
            sent += await outbox.to_person(
                session,
                person_id,
                key=f"presence-unreachable:{leave.cadre_id}:{year}-{month:02d}:{person_id}",
                template="presence.unreachable",
                params={
                    "cadre": person.name if person else "",
                    "leave_id": leave.id,
                    "own": person_id == cadre.person_id,
                    "year": year,
                    "month": month,
                    "possible": look.possible_days,
                    "minimum": look.minimum,
                },
                now=now,
            )
    return sent
