"""Visit reminders: a cadre whose paired households are not yet visited this quarter is
reminded, in a private chat, as the quarter's end comes near (ganzhou Art.12: at least one
visit a quarter; the cadence is the pack's ``visits.reminders``).

The quarter's last weeks are cut into *slots* counted back from its last day: the first
opens when ``first_weeks_before_quarter_end`` weeks remain, then one every ``every_days``
days, and in the last week one every ``every_days_last_week`` days. A slot is named by the
day it opens, so the dedup key ``visit-due:{cadre}:{2026Q4}:{2026-12-04}`` sends each slot's
reminder once: run twice, the second run finds the key; run after days of downtime, only the
slot open now is sent, never the ones missed. One message per cadre lists every household
still due; once a counted visit is logged the household drops out, and when none is left the
reminders stop by themselves.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Cadre, ChannelAccount, Household, Pairing
from models.workflow import Visit
from services.calendar import WorkCalendar
from services.messaging import outbox, templates
from services.periods import Period, visit_due_now
from services.policy import Cadence, PolicyPack
from services.roster.accounts import reachable_on
from services.visits.coverage import counted_modes

LAST_WEEK = 7
TEMPLATE = "visit.due"


class DueHousehold(TypedDict):
    name: str
    code: str


class DueParams(TypedDict):
    quarter: str
    last_day: str
    days_left: int
    min_per_quarter: int
    households: list[DueHousehold]


templates.declare(TEMPLATE, DueParams)


def slot_opening(pack: PolicyPack, quarter: Period, today: date) -> date | None:
    """The day the reminder slot containing ``today`` opened; None outside the window."""
    if not quarter.first_day <= today <= quarter.last_day:
        return None
    cadence = pack.visits.reminders
    left = (quarter.last_day - today).days + 1  # days still open, today included
    first = cadence.first_weeks_before_quarter_end * 7
    if left > first:
        return None
    if left > LAST_WEEK:  # the weekly part, counted from the window's opening
        opened_left = first - (first - left) // cadence.every_days * cadence.every_days
    else:
        start = min(first, LAST_WEEK)
        opened_left = start - (start - left) // cadence.every_days_last_week * (
            cadence.every_days_last_week
        )
    return quarter.last_day - timedelta(days=opened_left - 1)


def due_key(cadre_id: int, quarter: Period, opened: date) -> str:
    return f"visit-due:{cadre_id}:{quarter.label}:{opened.isoformat()}"


async def visit_due(
    session: AsyncSession, pack: PolicyPack, calendar: WorkCalendar, now: datetime, zone: ZoneInfo
) -> int:
    """Sweep: remind each cadre of the paired households not yet visited this quarter, once
    per slot, from the pack's cadre hour on a working day (a slot opening on a holiday is
    sent on the next working day while it lasts). Returns how many reminders were queued."""
    local = now.astimezone(zone)
    if not visit_due_now(pack, calendar, local):
        return 0
    today = local.date()
    quarter = Period.of(Cadence.QUARTERLY, now, zone)
    opened = slot_opening(pack, quarter, today)
    if opened is None:
        return 0
    start, end = quarter.start(zone), quarter.end(zone)
    # Counted visits this quarter, per pairing's cadre and household (one grouped subquery).
    counted = (
        select(
            col(Visit.cadre_id).label("cadre_id"),
            col(Visit.household_id).label("household_id"),
            func.count().label("visits"),
        )
        .where(
            col(Visit.visited_at) >= start,
            col(Visit.visited_at) < end,
            col(Visit.mode).in_(counted_modes(pack)),
        )
        .group_by(col(Visit.cadre_id), col(Visit.household_id))
        .subquery()
    )
    # Columns, not ORM objects: at national scale this is a million rows.
    connection = await session.connection()
    rows = await connection.execute(
        sa_select(
            col(Pairing.cadre_id),
            col(ChannelAccount.person_id),
            col(ChannelAccount.chat_id),
            col(ChannelAccount.channel),
            col(Household.head_name),
            col(Household.code),
        )
        .select_from(Pairing)
        .join(Cadre, col(Cadre.id) == col(Pairing.cadre_id))
        .join(ChannelAccount, reachable_on(person_id=col(Cadre.person_id)))
        .join(Household, col(Household.id) == col(Pairing.household_id))
        .outerjoin(
            counted,
            (counted.c.cadre_id == col(Pairing.cadre_id))
            & (counted.c.household_id == col(Pairing.household_id)),
        )
        .where(
            col(Pairing.started_at) < end,
            col(Pairing.ended_at).is_(None) | (col(Pairing.ended_at) > now),
            # A cadre out of post (term over or not begun) is not reminded.
            col(Cadre.term_start) <= today,
            col(Cadre.term_end) >= today,
            func.coalesce(counted.c.visits, 0) < pack.visits.min_per_quarter,
        )
        .order_by(col(Pairing.cadre_id), col(Household.code))
    )
    chats: dict[int, tuple[int, str, str]] = {}
    due: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for cadre_id, person_id, chat_id, channel, head_name, code in rows.all():
        assert person_id is not None and chat_id is not None
        chats[cadre_id] = (person_id, chat_id, channel)
        due[cadre_id].append({"name": head_name, "code": code})
    days_left = quarter.days_left(now, zone)
    # A slot already sent is skipped by its dedup key inside the INSERT.
    return await outbox.enqueue_many(
        session,
        (
            outbox.Message(
                key=due_key(cadre_id, quarter, opened),
                chat_id=chats[cadre_id][1],
                person_id=chats[cadre_id][0],
                channel=chats[cadre_id][2],
                template=TEMPLATE,
                params={
                    "quarter": quarter.label,
                    "last_day": quarter.last_day.isoformat(),
                    "days_left": days_left,
                    "min_per_quarter": pack.visits.min_per_quarter,
                    "households": households,
                },
            )
            for cadre_id, households in due.items()
        ),
        now=now,
    )
