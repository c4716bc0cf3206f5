"""Helpers for the supervision-calendar tests: the seed roster with everyone registered,
trainings and terms written straight in, sweeps run as the scheduler runs them, and the
outbox rows they leave."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import GroupScope, UnitLevel
from models.presence import Training
from models.tables import GroupChat
from models.workflow import OutboxMessage
from services.calendar import WorkCalendar
from services.clock import FixedClock
from services.leave.sweeps import SweepResult
from services.policy import PolicyPack
from tests.factories import Roster, seed_roster
from tests.presence_factories import local, register_everyone

ZONE = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkCalendar()

SweepFn = Callable[..., Awaitable[SweepResult]]


async def world(session: AsyncSession, clock: FixedClock, *, registered: bool = True) -> Roster:
    roster = await seed_roster(session, clock.now())
    if registered:
        await register_everyone(session, roster)
    await session.commit()
    return roster


def at(clock: FixedClock, day: date, hour: int = 9, minute: int = 0) -> datetime:
    """Move the clock to that local (Beijing) time and return it."""
    clock.set(local(day, hour, minute))
    return clock.now()


async def sweep(session: AsyncSession, fn: SweepFn, pack: PolicyPack, clock: FixedClock) -> int:
    """One run of a sweep, committed, as a tick would do it: how many messages it queued."""
    done = await fn(session, pack, clock.now(), ZONE, CALENDAR)
    await session.commit()
    return done.reminded


async def rows(session: AsyncSession, template: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(col(OutboxMessage.id))
    if template is not None:
        query = query.where(col(OutboxMessage.template) == template)
    return list((await session.exec(query)).all())


def params(row: OutboxMessage) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(row.params)
    return loaded


async def recipients(session: AsyncSession, template: str) -> list[int | None]:
    return [r.person_id for r in await rows(session, template)]


async def add_training(
    session: AsyncSession,
    roster: Roster,
    name: str,
    day: date,
    level: UnitLevel = UnitLevel.COUNTY,
    days: int = 3,
) -> Training:
    cadre = roster.cadres[name]
    assert cadre.id is not None
    row = Training(cadre_id=cadre.id, day=day, level=level, days=days, topic="专题", at=local(day))
    session.add(row)
    await session.commit()
    return row


async def set_term_end(session: AsyncSession, roster: Roster, end: date) -> None:
    for cadre in roster.cadres.values():
        cadre.term_end = end
        session.add(cadre)
    await session.commit()


async def bind_county_group(session: AsyncSession, roster: Roster, chat_id: str = "-100500") -> str:
    session.add(
        GroupChat(
            chat_id=chat_id,
            title="赣县区驻村工作群",
            scope=GroupScope.COUNTY,
            county_id=roster.county.id,
            bound_at=local(date(2026, 1, 5)),
        )
    )
    await session.commit()
    return chat_id
