"""The supervision calendar's reminders (docs/rules.md, "Supervision calendar"):

- the meeting of first secretaries and team leaders (central-2017 四(二) quarterly; ganzhou
  Art.14 half-yearly; the pack's ``calendar.leader_meeting``): at the start of each period the
  county leading group office is reminded to convene it, and the county's bound groups get a
  neutral notice (no names, no households, no reasons);
- the dispatching unit's own duties (ganzhou Art.15; ``unit_head_report``,
  ``unit_head_village_visit``, ``unit_deputy_village_visit``): at the start of each period,
  the unit's post holders, with the villages their cadres serve;
- term end (ganzhou Art.18, 到期轮换，压茬交接; ``term_end_reminder_days``, 90 and 30): the
  cadre, the county office and the dispatching unit, once per threshold.

All are due from the pack's office hour (``schedule``) on a working day. "At the start of a period"
means during its first month: the first working day normally, the first run after a restart if the
process was down then, and never again for that period. A term-end threshold is sent once, and after
downtime only the nearest threshold crossed (a run at 25 days left sends the 30-day notice, not a
late 90-day one as well).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind, GroupScope
from models.tables import ApproverPost, Cadre, County, Person, Team, Township, Village
from services.calendar import WorkCalendar
from services.leave.sweeps import SweepResult
from services.messaging import outbox, templates
from services.messaging.groups import groups_of
from services.periods import Period, due_now
from services.policy import PolicyPack
from services.roster import accounts
from services.roster.jurisdiction import post_holders

OFFICE = ApproverKind.COUNTY_LEADING_GROUP_OFFICE
UNIT = ApproverKind.DISPATCHING_UNIT
#: The dispatching unit's duties, as named in the pack's ``calendar`` section.
UNIT_DUTIES = ("unit_head_report", "unit_head_village_visit", "unit_deputy_village_visit")


class MeetingParams(TypedDict):
    """``meeting.leader_group``; the office's reminder adds the county's team count."""

    period: str
    cadence: str


class MeetingOfficeParams(MeetingParams):
    teams: int


class Duty(TypedDict):
    duty: str
    period: str
    cadence: str


class UnitVillage(TypedDict):
    village: str
    township: str
    cadres: int


class DutiesParams(TypedDict):
    duties: list[Duty]
    villages: list[UnitVillage]


class TermEndParams(TypedDict):
    term_end: str
    days_left: int


class TermEndCadre(TypedDict):
    name: str
    village: str
    township: str


class TermEndListParams(TermEndParams):
    cadres: list[TermEndCadre]
    to: str  # "office" or "unit"


templates.declare("meeting.leader_group", MeetingParams)
templates.declare("meeting.leader_office", MeetingOfficeParams)
templates.declare("unit.duties", DutiesParams)
templates.declare("term_end.cadre", TermEndParams)
templates.declare("term_end.list", TermEndListParams)


def _in_post(day: Any) -> Any:
    return (col(Cadre.term_start) <= day) & (col(Cadre.term_end) >= day)


async def leader_meeting(
    session: AsyncSession,
    pack: PolicyPack,
    now: datetime,
    zone: ZoneInfo,
    calendar: WorkCalendar | None = None,
) -> SweepResult:
    """Sweep: remind each county office to convene this period's meeting, once."""
    local = now.astimezone(zone)
    today = local.date()
    period = Period.of_day(pack.calendar.leader_meeting, today)
    if not (due_now(pack, calendar or WorkCalendar(), local) and period.in_first_month(today)):
        return SweepResult()
    teams = await session.exec(
        select(Township.county_id, func.count(col(Team.id)))
        .join(Village, col(Village.township_id) == col(Township.id))
        .join(Team, col(Team.village_id) == col(Village.id))
        .where(col(Team.id).in_(select(Cadre.team_id).where(_in_post(today))))
        .group_by(col(Township.county_id))
    )
    counts = {int(county): int(n) for county, n in teams.all()}
    counties = [c for c in (await session.exec(select(County.id))).all() if c is not None]
    base = {"period": period.label, "cadence": period.cadence.value}
    messages: list[outbox.Message] = []
    office = await post_holders(session, OFFICE, ApproverPost.county_id, counties)
    for county, people in office.items():
        for holder in people:
            key = f"leader-meeting:{county}:{period.label}:{holder.person_id}"
            params = {**base, "teams": counts.get(county, 0)}
            if message := outbox.message_to(holder, key, "meeting.leader_office", params):
                messages.append(message)
    for group in await groups_of(session, GroupScope.COUNTY, counties):
        key = f"leader-meeting-group:{group.county_id}:{period.label}:{group.chat_id}"
        messages.append(outbox.to_group_message(group, key, "meeting.leader_group", base))
    return SweepResult(reminded=await outbox.enqueue_many(session, messages, now=now))


