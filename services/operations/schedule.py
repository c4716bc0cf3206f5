"""Every sweep the scheduler runs, by name, and ``run_all``: one tick's worth of work.

The schedule is the database (docs/architecture.md, "How a reminder flows"): a sweep asks
"what is due now?" of the data and enqueues outbox rows under dedup keys, so run twice, late,
after downtime or by two processes it sends each message once. The scheduler (``scheduler/``) and
``zhucun tick --at`` only call ``run_all``; nothing here knows of either.

A sweep is ``async def sweep(session, pack, calendar, now, zone) -> int`` (how many things
it did: messages queued, requests escalated, sheets drafted). Add a new one to ``SWEEPS``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from models.db import UnitOfWork
from services.calendar import WorkCalendar, load_calendar
from services.leave import sweeps as leave_sweeps
from services.policy import PolicyPack
from services.presence import attendance, spot_checks
from services.supervision import calendar_reminders
from services.supervision.monthly_check import monthly_dispatch
from services.supervision.next_year_holidays import holidays_unknown
from services.supervision.team_reports import half_year_reports
from services.supervision.training_sweeps import training_reminders
from services.visits.risk_flags import risk_follow_up
from services.visits.sweeps import visit_due

log = logging.getLogger(__name__)

Sweep = Callable[[AsyncSession, PolicyPack, WorkCalendar, datetime, ZoneInfo], Awaitable[int]]
FAILED = -1  # run_all's count for a sweep that raised (and was rolled back)


@dataclass(frozen=True)
class NamedSweep:
    name: str
    run: Sweep


# The existing sweeps, each behind the one signature.


async def pending_approvals(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, now: datetime, zone: ZoneInfo
) -> int:
    done = await leave_sweeps.pending_approvals(session, pack, calendar, now)
    return done.reminded + done.escalated


async def unreturned(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, now: datetime, zone: ZoneInfo
) -> int:
    return (await leave_sweeps.unreturned(session, pack, now, zone)).reminded


async def emergency_paperwork(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, now: datetime, zone: ZoneInfo
) -> int:
    done = await leave_sweeps.emergency_paperwork(session, pack, now, zone)
    return done.reminded + done.escalated


async def close_out_of_post(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, now: datetime, zone: ZoneInfo
) -> int:
    return await leave_sweeps.close_out_of_post(session, now, zone)


async def expire_checks(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, now: datetime, zone: ZoneInfo
) -> int:
    return await spot_checks.expire_checks(session, pack, now)


async def visits_due(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, now: datetime, zone: ZoneInfo
) -> int:
    return await visit_due(session, pack, calendar, now, zone)


# The supervision calendar (issue #6): training, half-year reports, meetings, unit duties,
# term end. Each takes the calendar so it goes out on a working day.


async def trainings_due(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, now: datetime, zone: ZoneInfo
) -> int:
    return (await training_reminders(session, pack, now, zone, calendar)).reminded


async def half_year_reports_due(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, now: datetime, zone: ZoneInfo
) -> int:
    return (await half_year_reports(session, pack, now, zone, calendar)).reminded


async def leader_meeting(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, now: datetime, zone: ZoneInfo
) -> int:
    return (await calendar_reminders.leader_meeting(session, pack, now, zone, calendar)).reminded


async def unit_duties(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, now: datetime, zone: ZoneInfo
) -> int:
    return (await calendar_reminders.unit_duties(session, pack, now, zone, calendar)).reminded


async def term_end(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, now: datetime, zone: ZoneInfo
) -> int:
    return (await calendar_reminders.term_end(session, pack, now, zone, calendar)).reminded


SWEEPS: list[NamedSweep] = [
    # First: a departed cadre's requests are closed before anyone is reminded of them.
    NamedSweep("close_out_of_post", close_out_of_post),
    NamedSweep("pending_approvals", pending_approvals),
    NamedSweep("unreturned", unreturned),
    NamedSweep("emergency_paperwork", emergency_paperwork),
    NamedSweep("expire_checks", expire_checks),
    NamedSweep("draft_sheets", attendance.draft_sheets),
    NamedSweep("visit_due", visits_due),
    NamedSweep("risk_follow_up", risk_follow_up),
    NamedSweep("monthly_dispatch", monthly_dispatch),
    NamedSweep("training", trainings_due),
    NamedSweep("half_year_reports", half_year_reports_due),
    NamedSweep("leader_meeting", leader_meeting),
    NamedSweep("unit_duties", unit_duties),
    NamedSweep("term_end", term_end),
    NamedSweep("holidays_unknown", holidays_unknown),
]


async def run_all(
    sessions: async_sessionmaker[AsyncSession],
    pack: PolicyPack,
    now: datetime,
    zone: ZoneInfo,
    *,
    sweeps: Sequence[NamedSweep] | None = None,
) -> dict[str, int]:
    """Run every sweep as of ``now``, each in its own transaction, committed when it ends.
    A sweep that raises is rolled back and logged (its name and the exception's class:
    the message may quote personal data) and the others still run; its count is
    ``FAILED``. Returns each sweep's count, by name, in order."""
    async with UnitOfWork(sessions) as uow:
        calendar = await load_calendar(uow.session)
    counts: dict[str, int] = {}
    for sweep in SWEEPS if sweeps is None else sweeps:
        try:
            async with UnitOfWork(sessions) as uow:
                counts[sweep.name] = await sweep.run(uow.session, pack, calendar, now, zone)
                await uow.commit()
        except Exception as exc:  # one sweep's failure must not stop the others
            log.error("sweep %s failed: %s", sweep.name, type(exc).__name__)
            counts[sweep.name] = FAILED
    return counts
