"""The supervision calendar's time: periods of a cadence ("2026H2") and when a reminder
may go out (the pack's ``schedule``: from its hour, on a working day).

A sweep finds what is due from the data and names each message by a dedup key that holds
the period, so run twice, late, or by two processes at once it queues each message once
(``outbox.enqueue_many`` skips a key the outbox has).
"""

from __future__ import annotations

import calendar as stdlib_calendar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Self

from services.calendar import WorkCalendar
from services.policy import Cadence, PolicyPack


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

    @classmethod
    def of(cls, cadence: Cadence, day: date) -> Self:
        return cls(cadence, day.year, (day.month - 1) // cadence.months + 1)

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
        return Period.of(self.cadence, add_months(self.first_day, -self.cadence.months))

    def in_first_month(self, day: date) -> bool:
        return (day.year, day.month) == (self.first_day.year, self.first_day.month)

    def in_last_month(self, day: date) -> bool:
        return (day.year, day.month) == (self.last_day.year, self.last_day.month)
