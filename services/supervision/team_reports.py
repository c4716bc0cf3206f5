"""The team's half-year work report (思想、工作、学习, central-2017 四(二)): the team leader
submits it, the county leading group office receives it, and the leader is reminded until
it is in.

Periods follow the pack's ``calendar.work_report`` cadence ("2026H2"). A report is written
at the end of its half-year or just after, so:

- a report belongs to the half-year under way, except in a half-year's first month (January,
  July), when it is the one just ended (a report sent in January is the second half's);
- re-submitting while that holds replaces the text, and the office gets the new version;
- reminders run in the period's last month (June, December) and, marked overdue, in the
  month after (July, January), once per ISO week, until the team has submitted. After that
  the period is closed and nothing more is sent about it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind
from models.presence import TeamReport
from models.tables import ApproverPost, Cadre, ChannelAccount, Person, Team, Township, Village
from services import audit
from services.calendar import WorkCalendar
from services.errors import DomainError
from services.leave.sweeps import SweepResult
from services.messaging import outbox, templates
from services.periods import Period, due_now
from services.policy import PolicyPack
from services.roster import accounts
from services.roster.accounts import reachable_on
from services.roster.jurisdiction import holders, post_holders

MAX_CHARS = 3000  # the office's message carries the text whole, under Telegram's 4096
OFFICE = ApproverKind.COUNTY_LEADING_GROUP_OFFICE


class ReceivedParams(TypedDict):
    period: str
    village: str
    township: str
    leader: str
    text: str
    revised: bool


class DueParams(TypedDict):
    period: str
    due: str
    overdue: bool


class TeamPlace(TypedDict):
    village: str
    township: str


class MissingParams(DueParams):
    teams: list[TeamPlace]


templates.declare("team_report.received", ReceivedParams)
templates.declare("team_report.due", DueParams)
templates.declare("team_report.missing", MissingParams)


def report_period(pack: PolicyPack, today: date) -> Period:
    """The period a report written today belongs to."""
    current = Period.of_day(pack.calendar.work_report, today)
    if current.cadence.months > 1 and current.in_first_month(today):
        return current.previous()
    return current


def open_period(pack: PolicyPack, today: date) -> tuple[Period, bool] | None:
    """The period reminders are about today, and whether it is overdue; None outside."""
    current = Period.of_day(pack.calendar.work_report, today)
    if current.in_last_month(today):
        return current, False
    if current.cadence.months > 1 and current.in_first_month(today):
        return current.previous(), True
    return None


@dataclass(frozen=True)
class Submitted:
    report: TeamReport
    period: str
    replaced: bool
    delivered: int  # office holders who can receive it (it went to each once per version)


async def submit(
    session: AsyncSession,
    pack: PolicyPack,
    team_id: int,
    person_id: int,
    text: str,
    now: datetime,
    zone: ZoneInfo,
) -> Submitted:
    """The team leader's report for the open period, forwarded to the county office."""
    today = now.astimezone(zone).date()
    leader = (
        await session.exec(
            select(Cadre, Person, Village, Township)
            .join(Person, col(Person.id) == col(Cadre.person_id))
            .join(Team, col(Team.id) == col(Cadre.team_id))
            .join(Village, col(Village.id) == col(Team.village_id))
            .join(Township, col(Township.id) == col(Village.township_id))
            .where(
                col(Cadre.person_id) == person_id,
                col(Cadre.team_id) == team_id,
                col(Cadre.is_leader).is_(True),
                col(Cadre.term_start) <= today,
                col(Cadre.term_end) >= today,
            )
        )
    ).first()
    if leader is None:
        raise DomainError("team_leader_required")
    _cadre, person, village, township = leader
    text = text.strip()
    if not text:
        raise DomainError("team_report_empty")
    if len(text) > MAX_CHARS:
        raise DomainError("team_report_too_long", max=MAX_CHARS, length=len(text))
    period = report_period(pack, today).label
    report = (
        await session.exec(
            select(TeamReport).where(
                col(TeamReport.team_id) == team_id, col(TeamReport.period) == period
            )
        )
    ).first()
    replaced = report is not None
    if report is None:
        report = TeamReport(team_id=team_id, period=period, text=text,
                            submitted_by_person_id=person_id, submitted_at=now)  # fmt: skip
    else:
        report.text, report.submitted_by_person_id, report.submitted_at = text, person_id, now
    session.add(report)
    await session.flush()
    await audit.record(
        session, entity="team_report", entity_id=report.id,
        action="replace" if replaced else "submit", to_state=period,
        actor_person_id=person_id, at=now,
    )  # fmt: skip
    delivered = 0
    params = {
        "period": period, "village": village.name, "township": township.name,
        "leader": person.name, "text": text, "revised": replaced,
    }  # fmt: skip
    # One message per version: the same text sent again is not forwarded twice.
    version = hashlib.sha256(text.encode()).hexdigest()[:16]
    office = [h.id for h in await holders(session, OFFICE, f"county:{township.county_id}")]
    reach = await accounts.reachable_people(session, [i for i in office if i is not None])
    for holder_id in office:
        if holder_id not in reach:
            continue  # cannot be written to
        delivered += 1
        await outbox.to_person(
            session, holder_id, key=f"team-report:{report.id}:{version}:{holder_id}",
            template="team_report.received", params=params, now=now,
            ref=f"team_report:{report.id}",
        )  # fmt: skip
    return Submitted(report, period, replaced, delivered)


