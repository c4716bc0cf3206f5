"""The monthly dispatch check (每月调度, ganzhou Art.14: the county leading group dispatches the
teams' presence and work at least monthly; the cadence is the pack's
``calendar.dispatch_check``).

Due at the pack's office hour (``schedule.office_hour``) on the first working day of a period's
first month (the Chinese calendar, with the deployment's overrides), for the period just ended
(monthly: last month). Each county gets, from the same figures:

- in every group bound to the county, a summary per team (named by its village): cadres,
  days counted in the village against the minimum, leave days, unexplained absences and
  visit coverage. Counts only: no cadre, household or reason appears in a group;
- for each county leading group office holder (县驻村办), in a private chat, the full sheet as
  a workbook, one row per cadre (``services.supervision.monthly_check_sheet``).

Visit coverage is a snapshot at the end of the period: pairings in force then, counted visits
from the start of the quarter that period ends in until its end. So a report sent late reads
the same as one sent on time.

A report is sent during the period it falls due in (monthly: that month). Run twice, late
(the 5th, after downtime) or by two processes, the dedup keys
``dispatch:{county}:{YYYY-MM}:{chat}`` and ``dispatch-sheet:{county}:{YYYY-MM}:{person}``
(YYYY-MM: the period's last month) send each once; before that hour on the due day nothing goes,
and a period spent wholly in downtime is not caught up (the next report covers the newer one).
A group bound, or an office holder registered, later in the period gets that report then.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, time
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from locales import office_translator
from models.enums import ApproverKind, DayClass, GroupScope
from models.tables import (
    ApproverPost,
    Cadre,
    ChannelAccount,
    County,
    GroupChat,
    Pairing,
    Team,
    Township,
    Village,
)
from models.workflow import OutboxMessage, Visit
from services.calendar import WorkCalendar
from services.messaging import outbox, templates
from services.messaging.groups import groups_of
from services.periods import Period
from services.policy import Cadence, PolicyPack
from services.presence.day_ledger import LEAVE_CLASSES, local_bounds, month_ledger
from services.presence.days import month_days
from services.roster.accounts import reachable_on
from services.supervision.monthly_check_sheet import CadreLine, file_name, team_lines, workbook
from services.visits.coverage import Scope, ScopeKind, counted_modes

OFFICE = ApproverKind.COUNTY_LEADING_GROUP_OFFICE


class _Presumed(TypedDict, total=False):
    # Missing in summaries queued before it was counted.
    presumed: int


class TeamFigures(_Presumed):
    """One team's line (``monthly_check_sheet.TeamLine`` as a dict)."""

    township: str
    village: str
    cadres: int
    met: int
    counted: int
    minimum: int
    leave: int
    absent: int
    paired: int
    visited: int


# The report's first and last month (YYYY-MM, the same for a monthly check); "from" is a
# keyword, so the functional form names it.
MonthSpan = TypedDict("MonthSpan", {"from": str, "to": str})


class SummaryParams(TypedDict):
    county: str
    period: MonthSpan
    teams: list[TeamFigures]


class SheetParams(TypedDict):
    county: str
    period: MonthSpan
    teams: int
    cadres: int
    below_minimum: int
    absent: int


templates.declare("dispatch.summary", SummaryParams)
templates.declare("dispatch.sheet", SheetParams)


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + by
    return index // 12, index % 12 + 1


def due_period(
    pack: PolicyPack, calendar: WorkCalendar, now: datetime, zone: ZoneInfo
) -> list[tuple[int, int]]:
    """The months (oldest first) of the report due now; empty when none is."""
    local = now.astimezone(zone)
    length = pack.calendar.dispatch_check.months
    # The period's first month; a report is due in the month a period starts.
    year, month = local.year, local.month - (local.month - 1) % length
    due_day = calendar.first_working_day(year, month)
    if local < datetime.combine(due_day, time(pack.schedule.office_hour), tzinfo=zone):
        return []
    return [_shift(year, month, -k) for k in range(length, 0, -1)]


