"""The team leader's view of the team (/team): each member's days this month, their leave
and their quarter's visits, from the same ledgers as /month and /coverage so the figures
agree with what each member sees. Counts only: no household is named."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import DayClass, LeaveKind, LeaveState, TeamRole
from models.tables import Team, Village
from models.workflow import LeaveRequest
from services.calendar import WorkCalendar
from services.errors import DomainError
from services.periods import Period
from services.policy import Cadence, PolicyPack
from services.presence.day_ledger import month_ledger
from services.visits.coverage import Scope, ScopeKind, coverage

# Approved leave and emergency leave in effect before its paperwork: the member is, or will
# be, away.
AWAY = (LeaveState.APPROVED, LeaveState.TO_COMPLETE)


@dataclass(frozen=True)
class LeaveSpan:
    start: date
    end: date
    kind: LeaveKind
    state: LeaveState


@dataclass(frozen=True)
class Member:
    cadre_id: int
    name: str
    team_role: TeamRole
    counted: int  # days counted toward the minimum so far this month
    evidenced: int  # of the days in the village so far, those shown by evidence
    in_village: int  # days in the village so far
    minimum: int
    pending: int  # leave requests awaiting a decision
    away: tuple[LeaveSpan, ...]  # decided leave not over yet, soonest first
    pairings: int
    visited: int  # pairings with the quarter's visits done


@dataclass(frozen=True)
class TeamView:
    village: str
    today: date
    year: int
    month: int
    quarter: Period
    quarter_days_left: int
    visits_per_quarter: int
    members: tuple[Member, ...]


async def team_view(
    session: AsyncSession,
    pack: PolicyPack,
    calendar: WorkCalendar,
    team_id: int,
    now: datetime,
    zone: ZoneInfo,
) -> TeamView:
    team = await session.get(Team, team_id)
    if team is None:
        raise DomainError("team_not_found")
    village = await session.get(Village, team.village_id)
    today = now.astimezone(zone).date()
    scope = Scope(ScopeKind.TEAM, team_id)
    months = await month_ledger(
        session, pack, calendar, today.year, today.month, scope, today=today, zone=zone
    )
    quarter = Period.of(Cadence.QUARTERLY, now, zone)
    visits = await coverage(session, pack, quarter, scope, now=now, zone=zone)
    pairings: dict[int, int] = defaultdict(int)
    visited: dict[int, int] = defaultdict(int)
    for row in visits.rows:
        pairings[row.cadre_id] += 1
        visited[row.cadre_id] += row.done
    ids = [m.cadre_id for m in months]
    leave = await session.exec(
        select(LeaveRequest)
        .where(
            col(LeaveRequest.cadre_id).in_(ids),
            (col(LeaveRequest.state) == LeaveState.PENDING)
            | (col(LeaveRequest.state).in_(AWAY) & (col(LeaveRequest.end_date) >= today)),
        )
        .order_by(col(LeaveRequest.start_date), col(LeaveRequest.id))
    )
    pending: dict[int, int] = defaultdict(int)
    away: dict[int, list[LeaveSpan]] = defaultdict(list)
    for request in leave.all():
        if request.state is LeaveState.PENDING:
            pending[request.cadre_id] += 1
        else:
            span = LeaveSpan(request.start_date, request.end_date, request.kind, request.state)
            away[request.cadre_id].append(span)
    members = []
    for m in months:
        presumed_so_far = sum(1 for d in m.presumed_days if d <= today)
        in_village = m.so_far(DayClass.IN_VILLAGE)
        members.append(
            Member(
                cadre_id=m.cadre_id,
                name=m.name,
                team_role=m.team_role,
                counted=m.counted_so_far,
                evidenced=in_village - presumed_so_far,
                in_village=in_village,
                minimum=m.minimum,
                pending=pending[m.cadre_id],
                away=tuple(away[m.cadre_id]),
                pairings=pairings[m.cadre_id],
                visited=visited[m.cadre_id],
            )
        )
    # The first secretary and the leader first, then the members, each by name.
    order = (TeamRole.FIRST_SECRETARY, TeamRole.LEADER, TeamRole.MEMBER)
    members.sort(key=lambda x: (order.index(x.team_role), x.name))
    return TeamView(
        village=village.name if village else "",
        today=today,
        year=today.year,
        month=today.month,
        quarter=quarter,
        quarter_days_left=quarter.days_left(now, zone),
        visits_per_quarter=pack.visits.min_per_quarter,
        members=tuple(members),
    )
