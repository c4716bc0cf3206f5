"""Visit reminders (ganzhou Art.12, the pack's visits.reminders): first when four weeks of
the quarter remain, then weekly, every two days in the last week; one message per cadre
listing the households still due; once per slot, however often or late the sweep runs;
stopped by a counted visit."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.notices import render
from locales import Catalogs
from models.enums import VisitMode
from models.tables import Pairing
from models.workflow import OutboxMessage, Visit
from services.calendar import WorkCalendar
from services.clock import FixedClock
from services.periods import Period
from services.policy_loading import load_pack
from services.visits.sweeps import slot_opening, visit_due
from tests.factories import (
    bind_telegram,
    block_telegram,
    seed_roster,
    telegram_chat,
    unbind_telegram,
)
from tests.presence_factories import ZONE, local
from tests.visit_factories import VisitWorld, seed_visit_world

GANZHOU = load_pack("ganzhou-2021")
Q4 = Period.quarter(2026, 4)
D = date


@pytest.mark.parametrize(
    ("today", "opened"),
    [
        (D(2026, 11, 23), None),  # more than four weeks left
        (D(2026, 12, 3), None),  # 29 days left
        (D(2026, 12, 4), D(2026, 12, 4)),  # 28 days left: the first reminder
        (D(2026, 12, 10), D(2026, 12, 4)),
        (D(2026, 12, 11), D(2026, 12, 11)),  # weekly
        (D(2026, 12, 17), D(2026, 12, 11)),
        (D(2026, 12, 18), D(2026, 12, 18)),
        (D(2026, 12, 24), D(2026, 12, 18)),  # 8 days left: still the weekly slot
        (D(2026, 12, 25), D(2026, 12, 25)),  # the last week: every two days
        (D(2026, 12, 26), D(2026, 12, 25)),
        (D(2026, 12, 27), D(2026, 12, 27)),
        (D(2026, 12, 29), D(2026, 12, 29)),
        (D(2026, 12, 30), D(2026, 12, 29)),
        (D(2026, 12, 31), D(2026, 12, 31)),
        (D(2027, 1, 1), None),  # another quarter
    ],
)
def test_slots(today: date, opened: date | None) -> None:
    assert slot_opening(GANZHOU, Q4, today) == opened


@pytest.fixture
async def world(session: AsyncSession, clock: FixedClock) -> VisitWorld:
    """下寨村's three cadres and 洋塘村's 赵敏, all registered; pairings made 2026-11-23."""
    roster = await seed_roster(session, clock.now())
    found = await seed_visit_world(session, roster, clock.now())
    for number, person in enumerate(found.people.values(), start=1):
        bind_telegram(session, person, 9000 + number)
    await session.flush()
    return found


async def reminders(session: AsyncSession) -> list[OutboxMessage]:
    rows = await session.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.template) == "visit.due")
        .order_by(col(OutboxMessage.id))
    )
    return list(rows.all())


def households(row: OutboxMessage) -> list[str]:
    return [h["name"] for h in json.loads(row.params)["households"]]


async def sweep(session: AsyncSession, at: datetime) -> int:
    return await visit_due(session, GANZHOU, WorkCalendar(), at, ZONE)


async def test_fires_at_its_moment_once_per_cadre(session: AsyncSession, world: VisitWorld) -> None:
    assert await sweep(session, local(D(2026, 12, 3), 10)) == 0  # 29 days left
    assert await sweep(session, local(D(2026, 12, 4), 7, 59)) == 0  # not before the morning
    assert await sweep(session, local(D(2026, 12, 4), 8)) == 4  # 王芳, 李强, 张伟, 赵敏
    assert await sweep(session, local(D(2026, 12, 4), 8, 1)) == 0  # run twice: once
    assert await sweep(session, local(D(2026, 12, 10), 18)) == 0  # same slot, later
    rows = await reminders(session)
    wang = world.people["王芳"]
    (mine,) = [r for r in rows if r.person_id == wang.id]
    assert mine.chat_id == await telegram_chat(session, wang)  # a private chat
    assert mine.dedup_key == f"visit-due:{world.cadres['王芳'].id}:2026Q4:2026-12-04"
    assert households(mine) == ["张伟明", "李秀英"]  # one message, both households
    params = json.loads(mine.params)
    assert params["days_left"] == 28 and params["last_day"] == "2026-12-31"
    text = render("visit.due", Catalogs().get("zh"), params).text
    assert "张伟明" in text and "李秀英" in text and "2026年12月31日" in text
    english = render("visit.due", Catalogs().get("en"), params).text
    assert "28 days left" in english and "/visit" in english


async def test_clears_when_the_visit_is_logged(session: AsyncSession, world: VisitWorld) -> None:
    assert await sweep(session, local(D(2026, 12, 4), 9)) == 4
    wang = world.cadres["王芳"].id
    assert wang is not None

    async def visit(name: str, mode: VisitMode, day: date) -> None:
        household = world.households[name].id
        assert household is not None
        session.add(Visit(household_id=household, cadre_id=wang, visited_at=local(day), mode=mode))
        await session.flush()

    await visit("张伟明", VisitMode.IN_PERSON, D(2026, 12, 5))
    await visit("李秀英", VisitMode.PHONE, D(2026, 12, 6))  # recorded, not counted
    assert await sweep(session, local(D(2026, 12, 11), 9)) == 4
    latest = [r for r in await reminders(session) if r.dedup_key.endswith("2026-12-11")]
    (mine,) = [r for r in latest if r.person_id == world.people["王芳"].id]
    assert households(mine) == ["李秀英"]  # the visited household dropped out
    await visit("李秀英", VisitMode.IN_PERSON, D(2026, 12, 12))
    assert await sweep(session, local(D(2026, 12, 18), 9)) == 3  # 王芳 is done
    latest = [r for r in await reminders(session) if r.dedup_key.endswith("2026-12-18")]
    assert world.people["王芳"].id not in {r.person_id for r in latest}


async def test_an_outage_sends_the_current_slot_once(
    session: AsyncSession, world: VisitWorld
) -> None:
    assert await sweep(session, local(D(2026, 12, 24), 10)) == 4  # slot 12-18
    # Down from 12-24 10:00 to 12-28 10:00: the slot of 12-25 was missed, 12-27's is open.
    for minutes in range(0, 180, 60):
        await sweep(session, local(D(2026, 12, 28), 10) + timedelta(minutes=minutes))
    keys = [r.dedup_key.rsplit(":", 1)[1] for r in await reminders(session)]
    assert sorted(set(keys)) == ["2026-12-18", "2026-12-27"]
    assert keys.count("2026-12-27") == 4  # one per cadre, once


async def test_who_is_not_reminded(session: AsyncSession, world: VisitWorld) -> None:
    zhang = world.people["张伟"]
    await unbind_telegram(session, zhang)  # not registered: cannot be written to
    li = world.people["李强"]
    await block_telegram(session, li, local(D(2026, 12, 1)))  # blocked the bot
    # 赵敏's pairing ended: nothing due for 赵敏.
    pairing = (
        await session.exec(select(Pairing).where(col(Pairing.cadre_id) == world.cadres["赵敏"].id))
    ).one()
    pairing.ended_at = local(D(2026, 12, 1))
    session.add(pairing)
    # 王芳's term ends before the reminders start.
    wang = world.cadres["王芳"]
    wang.term_end = D(2026, 12, 2)
    session.add(wang)
    await session.flush()
    assert await sweep(session, local(D(2026, 12, 4), 9)) == 0


async def test_a_slot_opening_on_a_sunday_waits_for_monday(
    session: AsyncSession, world: VisitWorld
) -> None:
    """2026-12-27, a Sunday, opens a last-week slot: nothing goes that day, and on Monday
    (still within the slot) its reminder does, under the Sunday's key."""
    assert await sweep(session, local(D(2026, 12, 27), 10)) == 0
    assert await sweep(session, local(D(2026, 12, 28), 7, 59)) == 0  # before the cadre hour
    assert await sweep(session, local(D(2026, 12, 28), 8)) == 4
    keys = {row.dedup_key.rsplit(":", 1)[1] for row in await reminders(session)}
    assert keys == {"2026-12-27"}
