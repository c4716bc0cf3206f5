"""A year's State Council holiday notice read from a short list: what a good list records,
and for each fault the one error (code and line) the clerk sees."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import DayKind
from services.calendar import load_calendar, set_day
from services.clock import FixedClock
from services.errors import DomainError
from services.holiday_notice import other_overrides, parse_notice, record_notice

# The shape of a real notice, on plausible 2027 dates (the real one is not out yet).
NOTICE_2027 = """\
# 国务院办公厅关于2027年部分节假日安排的通知
元旦 2027-01-01~2027-01-03
春节 2027-02-06~2027-02-13 调休上班 2027-02-14,2027-02-20

清明节 2027-04-05
劳动节 2027-05-01 至 2027-05-05 上班 2027-04-25、2027-05-08
"""


def test_a_notice_lists_holidays_and_make_up_days() -> None:
    notice = parse_notice(NOTICE_2027)
    assert notice.year == 2027
    assert [(h.name, h.start, h.end) for h in notice.holidays] == [
        ("元旦", date(2027, 1, 1), date(2027, 1, 3)),
        ("春节", date(2027, 2, 6), date(2027, 2, 13)),
        ("清明节", date(2027, 4, 5), date(2027, 4, 5)),
        ("劳动节", date(2027, 5, 1), date(2027, 5, 5)),
    ]
    assert (notice.holiday_days, notice.makeup_days) == (17, 4)
    days = notice.overrides()
    assert days[date(2027, 2, 10)] == (DayKind.HOLIDAY, "春节")
    assert days[date(2027, 2, 20)] == (DayKind.WORKDAY, "春节调休上班")
    assert days[date(2027, 4, 25)] == (DayKind.WORKDAY, "劳动节调休上班")
    assert len(days) == 21 and list(days) == sorted(days)


def test_a_make_up_day_may_fall_in_the_december_before() -> None:
    # The 2012 notice made 2011-12-31 (a Saturday) a working day for 元旦.
    notice = parse_notice("元旦 2012-01-01~2012-01-03 调休上班 2011-12-31")
    assert notice.overrides()[date(2011, 12, 31)] == (DayKind.WORKDAY, "元旦调休上班")


@pytest.mark.parametrize(
    ("text", "code", "params"),
    [
        ("", "notice_empty", {}),
        ("# only a comment\n\n", "notice_empty", {}),
        ("元旦", "notice_no_dates", {"line": 1}),
        ("元旦 2027-13-01", "notice_bad_date", {"line": 1, "text": "2027-13-01"}),
        ("元旦 2027/01/01", "notice_bad_date", {"line": 1}),
        ("元旦 2027-01-01~2027-01-02~2027-01-03", "notice_bad_range", {"line": 1}),
        ("元旦 2027-01-03~2027-01-01", "notice_range_reversed", {"line": 1}),
        ("春节 2027-02-06~2027-03-13", "notice_range_too_long", {"line": 1, "days": 36}),
        ("春节 2027-02-06~2027-02-13 调休上班", "notice_no_makeup_days", {"line": 1}),
        # A notice is one year: a holiday in another year is a typo.
        ("元旦 2027-01-01\n国庆节 2028-10-01", "notice_wrong_year", {"line": 2, "year": 2027}),
        ("元旦 2028-01-01", "notice_wrong_year", {"line": 1, "year": 2027}),
        ("元旦 2027-01-01 调休上班 2026-11-28", "notice_wrong_year", {"line": 1}),
        (
            "春节 2027-02-06~2027-02-13\n元宵 2027-02-13~2027-02-14",
            "notice_overlap",
            {"line": 2, "other": 1},
        ),
        (
            "春节 2027-02-06~2027-02-13 调休上班 2027-02-07",
            "notice_makeup_in_holiday",
            {"line": 1, "other": 1},
        ),
        (
            "元旦 2027-01-01\n春节 2027-02-06~2027-02-13 调休上班 2027-01-01",
            "notice_makeup_in_holiday",
            {"line": 2, "other": 1},
        ),
        # 2027-02-15 is a Monday: a working day anyway, so surely a typo.
        ("春节 2027-02-06~2027-02-13 调休上班 2027-02-15", "notice_makeup_weekday", {"line": 1}),
        (
            "春节 2027-02-06~2027-02-13 调休上班 2027-02-14\n清明节 2027-04-05 上班 2027-02-14",
            "notice_makeup_twice",
            {"line": 2, "other": 1},
        ),
        ("节" * 97 + " 2027-01-01", "notice_name_too_long", {"line": 1}),
    ],
)
def test_a_fault_is_one_error_naming_its_line(
    text: str, code: str, params: dict[str, object]
) -> None:
    with pytest.raises(DomainError) as caught:
        parse_notice(text, 2027)
    assert caught.value.code == code
    assert {k: caught.value.params.get(k) for k in params} == params


async def test_recording_a_notice_writes_every_day_and_keeps_other_overrides(
    session: AsyncSession, clock: FixedClock
) -> None:
    await set_day(session, date(2027, 6, 7), DayKind.HOLIDAY, "县定休息日", clock.now())
    notice = parse_notice(NOTICE_2027)
    assert await other_overrides(session, notice) == 1
    assert await record_notice(session, notice, clock.now()) == 21
    await session.commit()
    calendar = await load_calendar(session)
    assert calendar.holidays_known(2027) and not calendar.holidays_known(2099)
    assert not calendar.is_workday(date(2027, 2, 8))  # a Monday of 春节
    assert calendar.is_workday(date(2027, 2, 20))  # a Saturday worked
    assert not calendar.is_workday(date(2027, 6, 7))  # the county's own day stays
    # Imported twice (a corrected notice): the same days, no duplicates.
    assert await record_notice(session, notice, clock.now()) == 21
    await session.commit()
    assert len((await load_calendar(session)).overrides) == 22
