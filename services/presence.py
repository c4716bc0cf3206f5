"""Days in the village, derived from what is recorded (leave so far), never clocked.

The month outlook answers the approver's question on a leave card: if I approve this, can
the cadre still reach the pack's monthly minimum (ganzhou Art.16: at least 20 days, business
trips, meetings and training included)?
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import LeaveKind, LeaveState
from models.workflow import LeaveRequest
from services.calendar import WorkCalendar
from services.policy import PolicyPack

# Leave that takes a cadre out of the village: decided, or in effect before its paperwork.
AWAY_STATES = (LeaveState.APPROVED, LeaveState.TO_COMPLETE, LeaveState.CLOSED)


@dataclass(frozen=True)
class Absence:
    start: date
    end: date
    kind: LeaveKind


@dataclass(frozen=True)
class MonthOutlook:
    year: int
    month: int
    working_days: int
    # Working days not lost to leave that does not count: credited by default.
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


def _last_day(absence: Absence, returned_on: date | None) -> date:
    # An early return (销假) gives the remaining days back.
    if returned_on is not None and returned_on <= absence.end:
        return returned_on - timedelta(days=1)
    return absence.end


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
    out = []
    for leave in rows.all():
        absence = Absence(leave.start_date, leave.end_date, leave.kind)
        last = _last_day(absence, leave.returned_on)
        if last >= leave.start_date:
            out.append(Absence(leave.start_date, last, leave.kind))
    return out


def outlook(
    pack: PolicyPack,
    calendar: WorkCalendar,
    year: int,
    month: int,
    away: list[Absence],
) -> MonthOutlook:
    """The month's counted days at best: every working day counts unless leave of a kind
    the pack does not count (personal, sick, annual) covers it. Weekends in the village
    would add to this; they cannot be promised ahead."""
    first = date(year, month, 1)
    last = date(year, month, monthrange(year, month)[1])
    official = set(pack.leave.official_business_kinds)
    lost: set[date] = set()
    for absence in away:
        if absence.kind.value in official:
            continue
        day = max(absence.start, first)
        while day <= min(absence.end, last):
            lost.add(day)
            day += timedelta(days=1)
    working = calendar.workdays_in_month(year, month)
    lost_working = sum(1 for day in lost if calendar.is_workday(day))
    return MonthOutlook(
        year=year,
        month=month,
        working_days=working,
        counted_days=working - lost_working,
        possible_days=last.day - len(lost),
        minimum=pack.presence.min_days_per_month,
    )