@dataclass
class _Recipients:
    chats: list[GroupChat] = field(default_factory=list)
    people: list[ChannelAccount] = field(default_factory=list)  # the accounts to write to


async def _recipients(session: AsyncSession) -> dict[int, _Recipients]:
    """Per county: the bound groups and the reachable office holders (two queries)."""
    out: dict[int, _Recipients] = defaultdict(_Recipients)
    ids = list((await session.exec(select(County.id))).all())
    for group in await groups_of(session, GroupScope.COUNTY, [i for i in ids if i is not None]):
        assert group.county_id is not None
        out[group.county_id].chats.append(group)
    holders = await session.exec(
        select(ApproverPost.county_id, ChannelAccount)
        .select_from(ApproverPost)
        .join(ChannelAccount, reachable_on(person_id=col(ApproverPost.person_id)))
        .where(col(ApproverPost.kind) == OFFICE, col(ApproverPost.county_id).is_not(None))
        .order_by(col(ChannelAccount.person_id))
    )
    for county_id, account in holders.all():
        assert county_id is not None
        if all(p.person_id != account.person_id for p in out[county_id].people):
            out[county_id].people.append(account)
    return out


def _in_county(statement: Any, county_id: int) -> Any:
    return (
        statement.join(Team, col(Team.id) == col(Cadre.team_id))
        .join(Village, col(Village.id) == col(Team.village_id))
        .join(Township, col(Township.id) == col(Village.township_id))
        .where(col(Township.county_id) == county_id)
    )


async def _visit_figures(
    session: AsyncSession,
    pack: PolicyPack,
    county_id: int,
    months: list[tuple[int, int]],
    zone: ZoneInfo,
) -> tuple[dict[int, tuple[int, int]], dict[int, int]]:
    """Per cadre: (pairings in force at the period's end, of them visited this quarter by
    then), and counted visits made in the period."""
    first, last = month_days(*months[0])[0], month_days(*months[-1])[-1]
    start, end = local_bounds(first, last, zone)
    quarter_start = Period.of_day(Cadence.QUARTERLY, last).start(zone)
    modes = counted_modes(pack)
    # The county's cadres only: unscoped, every county's check would group the whole
    # country's visits of the quarter (quadratic at national scale).
    county_cadres = _in_county(select(Cadre.id), county_id)
    counted = (
        select(
            col(Visit.cadre_id).label("cadre_id"),
            col(Visit.household_id).label("household_id"),
            func.count().label("visits"),
        )
        .where(
            col(Visit.cadre_id).in_(county_cadres),
            col(Visit.visited_at) >= quarter_start,
            col(Visit.visited_at) < end,
            col(Visit.mode).in_(modes),
        )
        .group_by(col(Visit.cadre_id), col(Visit.household_id))
        .subquery()
    )
    pairs = await session.exec(
        _in_county(
            select(Pairing.cadre_id, func.coalesce(counted.c.visits, 0))
            .join(Cadre, col(Cadre.id) == col(Pairing.cadre_id))
            .outerjoin(
                counted,
                (counted.c.cadre_id == col(Pairing.cadre_id))
                & (counted.c.household_id == col(Pairing.household_id)),
            ),
            county_id,
        ).where(
            col(Pairing.started_at) < end,
            col(Pairing.ended_at).is_(None) | (col(Pairing.ended_at) > end),
        )
    )
    coverage: dict[int, tuple[int, int]] = {}
    for cadre_id, visits in pairs.all():
        paired, visited = coverage.get(cadre_id, (0, 0))
        coverage[cadre_id] = (paired + 1, visited + (visits >= pack.visits.min_per_quarter))
    made = await session.exec(
        _in_county(
            select(Visit.cadre_id, func.count()).join(Cadre, col(Cadre.id) == col(Visit.cadre_id)),
            county_id,
        )
        .where(
            col(Visit.visited_at) >= start, col(Visit.visited_at) < end, col(Visit.mode).in_(modes)
        )
        .group_by(col(Visit.cadre_id))
    )
    return coverage, {cadre_id: n for cadre_id, n in made.all()}


