"""Which days are working days: administrator overrides, then China's official calendar.

``chinesecalendar`` knows public holidays and make-up working days (调休) only for the
years the State Council has announced (up to 2026 in 1.11). Past that, a day is a working
day Monday to Friday until an administrator records the new year's holidays with
``zhucun calendar import`` (the State Council's notice, ``services.holiday_notice``) or
``zhucun calendar set``; the fallback is logged once per year so nobody is surprised, and the
county posts are told in December when next year is still unknown.
"""

from __future__ import annotations

import calendar as stdlib_calendar
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING

import chinese_calendar

from models.enums import DayKind
from services.errors import DomainError

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from models.tables import CalendarOverride

log = logging.getLogger(__name__)

#: Longest note the table holds (``calendar_overrides.note`` is String(100)).
MAX_NOTE_CHARS = 100

# Years already warned about in this process: the warning is for the operator, once is enough.
_warned_years: set[int] = set()


class DaySource(StrEnum):
    """What decided whether a day is a working day."""

    OVERRIDE = "override"
    CHINESE_CALENDAR = "chinese_calendar"
    WEEKDAY_FALLBACK = "weekday_fallback"


@dataclass(frozen=True)
class DayOverride:
    """An administrator's override, detached from the session that read it."""

    day: date
    kind: DayKind
    note: str
    set_at: datetime

    @classmethod
    def of(cls, row: CalendarOverride) -> DayOverride:
        return cls(row.day, row.kind, row.note, row.set_at)


@dataclass(frozen=True)
class DayInfo:
    day: date
    workday: bool
    source: DaySource
    holiday_name: str | None = None  # chinese_calendar's English name, e.g. "National Day"


@lru_cache(maxsize=64)
def _known_year(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class WorkCalendar:
    """Working days, pure: built from the overrides, asks no database."""

    def __init__(self, overrides: Mapping[date, DayKind] | None = None) -> None:
        self._overrides: dict[date, DayKind] = dict(overrides or {})

    @property
    def overrides(self) -> Mapping[date, DayKind]:
        return dict(self._overrides)

    def is_known_year(self, year: int) -> bool:
        """Whether the Chinese calendar has holiday data for ``year``."""
        return _known_year(year)

    def holidays_known(self, year: int) -> bool:
        """Whether ``year``'s official holidays are known: to the Chinese calendar, or
        recorded here (a year's notice always has 元旦, so any holiday override counts)."""
        return _known_year(year) or any(
            day.year == year and kind is DayKind.HOLIDAY for day, kind in self._overrides.items()
        )

    def explain(self, day: date) -> DayInfo:
        kind = self._overrides.get(day)
        if kind is not None:
            return DayInfo(day, kind is DayKind.WORKDAY, DaySource.OVERRIDE)
        if _known_year(day.year):
            # The name is None on ordinary days; on a make-up working day (调休) it names
            # the holiday the day was traded for.
            _, name = chinese_calendar.get_holiday_detail(day)
            workday = chinese_calendar.is_workday(day)
            return DayInfo(day, workday, DaySource.CHINESE_CALENDAR, name)
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "Chinese calendar has no data for %d; using Monday–Friday plus overrides "
                "(zhucun calendar import FILE, or zhucun calendar set YYYY-MM-DD holiday|workday)",
                day.year,
            )
        return DayInfo(day, day.weekday() < 5, DaySource.WEEKDAY_FALLBACK)

    def is_workday(self, day: date) -> bool:
        return self.explain(day).workday

    def working_days(self, start: date, end: date) -> int:
        """Working days from ``start`` to ``end``, both included; 0 when ``end < start``."""
        count = 0
        day = start
        while day <= end:
            count += self.is_workday(day)
            day += timedelta(days=1)
        return count

    def workdays_in_month(self, year: int, month: int) -> int:
        last = stdlib_calendar.monthrange(year, month)[1]
        return self.working_days(date(year, month, 1), date(year, month, last))

    def first_working_day(self, year: int, month: int) -> date:
        day = date(year, month, 1)
        while not self.is_workday(day):
            day += timedelta(days=1)
            if day.month != month:
                raise DomainError("calendar_no_workday", year=year, month=month)
        return day


# The database functions import SQLModel and the tables when called: WorkCalendar is on the
# policy pack's path (``zhucun policy route``), which must start without the ORM.


async def load_calendar(session: AsyncSession) -> WorkCalendar:
    from sqlmodel import select

    from models.tables import CalendarOverride

    rows = await session.exec(select(CalendarOverride))
    return WorkCalendar({row.day: row.kind for row in rows})


async def set_day(
    session: AsyncSession, day: date, kind: DayKind, note: str, now: datetime
) -> DayOverride:
    """Record (or replace) the administrator's word on ``day``; the caller commits."""
    from models.tables import CalendarOverride

    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise DomainError("calendar_note_too_long", max=MAX_NOTE_CHARS, length=len(note))
    row = await session.get(CalendarOverride, day)
    if row is None:
        row = CalendarOverride(day=day, kind=kind, note=note, set_at=now)
    else:
        row.kind, row.note, row.set_at = kind, note, now
    session.add(row)
    await session.flush()
    return DayOverride.of(row)


async def unset_day(session: AsyncSession, day: date) -> bool:
    """Forget the override on ``day``; False when there was none. The caller commits."""
    from models.tables import CalendarOverride

    row = await session.get(CalendarOverride, day)
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def list_overrides(session: AsyncSession, year: int | None = None) -> list[DayOverride]:
    from sqlmodel import col, select

    from models.tables import CalendarOverride

    query = select(CalendarOverride).order_by(col(CalendarOverride.day))
    if year is not None:
        query = query.where(
            col(CalendarOverride.day) >= date(year, 1, 1),
            col(CalendarOverride.day) <= date(year, 12, 31),
        )
    return [DayOverride.of(row) for row in await session.exec(query)]


async def get_override(session: AsyncSession, day: date) -> DayOverride | None:
    from models.tables import CalendarOverride

    row = await session.get(CalendarOverride, day)
    return None if row is None else DayOverride.of(row)
