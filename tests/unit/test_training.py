"""Training: recording one's own, an approver recording for several cadres, and the
reminders (the year's training from July; the term's county-level training in its last six
months), each at its moment, once, clearing when the training is on record."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.supervision.training_parse import Parsed, ParseError, parse
from models.enums import UnitLevel
from models.presence import Training
from services import audit
from services.clock import FixedClock
from services.errors import DomainError
from services.policy_loading import load_pack
from services.supervision.training import Course, my_trainings, record_for_names, record_own
from services.supervision.training_sweeps import months_since, training_reminders
from tests.factories import Roster, bind_telegram
from tests.presence_factories import cadre_id, person_id
from tests.schedule_factories import (
    ZONE,
    add_training,
    at,
    params,
    recipients,
    rows,
    set_term_end,
    sweep,
    world,
)

GANZHOU = load_pack("ganzhou-2021")
CENTRAL = load_pack("central-2017")
GUANGDONG = load_pack("guangdong-2016")
COURSE = Course(date(2026, 11, 20), UnitLevel.COUNTY, 3, "乡村振兴专题")


async def _own(session: AsyncSession, roster: Roster, clock: FixedClock, course: Course) -> None:
    await record_own(
        session, GANZHOU, cadre_id(roster, "王芳"), person_id(roster, "王芳"), course,
        clock.now(), ZONE,
    )  # fmt: skip


async def test_a_cadre_records_their_own_training(session: AsyncSession, clock: FixedClock) -> None:
    roster = await world(session, clock)
    await _own(session, roster, clock, COURSE)
    row = (await session.exec(select(Training))).one()
    assert (row.day, row.level, row.days, row.topic) == (
        date(2026, 11, 20),
        "county",
        3,
        COURSE.topic,
    )
    assert [e.action for e in await audit.trail(session, "training", row.id or 0)] == ["record"]
    assert await rows(session) == []  # recorded by herself: nobody else is told
    mine = await my_trainings(session, GANZHOU, cadre_id(roster, "王芳"), date(2026, 11, 23))
    assert (mine.year_sessions, mine.year_days, mine.year_ok) == (1, 3, True)
    assert (mine.term_counted, mine.term_required) == (1, 1)


@pytest.mark.parametrize(
    ("course", "code"),
    [
        (Course(date(2026, 11, 20), UnitLevel.COUNTY, 0), "training_days_invalid"),
        (Course(date(2026, 11, 20), UnitLevel.COUNTY, 61), "training_days_invalid"),
        (Course(date(2026, 11, 24), UnitLevel.COUNTY, 1), "training_in_future"),
        (Course(date(2024, 5, 1), UnitLevel.COUNTY, 1), "training_before_term"),
        (Course(date(2026, 11, 20), UnitLevel.CITY, 1, "题" * 201), "training_topic_too_long"),
    ],
)
async def test_a_training_that_cannot_be(
    session: AsyncSession, clock: FixedClock, course: Course, code: str
) -> None:
    roster = await world(session, clock)
    with pytest.raises(DomainError) as caught:
        await _own(session, roster, clock, course)
    assert caught.value.code == code


async def test_the_same_training_twice_is_refused(session: AsyncSession, clock: FixedClock) -> None:
    roster = await world(session, clock)
    await _own(session, roster, clock, COURSE)
    with pytest.raises(DomainError, match="training_duplicate"):
        await _own(session, roster, clock, COURSE)


async def test_an_approver_records_for_several_cadres(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await world(session, clock)
    await _own(session, roster, clock, COURSE)  # 王芳 already has it
    done = await record_for_names(
        session, GANZHOU, person_id(roster, "刘洋"), ["王芳", "李强", "张伟"], COURSE,
        clock.now(), ZONE,
    )  # fmt: skip
    assert [name for name, _ in done.trainings] == ["李强", "张伟"]
    assert done.skipped == ["王芳"]
    told = await rows(session, "training.recorded")
    assert [r.person_id for r in told] == [person_id(roster, "李强"), person_id(roster, "张伟")]
    assert params(told[0])["topic"] == COURSE.topic


async def test_names_not_covered_record_nobody(session: AsyncSession, clock: FixedClock) -> None:
    roster = await world(session, clock)
    with pytest.raises(DomainError) as caught:
        await record_for_names(
            session, GANZHOU, person_id(roster, "刘洋"), ["李强", "王五"], COURSE, clock.now(), ZONE
        )
    assert caught.value.code == "training_names_not_found"
    assert caught.value.params["names"] == "王五"
    assert (await session.exec(select(Training))).all() == []
    with pytest.raises(DomainError, match="post_required"):
        await record_for_names(
            session, GANZHOU, person_id(roster, "李强"), ["王芳"], COURSE, clock.now(), ZONE
        )


@pytest.mark.parametrize(
    ("args", "names", "course"),
    [
        ("2026-11-20 县 3 乡村振兴专题", [], COURSE),
        ("11月20日 county 3天 乡村振兴专题", [], COURSE),
        ("王芳、李强 ,张伟 10-01 省级 1", ["王芳", "李强", "张伟"],
         Course(date(2026, 10, 1), UnitLevel.PROVINCE, 1)),
        ("12-20 市 2 年终", [], Course(date(2025, 12, 20), UnitLevel.CITY, 2, "年终")),
        ("25日 市 2", [], Course(date(2026, 10, 25), UnitLevel.CITY, 2)),
    ],
)  # fmt: skip
def test_one_line_training(args: str, names: list[str], course: Course) -> None:
    assert parse(args, date(2026, 11, 23)) == Parsed(names, course)


@pytest.mark.parametrize(
    ("args", "part"),
    [
        ("县 3 专题", "date"),
        ("11-20 县", "missing"),
        ("11-20 乡 3", "level"),
        ("11-20 县 三", "days"),
    ],
)
def test_one_line_training_mistakes(args: str, part: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(args, date(2026, 11, 23))
    assert caught.value.part == part


def test_months_since_counts_whole_months() -> None:
    assert months_since(date(2026, 11, 30), date(2026, 11, 30)) == 0
    assert months_since(date(2026, 11, 30), date(2026, 12, 29)) == 0
    assert months_since(date(2026, 11, 30), date(2026, 12, 30)) == 1
    assert months_since(date(2026, 1, 31), date(2026, 2, 28)) == 1  # clamped to the month's end


async def test_year_reminder_from_july_monthly_once_until_recorded(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await world(session, clock)
    everyone = [person_id(roster, n) for n in ("王芳", "李强", "张伟")]
    at(clock, date(2026, 6, 30), 10)
    assert await sweep(session, training_reminders, GANZHOU, clock) == 0  # before July
    at(clock, date(2026, 7, 1), 8, 59)
    assert await sweep(session, training_reminders, GANZHOU, clock) == 0  # before 09:00
    at(clock, date(2026, 7, 1), 9)
    assert await sweep(session, training_reminders, GANZHOU, clock) == 3
    assert await sweep(session, training_reminders, GANZHOU, clock) == 0  # run twice
    at(clock, date(2026, 7, 20), 15)
    assert await sweep(session, training_reminders, GANZHOU, clock) == 0  # once a month
    assert await recipients(session, "training.year_due") == everyone
    assert params((await rows(session))[0])["sessions"] == 0

    await add_training(session, roster, "王芳", date(2026, 7, 15))
    at(clock, date(2026, 8, 3), 9, 30)  # August's first working day
    assert await sweep(session, training_reminders, GANZHOU, clock) == 2
    assert (await recipients(session, "training.year_due"))[3:] == everyone[1:]

    # A holiday sends nothing; the first working day after it does (National Day 2026).
    at(clock, date(2026, 10, 1), 10)
    assert await sweep(session, training_reminders, GANZHOU, clock) == 0
    at(clock, date(2026, 10, 8), 10)
    assert await sweep(session, training_reminders, GANZHOU, clock) == 2
    assert len(await rows(session, "training.year_due")) == 3 + 2 + 2


async def test_year_reminder_after_a_three_day_outage_goes_once(
    session: AsyncSession, clock: FixedClock
) -> None:
    await world(session, clock)
    # Down from 1 to 3 September (the first working day was the 1st): the 4th catches up.
    at(clock, date(2026, 9, 4), 9, 5)
    assert await sweep(session, training_reminders, GANZHOU, clock) == 3
    clock.advance(timedelta(minutes=1))
    assert await sweep(session, training_reminders, GANZHOU, clock) == 0


async def test_year_reminder_counts_the_packs_minimum_days(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await world(session, clock)
    await add_training(session, roster, "王芳", date(2026, 3, 2), days=1)
    await add_training(session, roster, "李强", date(2026, 3, 2), days=3)
    at(clock, date(2026, 7, 1), 9)
    # guangdong-2016: at least one training of at least 3 days a year.
    assert await sweep(session, training_reminders, GUANGDONG, clock) == 2
    assert await recipients(session, "training.year_due") == [
        person_id(roster, "王芳"),
        person_id(roster, "张伟"),
    ]


async def test_term_reminder_in_the_last_six_months(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await world(session, clock)
    for name in ("王芳", "李强", "张伟"):
        await add_training(session, roster, name, date(2025, 5, 20))  # before the term
    await set_term_end(session, roster, date(2027, 5, 31))

    async def term_due() -> list[int | None]:
        return await recipients(session, "training.term_due")

    at(clock, date(2026, 11, 27), 9)  # the window opens on 30 November
    await sweep(session, training_reminders, GANZHOU, clock)
    assert await term_due() == []
    at(clock, date(2026, 11, 30), 9)
    await sweep(session, training_reminders, CENTRAL, clock)  # no per-term minimum
    assert await term_due() == []
    await sweep(session, training_reminders, GANZHOU, clock)  # Art.28
    await sweep(session, training_reminders, GANZHOU, clock)
    everyone = [person_id(roster, n) for n in ("王芳", "李强", "张伟")]
    assert await term_due() == everyone
    office = await rows(session, "training.term_office")
    assert [r.person_id for r in office] == [person_id(roster, "陈静")]
    assert [c["name"] for c in params(office[0])["cadres"]] == ["王芳", "李强", "张伟"]
    at(clock, date(2026, 12, 29), 9)
    await sweep(session, training_reminders, GANZHOU, clock)
    assert await term_due() == everyone  # a month is not yet up

    await add_training(session, roster, "王芳", date(2026, 12, 10), UnitLevel.CITY)
    at(clock, date(2026, 12, 30), 9)
    await sweep(session, training_reminders, GANZHOU, clock)
    await sweep(session, training_reminders, GANZHOU, clock)
    assert await term_due() == everyone + everyone[1:]  # 王芳 is done
    assert len(await rows(session, "training.term_office")) == 1  # the office, once


async def test_term_reminder_after_an_outage_and_for_someone_unreachable(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await world(session, clock, registered=False)
    chen = roster.people["陈静"]
    bind_telegram(session, chen, 777)
    await set_term_end(session, roster, date(2027, 5, 31))
    at(clock, date(2026, 12, 3), 11)  # down since before the window opened
    assert await sweep(session, training_reminders, GANZHOU, clock) == 1  # the office only
    assert await sweep(session, training_reminders, GANZHOU, clock) == 0
    (office,) = await rows(session)
    assert office.template == "training.term_office" and len(params(office)["cadres"]) == 3
