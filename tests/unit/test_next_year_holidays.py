"""December's warning that next year's holidays are unknown: to the county posts, once a
year, from the office hour on a working day; never once the year is known or recorded."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.notices import render
from locales import Catalogs
from models.enums import DayKind
from services import calendar as calendar_module
from services.calendar import WorkCalendar, load_calendar, set_day
from services.clock import FixedClock
from services.operations.schedule import SWEEPS
from services.policy_loading import load_pack
from services.supervision.next_year_holidays import holidays_unknown
from tests.presence_factories import person_id
from tests.schedule_factories import ZONE, at, recipients, rows, world

GANZHOU = load_pack("ganzhou-2021")
ZH = Catalogs().get("zh")


@pytest.fixture(autouse=True)
def _known_through_2026(monkeypatch: pytest.MonkeyPatch) -> None:
    # As chinesecalendar 1.11: whatever release is installed, the test's years stay fixed.
    monkeypatch.setattr(calendar_module, "_known_year", lambda year: year <= 2026)


async def _sweep(session: AsyncSession, clock: FixedClock) -> int:
    done = await holidays_unknown(session, GANZHOU, await load_calendar(session), clock.now(), ZONE)
    await session.commit()
    return done


async def test_the_county_posts_hear_once_in_december(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await world(session, clock)
    at(clock, date(2026, 11, 30), 10)
    assert await _sweep(session, clock) == 0  # November: the notice may still come
    at(clock, date(2026, 12, 1), 8, 59)
    assert await _sweep(session, clock) == 0  # before the office hour
    at(clock, date(2026, 12, 1), 9)
    assert await _sweep(session, clock) == 3
    assert await _sweep(session, clock) == 0
    at(clock, date(2026, 12, 20), 9)  # a Sunday, and sent already anyway
    assert await _sweep(session, clock) == 0
    at(clock, date(2026, 12, 21), 9)
    assert await _sweep(session, clock) == 0
    assert sorted(await recipients(session, "calendar.holidays_unknown")) == sorted(
        person_id(roster, name) for name in ("陈静", "赵敏", "孙磊")
    )
    text = render("calendar.holidays_unknown", ZH, {"year": 2027}).text
    assert "2027" in text and "zhucun calendar import" in text


async def test_a_year_known_or_recorded_is_not_mentioned(
    session: AsyncSession, clock: FixedClock
) -> None:
    await world(session, clock)
    at(clock, date(2025, 12, 1), 9)
    assert await _sweep(session, clock) == 0  # 2026 is in the Chinese calendar
    await set_day(session, date(2027, 1, 1), DayKind.HOLIDAY, "元旦", clock.now())
    await session.commit()
    at(clock, date(2026, 12, 1), 9)
    assert await _sweep(session, clock) == 0
    assert await rows(session) == []


async def test_a_working_day_override_alone_does_not_make_a_year_known() -> None:
    calendar = WorkCalendar({date(2027, 2, 20): DayKind.WORKDAY})
    assert not calendar.holidays_known(2027)
    assert [s.name for s in SWEEPS].count("holidays_unknown") == 1