async def half_year_reports(
    session: AsyncSession,
    pack: PolicyPack,
    now: datetime,
    zone: ZoneInfo,
    calendar: WorkCalendar | None = None,
) -> SweepResult:
    """Sweep: once per ISO week of the reminder window, each leader of a team without the
    period's report is reminded, and each county office gets the list of missing teams."""
    local = now.astimezone(zone)
    if not due_now(pack, calendar or WorkCalendar(), local):
        return SweepResult()
    today = local.date()
    found = open_period(pack, today)
    if found is None:
        return SweepResult()
    period, overdue = found
    iso = today.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    submitted = select(TeamReport.team_id).where(col(TeamReport.period) == period.label)
    teams = await session.exec(
        select(Team.id, Village, Township)
        .join(Village, col(Village.id) == col(Team.village_id))
        .join(Township, col(Township.id) == col(Village.township_id))
        .where(
            col(Team.id).not_in(submitted),
            # A team counts while someone is posted to it.
            col(Team.id).in_(
                select(Cadre.team_id).where(
                    col(Cadre.term_start) <= today, col(Cadre.term_end) >= today
                )
            ),
        )
        .order_by(col(Township.name), col(Village.name))
    )
    missing: dict[int, list[dict[str, str]]] = defaultdict(list)
    team_ids: list[int] = []
    for team_id, village, township in teams.all():
        assert team_id is not None
        missing[township.county_id].append({"village": village.name, "township": township.name})
        team_ids.append(team_id)
    if not team_ids:
        return SweepResult()
    base: dict[str, Any] = {
        "period": period.label, "due": period.last_day.isoformat(), "overdue": overdue,
    }  # fmt: skip
    messages: list[outbox.Message] = []
    leaders = await session.exec(
        select(Cadre.team_id, ChannelAccount)
        .select_from(Cadre)
        .join(ChannelAccount, reachable_on(person_id=col(Cadre.person_id)))
        .where(
            col(Cadre.team_id).in_(team_ids),
            col(Cadre.is_leader).is_(True),
            col(Cadre.term_start) <= today,
            col(Cadre.term_end) >= today,
        )
        .order_by(col(Cadre.team_id))
    )
    for team_id, account in leaders.all():
        key = f"halfyear-due:{team_id}:{period.label}:{week}"
        if message := outbox.message_to(account, key, "team_report.due", base):
            messages.append(message)
    office = await post_holders(session, OFFICE, ApproverPost.county_id, sorted(missing))
    for county, teams_missing in missing.items():
        for holder in office.get(county, []):
            key = f"halfyear-missing:{county}:{period.label}:{week}:{holder.person_id}"
            params = {**base, "teams": teams_missing}
            if message := outbox.message_to(holder, key, "team_report.missing", params):
                messages.append(message)
    return SweepResult(reminded=await outbox.enqueue_many(session, messages, now=now))
