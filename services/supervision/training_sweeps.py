"""Training reminders (the rules: ``services.supervision.training``).

- The year: from the pack's ``remind_from_month`` (July), a cadre in post whose year's
  training is not on record is reminded once a month (``training-year:{cadre}:{YYYY-MM}``),
  until it is.
- The term: from ``term_county_training_months_before_end`` months before the term ends, a
  cadre without the term's ``county_training_per_term`` trainings (县级以上, ganzhou Art.28)
  is reminded once a month, months counted from the day the window opened
  (``training-term:{cadre}:{term_end}:{n}``); the county leading group office is told once
  per batch of cadres ending their term the same day. Packs with no per-term minimum skip it.

Due from the pack's office hour on a working day; a run after downtime sends the month's
reminder once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.presence import Training
from models.tables import ApproverPost, Cadre, ChannelAccount, Person, Team, Township, Village
from services.calendar import WorkCalendar
from services.leave.sweeps import SweepResult
from services.messaging import outbox, templates
from services.periods import add_months, due_now
from services.policy import PolicyPack
from services.roster.accounts import accounts_of, reachable_on
from services.roster.jurisdiction import post_holders
from services.supervision.training import OFFICE, TERM_LEVELS


class YearDueParams(TypedDict):
    year: int
    sessions: int
    days: int
    need_sessions: int | None
    need_days: int | None


class TermDueParams(TypedDict):
    term_end: str
    required: int


class TermCadre(TypedDict):
    name: str
    village: str
    township: str


class TermOfficeParams(TermDueParams):
    cadres: list[TermCadre]


templates.declare("training.year_due", YearDueParams)
templates.declare("training.term_due", TermDueParams)
templates.declare("training.term_office", TermOfficeParams)


def _in_post(today: date) -> Any:
    return (col(Cadre.term_start) <= today) & (col(Cadre.term_end) >= today)


async def _year_due(session: AsyncSession, pack: PolicyPack, today: date) -> list[outbox.Message]:
    """Cadres in post whose year's training is not (yet) on record: one message this month."""
    trained = (
        select(
            col(Training.cadre_id).label("cadre_id"),
            func.count().label("sessions"),
            func.sum(col(Training.days)).label("days"),
        )
        .where(col(Training.day) >= date(today.year, 1, 1), col(Training.day) <= today)
        .group_by(col(Training.cadre_id))
        .subquery()
    )
    sessions = func.coalesce(trained.c.sessions, 0)
    days = func.coalesce(trained.c.days, 0)
    need_sessions = pack.training.min_sessions_per_year or 1
    need_days = pack.training.min_days_per_year
    short = sessions < need_sessions
    if need_days is not None:
        short = or_(short, days < need_days)
    rows = await session.exec(
        select(col(Cadre.id), ChannelAccount, sessions, days)
        .select_from(Cadre)
        .join(ChannelAccount, reachable_on(person_id=col(Cadre.person_id)))
        .outerjoin(trained, trained.c.cadre_id == col(Cadre.id))
        .where(_in_post(today), short)
        .order_by(col(Cadre.id))
    )
    month = f"{today.year}-{today.month:02d}"
    out: list[outbox.Message] = []
    for cadre_id, account, n, d in rows.all():
        params: dict[str, Any] = {"year": today.year, "sessions": int(n), "days": int(d)}
        params |= {"need_sessions": need_sessions, "need_days": need_days}
        key = f"training-year:{cadre_id}:{month}"
        if message := outbox.message_to(account, key, "training.year_due", params):
            out.append(message)
    return out


def months_since(start: date, today: date) -> int:
    """Whole months from ``start`` to ``today`` (a month is up on the same day of the month)."""
    n = (today.year - start.year) * 12 + today.month - start.month
    return n - 1 if add_months(start, n) > today else n


async def _term_due(session: AsyncSession, pack: PolicyPack, today: date) -> list[outbox.Message]:
    required = pack.training.county_training_per_term
    if not required:
        return []
    months = pack.training.term_county_training_months_before_end
    counted = (
        select(col(Training.cadre_id).label("cadre_id"), func.count().label("n"))
        .join(Cadre, col(Cadre.id) == col(Training.cadre_id))
        .where(
            col(Training.day) >= col(Cadre.term_start),
            col(Training.day) <= col(Cadre.term_end),
            col(Training.level).in_(TERM_LEVELS),
        )
        .group_by(col(Training.cadre_id))
        .subquery()
    )
    rows = await session.exec(
        select(Cadre, Person, Village, Township)
        .join(Person, col(Person.id) == col(Cadre.person_id))
        .join(Team, col(Team.id) == col(Cadre.team_id))
        .join(Village, col(Village.id) == col(Team.village_id))
        .join(Township, col(Township.id) == col(Village.township_id))
        .outerjoin(counted, counted.c.cadre_id == col(Cadre.id))
        .where(
            _in_post(today),
            # A little past the window, for month-end clamping; refined below.
            col(Cadre.term_end) <= add_months(today, months) + timedelta(days=3),
            func.coalesce(counted.c.n, 0) < required,
        )
        .order_by(col(Cadre.term_end), col(Village.name), col(Cadre.id))
    )
    found = rows.all()
    # Everyone is listed to the offices; only those with an account are written to.
    reach = await accounts_of(session, [cadre.person_id for cadre, *_ in found])
    out: list[outbox.Message] = []
    batches: dict[tuple[int, date], list[dict[str, str]]] = defaultdict(list)
    for cadre, person, village, township in found:
        opened = add_months(cadre.term_end, -months)
        if today < opened:
            continue
        params = {"term_end": cadre.term_end.isoformat(), "required": required}
        key = f"training-term:{cadre.id}:{cadre.term_end}:{months_since(opened, today)}"
        if message := outbox.message_to(
            reach.get(cadre.person_id), key, "training.term_due", params
        ):
            out.append(message)
        batches[(township.county_id, cadre.term_end)].append(
            {"name": person.name, "village": village.name, "township": township.name}
        )
    office = await post_holders(
        session, OFFICE, ApproverPost.county_id, sorted({c for c, _ in batches})
    )
    for (county, term_end), cadres in batches.items():
        for holder in office.get(county, []):
            key = f"training-term-office:{county}:{term_end}:{holder.person_id}"
            params = {"term_end": term_end.isoformat(), "required": required, "cadres": cadres}
            if message := outbox.message_to(holder, key, "training.term_office", params):
                out.append(message)
    return out


async def training_reminders(
    session: AsyncSession,
    pack: PolicyPack,
    now: datetime,
    zone: ZoneInfo,
    calendar: WorkCalendar | None = None,
) -> SweepResult:
    """Sweep: the year's training from ``remind_from_month``, the term's county-level
    training in its last months. Due from the pack's office hour on a working day."""
    local = now.astimezone(zone)
    if not due_now(pack, calendar or WorkCalendar(), local):
        return SweepResult()
    today = local.date()
    messages: list[outbox.Message] = []
    if today.month >= pack.training.remind_from_month:
        messages += await _year_due(session, pack, today)
    messages += await _term_due(session, pack, today)
    return SweepResult(reminded=await outbox.enqueue_many(session, messages, now=now))
