"""What the supervision-calendar sweeps share: periods of a cadence ("2026H2"), when a
reminder may go out (09:00 local on a working day), and sending a batch of messages once.

A sweep finds what is due from the data and names each message by a dedup key; ``send_new``
looks the keys up in one query and enqueues only the new ones, so a sweep run twice, late,
or by two processes at once sends each message once (the outbox's unique key settles a race).
"""

from __future__ import annotations

import calendar as stdlib_calendar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Self

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind
from models.tables import ApproverPost, Person
from models.workflow import OutboxMessage
from services.calendar import WorkCalendar
from services.messaging import outbox
from services.policy import Cadence

DUE_HOUR = 9


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, stdlib_calendar.monthrange(year, month)[1]))


def due_now(calendar: WorkCalendar, local: datetime) -> bool:
    """Reminders go out from 09:00 on a working day, never at night or on a holiday."""
    return local.hour >= DUE_HOUR and calendar.is_workday(local.date())


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


@dataclass(frozen=True)
class Outgoing:
    """One message a sweep wants sent once: to a person's private chat or to a group."""

    key: str
    chat_id: int
    template: str
    params: dict[str, Any]
    person_id: int | None = None
    is_group: bool = False
    ref: str | None = None


def to_person(person: Person, key: str, template: str, params: dict[str, Any]) -> Outgoing:
    assert person.telegram_user_id is not None and person.id is not None
    return Outgoing(key, person.telegram_user_id, template, params, person_id=person.id)


async def send_new(session: AsyncSession, messages: list[Outgoing], now: datetime) -> int:
    """Enqueue the messages whose keys the outbox has not seen; how many were added."""
    if not messages:
        return 0
    keys = [m.key for m in messages]
    seen: set[str] = set()
    for start in range(0, len(keys), 500):  # an IN list of bounded size
        chunk = keys[start : start + 500]
        found = await session.exec(
            select(OutboxMessage.dedup_key).where(col(OutboxMessage.dedup_key).in_(chunk))
        )
        seen.update(found.all())
    added = 0
    for message in messages:
        if message.key in seen:
            continue
        seen.add(message.key)
        added += await outbox.enqueue(
            session,
            key=message.key,
            chat_id=message.chat_id,
            person_id=message.person_id,
            is_group=message.is_group,
            template=message.template,
            params=message.params,
            now=now,
            ref=message.ref,
        )
    return added


def reachable() -> Any:
    """The condition on Person for someone the bot can write to."""
    return col(Person.telegram_user_id).is_not(None) & col(Person.blocked_bot_at).is_(None)


async def post_holders(
    session: AsyncSession, kind: ApproverKind, column: Any, ids: list[int]
) -> dict[int, list[Person]]:
    """Reachable holders of ``kind`` posts, by the id in ``column`` (ApproverPost.county_id,
    ApproverPost.unit_id), in one query."""
    out: dict[int, list[Person]] = {}
    if not ids:
        return out
    rows = await session.exec(
        select(column, Person)
        .join(Person, col(Person.id) == col(ApproverPost.person_id))
        .where(col(ApproverPost.kind) == kind, col(column).in_(ids), reachable())
        .order_by(col(Person.id))
    )
    for ident, person in rows.all():
        out.setdefault(int(ident), []).append(person)
    return out
