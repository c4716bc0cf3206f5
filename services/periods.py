"""Periods of the calendar and when a reminder may go out.

A period is one month, quarter, half-year or year of a cadence ("2026-11", "2026Q4",
"2026H2", "2026"): visit coverage counts by quarter, the supervision calendar by the pack's
cadences, and one type serves both so a label, a first or last day and an instant's period
mean the same everywhere. Instants are read in the deployment's zone, which the caller
passes: nothing here assumes one.

A reminder may go out from the pack's ``schedule`` hour (office or cadre), on a working day
where the reminder can wait for one (the Chinese calendar with the deployment's overrides).
A sweep finds what is due from the data and names each message by a dedup key that holds
the period, so run twice, late, or by two processes at once it queues each message once
(``outbox.enqueue_many`` skips a key the outbox has).
"""

from __future__ import annotations

import calendar as stdlib_calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Self
from zoneinfo import ZoneInfo

from services.calendar import WorkCalendar
from services.errors import DomainError
from services.policy import Cadence, PolicyPack

# Each cadence's written form; the separator is optional ("2026Q4", "2026-q4", "2026 Q4").
_PATTERNS = {
    Cadence.QUARTERLY: re.compile(r"^(\d{4})\s*[-/ ]?\s*[Qq]\s*([1-4])$"),
    Cadence.HALF_YEAR: re.compile(r"^(\d{4})\s*[-/ ]?\s*[Hh]\s*([12])$"),
    Cadence.MONTHLY: re.compile(r"^(\d{4})\s*[-/]\s*(0?[1-9]|1[0-2])$"),
    Cadence.YEARLY: re.compile(r"^(\d{4})()$"),
}


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, stdlib_calendar.monthrange(year, month)[1]))


def due_now(pack: PolicyPack, calendar: WorkCalendar, local: datetime) -> bool:
    """Office reminders go out from the pack's office hour on a working day, never at night
    or on a holiday."""
    return local.hour >= pack.schedule.office_hour and calendar.is_workday(local.date())


def cadre_due_now(pack: PolicyPack, local: datetime) -> bool:
    """A cadre's own reminders go out from the pack's cadre hour, any day."""
    return local.hour >= pack.schedule.cadre_hour


def visit_due_now(pack: PolicyPack, calendar: WorkCalendar, local: datetime) -> bool:
    """Visit reminders: from the cadre hour, on a working day unless the pack says any day."""
    workday = calendar.is_workday(local.date()) or not pack.schedule.visits_on_working_days
    return cadre_due_now(pack, local) and workday


@dataclass(frozen=True, order=True)
class Period:
    """One period of a cadence: a month, a quarter, a half-year or a year."""

    cadence: Cadence
    year: int
    index: int  # 1-based: the month, the quarter, the half (1 or 2), or 1 for the year

    def __post_init__(self) -> None:
        if not 1 <= self.index <= 12 // self.cadence.months:
            raise ValueError(f"{self.cadence.value} period {self.index} of {self.year}")

    @classmethod
    def quarter(cls, year: int, number: int) -> Self:
        return cls(Cadence.QUARTERLY, year, number)

    @classmethod
    def parse(cls, text: str, cadence: Cadence | None = None) -> Self:
        """ "2026Q4", "2026H2", "2026-11" or "2026"; with ``cadence``, only that one's form."""
        cleaned = (text or "").strip()
        for kind, pattern in _PATTERNS.items():
            found = pattern.match(cleaned)
            if found is not None and cadence in (None, kind):
                return cls(kind, int(found.group(1)), int(found.group(2) or 1))
        # The code names the form the user was asked for, so the answer can show it.
        code = "quarter_invalid" if cadence is Cadence.QUARTERLY else "period_invalid"
        raise DomainError(code, text=text)

    @classmethod
    def of_day(cls, cadence: Cadence, day: date) -> Self:
        return cls(cadence, day.year, (day.month - 1) // cadence.months + 1)

    @classmethod
    def of(cls, cadence: Cadence, instant: datetime, zone: ZoneInfo) -> Self:
        """The period an instant falls in, on the deployment's calendar."""
        return cls.of_day(cadence, instant.astimezone(zone).date())

    @property
    def first_day(self) -> date:
        return date(self.year, (self.index - 1) * self.cadence.months + 1, 1)

    @property
    def last_day(self) -> date:
        month = self.index * self.cadence.months
        return date(self.year, month, stdlib_calendar.monthrange(self.year, month)[1])

    @property
    def label(self) -> str:
        """2026-11, 2026Q4, 2026H2, 2026: short enough for a dedup key and a column."""
        return {
            Cadence.MONTHLY: f"{self.year}-{self.index:02d}",
            Cadence.QUARTERLY: f"{self.year}Q{self.index}",
            Cadence.HALF_YEAR: f"{self.year}H{self.index}",
            Cadence.YEARLY: f"{self.year}",
        }[self.cadence]

    def previous(self) -> Period:
        return Period.of_day(self.cadence, add_months(self.first_day, -self.cadence.months))

    @property
    def next(self) -> Period:
        return Period.of_day(self.cadence, add_months(self.first_day, self.cadence.months))

    def start(self, zone: ZoneInfo) -> datetime:
        """The first instant of the period, in UTC."""
        return datetime.combine(self.first_day, time(0), tzinfo=zone).astimezone(UTC)

    def end(self, zone: ZoneInfo) -> datetime:
        """The first instant after the period, in UTC (exclusive)."""
        return self.next.start(zone)

    def contains(self, instant: datetime, zone: ZoneInfo) -> bool:
        return self.start(zone) <= instant < self.end(zone)

    def days_left(self, now: datetime, zone: ZoneInfo) -> int:
        """Days still open, today included; 0 once the period is over."""
        today = now.astimezone(zone).date()
        if today > self.last_day:
            return 0
        return (self.last_day - max(today, self.first_day)).days + 1

    def in_first_month(self, day: date) -> bool:
        return (day.year, day.month) == (self.first_day.year, self.first_day.month)

    def in_last_month(self, day: date) -> bool:
        return (day.year, day.month) == (self.last_day.year, self.last_day.month)

    def __str__(self) -> str:
        return self.label