async def unit_duties(
    session: AsyncSession,
    pack: PolicyPack,
    now: datetime,
    zone: ZoneInfo,
    calendar: WorkCalendar | None = None,
) -> SweepResult:
    """Sweep: at the start of a period of any of the unit's duties, one message per unit
    post holder listing the duties now due and the villages the unit's cadres serve."""
    local = now.astimezone(zone)
    today = local.date()
    if not due_now(pack, calendar or WorkCalendar(), local):
        return SweepResult()
    duties = []
    for name in UNIT_DUTIES:
        cadence = getattr(pack.calendar, name)
        if cadence is not None and Period.of_day(cadence, today).in_first_month(today):
            period = Period.of_day(cadence, today)
            duties.append({"duty": name, "period": period.label, "cadence": cadence.value})
    if not duties:
        return SweepResult()
    rows = await session.exec(
        select(Cadre.unit_id, Village.name, Township.name, func.count(col(Cadre.id)))
        .join(Team, col(Team.id) == col(Cadre.team_id))
        .join(Village, col(Village.id) == col(Team.village_id))
        .join(Township, col(Township.id) == col(Village.township_id))
        .where(_in_post(today))
        .group_by(col(Cadre.unit_id), col(Village.name), col(Township.name))
        .order_by(col(Cadre.unit_id), col(Township.name), col(Village.name))
    )
    villages: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for unit_id, village, township, n in rows.all():
        villages[unit_id].append({"village": village, "township": township, "cadres": int(n)})
    month = f"{today.year}-{today.month:02d}"
    messages: list[outbox.Message] = []
    holders = await post_holders(session, UNIT, ApproverPost.unit_id, sorted(villages))
    for unit_id, people in holders.items():
        for holder in people:
            key = f"unit-duties:{unit_id}:{month}:{holder.person_id}"
            params = {"duties": duties, "villages": villages[unit_id]}
            if message := outbox.message_to(holder, key, "unit.duties", params):
                messages.append(message)
    return SweepResult(reminded=await outbox.enqueue_many(session, messages, now=now))


async def term_end(
    session: AsyncSession,
    pack: PolicyPack,
    now: datetime,
    zone: ZoneInfo,
    calendar: WorkCalendar | None = None,
) -> SweepResult:
    """Sweep: cadres whose term ends within a threshold: the nearest threshold crossed, once,
    to the cadre, the county office and the dispatching unit (one list per batch)."""
    thresholds = pack.calendar.term_end_reminder_days
    local = now.astimezone(zone)
    if not thresholds or not due_now(pack, calendar or WorkCalendar(), local):
        return SweepResult()
    today = local.date()
    rows = await session.exec(
        select(Cadre, Person, Village, Township)
        .join(Person, col(Person.id) == col(Cadre.person_id))
        .join(Team, col(Team.id) == col(Cadre.team_id))
        .join(Village, col(Village.id) == col(Team.village_id))
        .join(Township, col(Township.id) == col(Village.township_id))
        .where(_in_post(today), col(Cadre.term_end) <= today + timedelta(days=max(thresholds)))
        .order_by(col(Cadre.term_end), col(Township.name), col(Village.name), col(Cadre.id))
    )
    found = rows.all()
    # Everyone is listed to the offices; only those with an account are written to.
    reach = await accounts.accounts_of(session, [cadre.person_id for cadre, *_ in found])
    messages: list[outbox.Message] = []
    by_county: dict[tuple[int, date, int], list[dict[str, str]]] = defaultdict(list)
    by_unit: dict[tuple[int, date, int], list[dict[str, str]]] = defaultdict(list)
    for cadre, person, village, township in found:
        left = (cadre.term_end - today).days
        threshold = min(t for t in thresholds if left <= t)
        end = cadre.term_end
        key = f"term-end:{cadre.id}:{end}:{threshold}"
        params = {"term_end": end.isoformat(), "days_left": left}
        if message := outbox.message_to(reach.get(cadre.person_id), key, "term_end.cadre", params):
            messages.append(message)
        line = {"name": person.name, "village": village.name, "township": township.name}
        by_county[(township.county_id, end, threshold)].append(line)
        by_unit[(cadre.unit_id, end, threshold)].append(line)
    for kind, column, batches, prefix in (
        (OFFICE, ApproverPost.county_id, by_county, "term-end-office"),
        (UNIT, ApproverPost.unit_id, by_unit, "term-end-unit"),
    ):
        people = await post_holders(session, kind, column, sorted({k[0] for k in batches}))
        for (ident, end, threshold), cadres in batches.items():
            params = {
                "term_end": end.isoformat(), "days_left": (end - today).days, "cadres": cadres,
                "to": "office" if kind is OFFICE else "unit",
            }  # fmt: skip
            for holder in people.get(ident, []):
                key = f"{prefix}:{ident}:{end}:{threshold}:{holder.person_id}"
                if message := outbox.message_to(holder, key, "term_end.list", params):
                    messages.append(message)
    return SweepResult(reminded=await outbox.enqueue_many(session, messages, now=now))
