"""The doctor's checks of what the database holds: the calendar's known years and the
outbox's backlog. They read, never write."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from locales import Translator
from models.enums import OutboxState
from services.calendar import WorkCalendar, list_overrides
from services.messaging import outbox_status
from services.operations.checks import Check, ok, warn

BACKLOG_AGE = timedelta(minutes=15)  # older pending rows mean no relay is sending


def check_calendar(
    today: date,
    known: Callable[[int], bool],
    set_by_hand: dict[int, int],
    t: Translator,
    recorded: Callable[[int], bool] = lambda year: False,
) -> list[Check]:
    """``known(year)``: the Chinese calendar has that year's holidays; ``set_by_hand``:
    overrides per year (``zhucun calendar set`` or ``import``); ``recorded(year)``: the
    overrides hold that year's holidays (``WorkCalendar.holidays_known``)."""
    out = []
    for year in (today.year, today.year + 1):
        if known(year):
            out.append(ok(t("calendar: the Chinese calendar knows {year}'s holidays", year=year)))
            continue
        days = set_by_hand.get(year, 0)
        if recorded(year):
            out.append(
                ok(t("calendar: {year}'s holidays recorded ({days} day(s))", year=year, days=days))
            )
            continue
        by_hand = t("; {days} day(s) set by hand", days=days) if days else ""
        out.append(
            warn(
                t(
                    "calendar: no official holidays for {year} (Monday–Friday is assumed{by_hand})",
                    year=year,
                    by_hand=by_hand,
                ),
                t(
                    "record the State Council's notice on {year}'s holidays: "
                    "zhucun calendar import FILE (or upgrade chinesecalendar once it has them)",
                    year=year,
                ),
            )
        )
    return out


async def calendar_checks(session: AsyncSession, today: date, t: Translator) -> list[Check]:
    by_year: dict[int, int] = {}
    overrides = await list_overrides(session)
    for override in overrides:
        by_year[override.day.year] = by_year.get(override.day.year, 0) + 1
    calendar = WorkCalendar({o.day: o.kind for o in overrides})
    return check_calendar(
        today, calendar.is_known_year, by_year, t, recorded=calendar.holidays_known
    )


def _age(delta: timedelta, t: Translator) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes >= 60:
        return t("{hours} h {minutes} min", hours=minutes // 60, minutes=minutes % 60)
    return t("{minutes} min", minutes=minutes)


async def outbox_checks(session: AsyncSession, now: datetime, t: Translator) -> list[Check]:
    status = await outbox_status.status(session, now, limit=1)
    pending = status.counts[OutboxState.PENDING]
    age = status.oldest_pending_age
    out = []
    if pending and age is not None and age > BACKLOG_AGE:
        out.append(
            warn(
                t(
                    "outbox: {pending} message(s) waiting, the oldest for {age}",
                    pending=pending,
                    age=_age(age, t),
                ),
                t("is `zhucun run` running? `zhucun outbox status` lists them"),
            )
        )
    else:
        oldest = (
            t(", the oldest for {age}", age=_age(age, t)) if pending and age is not None else ""
        )
        out.append(
            ok(t("outbox: {pending} message(s) waiting{oldest}", pending=pending, oldest=oldest))
        )
    dead = status.counts[OutboxState.DEAD]
    if dead:
        out.append(
            warn(
                t("outbox: {dead} message(s) could not be delivered (dead)", dead=dead),
                t("`zhucun outbox status` says why; `zhucun outbox retry --dead` once fixed"),
            )
        )
    uncertain = status.counts[OutboxState.UNCERTAIN]
    if uncertain:
        out.append(
            warn(
                t(
                    "outbox: {uncertain} message(s) may or may not have arrived (uncertain)",
                    uncertain=uncertain,
                ),
                t("`zhucun outbox status`; `zhucun outbox retry --uncertain` if they did not"),
            )
        )
    return out
