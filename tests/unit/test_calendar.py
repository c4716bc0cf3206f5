"""The working-day calendar: China's official 2026 holidays, the 2027 fallback, and overrides."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import DayKind
from services import calendar as calendar_module
from services.calendar import (
    DaySource,
    WorkCalendar,
    get_override,
    list_overrides,
    load_calendar,
    set_day,
    unset_day,
)
from services.clock import FixedClock
from services.errors import DomainError

CC = DaySource.CHINESE_CALENDAR
FALLBACK = DaySource.WEEKDAY_FALLBACK

# 国务院办公厅 2026 holiday notice, as chinesecalendar 1.11 has it.
DAYS_2026 = [
    *[(date(2026, 10, d), False, "National Day") for d in range(1, 8)],  # 国庆 10-01..07 off
    (date(2026, 10, 8), True, None),  # Thursday after the holiday: an ordinary working day
    (date(2026, 9, 20), True, "National Day"),  # Sunday, 调休 working day
    (date(2026, 10, 10), True, "National Day"),  # Saturday, 调休 working day
    (date(2026, 1, 4), True, "New Year's Day"),  # Sunday, 调休
    (date(2026, 2, 14), True, "Spring Festival"),  # Saturday, 调休
    (date(2026, 2, 16), False, "Spring Festival"),  # Monday, 春节 off
    (date(2026, 2, 28), True, "Spring Festival"),  # Saturday, 调休
    (date(2026, 5, 9), True, "Labour Day"),  # Saturday, 调休
    (date(2026, 11, 23), True, None),  # ordinary Monday
    (date(2026, 11, 22), False, None),  # ordinary Sunday
]


@pytest.mark.parametrize(("day", "workday", "name"), DAYS_2026)
def test_chinese_calendar_2026(day: date, workday: bool, name: str | None) -> None:
    info = WorkCalendar().explain(day)
    assert (info.workday, info.source, info.holiday_name) == (workday, CC, name)


FALLBACK_DAYS = [
    (date(2027, 1, 1), True, FALLBACK, "Friday: Mon–Fri fallback, no data for 2027"),
    (date(2027, 1, 2), False, FALLBACK, "Saturday"),
    (date(2027, 1, 4), True, FALLBACK, "Monday"),
]


@pytest.mark.parametrize(("day", "workday", "source", "why"), FALLBACK_DAYS)
def test_fallback_2027(day: date, workday: bool, source: DaySource, why: str) -> None:
    info = WorkCalendar().explain(day)
    assert (info.workday, info.source) == (workday, source), why


OVERRIDES = {
    date(2027, 1, 1): DayKind.HOLIDAY,  # 元旦, beyond the package's data
    date(2026, 10, 8): DayKind.HOLIDAY,  # a county's extra day off
    date(2026, 10, 3): DayKind.WORKDAY,  # Saturday inside National Day, made a working day
}


@pytest.mark.parametrize(("day", "kind"), OVERRIDES.items())
def test_override_comes_first(day: date, kind: DayKind) -> None:
    info = WorkCalendar(OVERRIDES).explain(day)
    assert (info.workday, info.source) == (kind is DayKind.WORKDAY, DaySource.OVERRIDE)


def test_known_years() -> None:
    cal = WorkCalendar()
    assert cal.is_known_year(2026)
    assert not cal.is_known_year(2027)


def test_fallback_warns_once_per_year(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(calendar_module, "_warned_years", set())
    cal = WorkCalendar(OVERRIDES)
    with caplog.at_level(logging.WARNING, logger="services.calendar"):
        cal.working_days(date(2027, 1, 1), date(2027, 3, 31))
        cal.is_workday(date(2027, 6, 1))
        WorkCalendar().is_workday(date(2027, 7, 1))  # once per process, not per calendar
        cal.is_workday(date(2026, 10, 1))  # a known year: no warning
        assert len(caplog.records) == 1
        assert "2027" in caplog.records[0].getMessage()
        assert "zhucun calendar set" in caplog.records[0].getMessage()
        cal.is_workday(date(2028, 1, 3))
    assert [r.getMessage()[:38] for r in caplog.records] == [
        "Chinese calendar has no data for 2027;",
        "Chinese calendar has no data for 2028;",
    ]


@pytest.mark.parametrize(
    ("start", "end", "overrides", "days"),
    [
        (date(2026, 10, 1), date(2026, 10, 31), {}, 18),  # 22 weekdays - 5 off + Sat 10-10
        (date(2026, 11, 23), date(2026, 11, 23), {}, 1),  # both ends included
        (date(2026, 11, 23), date(2026, 11, 22), {}, 0),  # empty range
        (date(2027, 1, 1), date(2027, 1, 8), {}, 6),  # fallback: Mon–Fri
        (date(2027, 1, 1), date(2027, 1, 8), OVERRIDES, 5),  # 元旦 set as a holiday
    ],
)
def test_working_days(start: date, end: date, overrides: dict[date, DayKind], days: int) -> None:
    assert WorkCalendar(overrides).working_days(start, end) == days


def test_month_helpers() -> None:
    cal = WorkCalendar(OVERRIDES)
    assert cal.workdays_in_month(2026, 10) == 18 - 1 + 1  # 10-08 off, Sat 10-03 on
    assert cal.first_working_day(2026, 10) == date(2026, 10, 3)
    assert WorkCalendar().first_working_day(2026, 10) == date(2026, 10, 8)
    assert WorkCalendar().first_working_day(2026, 2) == date(2026, 2, 2)  # Feb 1 is a Sunday
    assert cal.first_working_day(2027, 1) == date(2027, 1, 4)


def test_month_without_working_days() -> None:
    feb = {date(2027, 2, 1) + timedelta(days=i): DayKind.HOLIDAY for i in range(28)}
    with pytest.raises(DomainError) as caught:
        WorkCalendar(feb).first_working_day(2027, 2)
    assert caught.value.code == "calendar_no_workday"


# --- the database -----------------------------------------------------------------------


async def test_set_load_unset(session: AsyncSession, clock: FixedClock) -> None:
    now = clock.now()
    await set_day(session, date(2027, 1, 1), DayKind.HOLIDAY, " 元旦 ", now)
    await set_day(session, date(2026, 10, 3), DayKind.WORKDAY, "", now)
    await session.commit()

    cal = await load_calendar(session)
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2026, 10, 3))
    found = await get_override(session, date(2027, 1, 1))
    assert found is not None and (found.kind, found.note, found.set_at) == (
        DayKind.HOLIDAY,
        "元旦",
        now,
    )

    # Setting a day again replaces the override.
    await set_day(session, date(2027, 1, 1), DayKind.WORKDAY, "补班", now)
    assert (await load_calendar(session)).is_workday(date(2027, 1, 1))

    assert await unset_day(session, date(2027, 1, 1)) is True
    assert await unset_day(session, date(2027, 1, 1)) is False
    assert await get_override(session, date(2027, 1, 1)) is None
    assert date(2027, 1, 1) not in (await load_calendar(session)).overrides


async def test_list_overrides(session: AsyncSession, clock: FixedClock) -> None:
    for day in (date(2027, 10, 1), date(2026, 10, 3), date(2027, 1, 1)):
        await set_day(session, day, DayKind.HOLIDAY, "", clock.now())
    assert [o.day for o in await list_overrides(session)] == [
        date(2026, 10, 3),
        date(2027, 1, 1),
        date(2027, 10, 1),
    ]
    assert [o.day for o in await list_overrides(session, 2027)] == [
        date(2027, 1, 1),
        date(2027, 10, 1),
    ]
    assert await list_overrides(session, 2030) == []


async def test_note_too_long(session: AsyncSession, clock: FixedClock) -> None:
    with pytest.raises(DomainError) as caught:
        await set_day(session, date(2027, 1, 1), DayKind.HOLIDAY, "长" * 101, clock.now())
    assert caught.value.code == "calendar_note_too_long"