async def county_lines(
    session: AsyncSession,
    pack: PolicyPack,
    calendar: WorkCalendar,
    county_id: int,
    months: list[tuple[int, int]],
    zone: ZoneInfo,
) -> list[CadreLine]:
    """One line per cadre posted in the county during the period, in ledger order."""
    lines: dict[int, CadreLine] = {}
    for year, month in months:
        scope = Scope(ScopeKind.COUNTY, county_id)
        for m in await month_ledger(session, pack, calendar, year, month, scope, zone=zone):
            before = lines.get(m.cadre_id)
            lines[m.cadre_id] = CadreLine(
                township=m.township,
                village=m.village,
                name=m.name,
                team_role=m.team_role,
                counted=m.counted + (before.counted if before else 0),
                minimum=m.minimum + (before.minimum if before else 0),
                leave=m.count(*LEAVE_CLASSES) + (before.leave if before else 0),
                absent=m.count(DayClass.ABSENT) + (before.absent if before else 0),
                presumed=len(m.presumed_days) + (before.presumed if before else 0),
            )
    if not lines:
        return []
    coverage, made = await _visit_figures(session, pack, county_id, months, zone)
    for cadre_id, line in lines.items():
        line.paired, line.visited = coverage.get(cadre_id, (0, 0))
        line.visits = made.get(cadre_id, 0)
    return list(lines.values())


async def monthly_dispatch(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, now: datetime, zone: ZoneInfo
) -> int:
    """Sweep: the dispatch check's group summaries and office sheets, each sent once.
    Returns how many messages were queued."""
    months = due_period(pack, calendar, now, zone)
    if not months:
        return 0
    label = "{:04d}-{:02d}".format(*months[-1])
    wanted = {
        county_id: (
            [(f"dispatch:{county_id}:{label}:{g.chat_id}", g) for g in who.chats],
            [(f"dispatch-sheet:{county_id}:{label}:{p.person_id}", p) for p in who.people],
        )
        for county_id, who in (await _recipients(session)).items()
    }
    every_key = [key for chats, people in wanted.values() for key, _ in chats + people]
    if not every_key:
        return 0
    sent = set(
        (
            await session.exec(
                select(OutboxMessage.dedup_key).where(col(OutboxMessage.dedup_key).in_(every_key))
            )
        ).all()
    )
    queued = 0
    period = {"from": "{:04d}-{:02d}".format(*months[0]), "to": label}
    # The county files the sheet in Chinese, whatever language its reader chose.
    zh = office_translator()
    for county_id, (chats, people) in sorted(wanted.items()):
        chats = [(key, chat) for key, chat in chats if key not in sent]
        people = [(key, person) for key, person in people if key not in sent]
        if not chats and not people:
            continue
        lines = await county_lines(session, pack, calendar, county_id, months, zone)
        if not lines:
            continue  # nobody posted in the county in that period: nothing to report
        county = await session.get(County, county_id)
        name = county.name if county else ""
        teams = team_lines(lines)
        summary = {
            "county": name,
            "period": period,
            "teams": [asdict(team) for team in teams],
        }
        for key, group in chats:
            queued += await outbox.to_group(
                session, group, key=key, template="dispatch.summary", params=summary, now=now
            )
        if not people:
            continue
        document = (file_name(name, months, zh), workbook(name, months, lines, zh))
        caption = {
            "county": name,
            "period": period,
            "teams": len(teams),
            "cadres": len(lines),
            "below_minimum": sum(1 for line in lines if line.counted < line.minimum),
            "absent": sum(line.absent for line in lines),
        }
        for key, account in people:
            queued += await outbox.enqueue(
                session,
                key=key,
                channel=account.channel,
                chat_id=account.chat_id,
                person_id=account.person_id,
                template="dispatch.sheet",
                params=caption,
                now=now,
                document=document,
            )
    return queued
