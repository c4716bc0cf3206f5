"""A year's State Council holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知) as a
short list, checked, then written as calendar overrides in one transaction.

``chinesecalendar`` learns a year only when a new release ships, often weeks after the
notice; until then the county office records the notice here. One line per holiday::

    # 2027 年节假日安排
    元旦 2027-01-01~2027-01-03
    春节 2027-02-06~2027-02-13 调休上班 2027-02-14,2027-02-20
    清明节 2027-04-05

A range is ``A~B`` (also ``A～B``, ``A至B``); one day stands alone; make-up working days
(调休上班, also 上班) follow, separated by commas or 、. Blank lines and ``#`` comments are
skipped. Errors are ``DomainError`` codes with the line number, one per file: the first
fault found, so the clerk fixes one line at a time and nothing is half written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from models.enums import DayKind
from services.calendar import MAX_NOTE_CHARS, list_overrides, set_day
from services.errors import DomainError

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

MAKEUP_WORDS = ("调休上班", "上班")
_RANGE = re.compile(r"\s*(?:~|～|至)\s*")
_DAYS = re.compile(r"[,，、\s]+")
# The longest holiday the State Council has given is 春节 or 国庆 at 8 days; 10 leaves room
# and still catches a typo'd month (2027-02-06~2027-03-13).
MAX_HOLIDAY_DAYS = 10
# A make-up day may fall in the last days of the year before: the 2012 notice made
# 2011-12-31 a working day for 元旦.
MAKEUP_EARLIEST = (12, 25)


@dataclass(frozen=True)
class NoticeHoliday:
    name: str
    start: date
    end: date
    makeup: tuple[date, ...]  # make-up working days (调休上班) traded for it

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class HolidayNotice:
    year: int
    holidays: tuple[NoticeHoliday, ...]

    def overrides(self) -> dict[date, tuple[DayKind, str]]:
        """Every day the notice decides: each holiday day, then each make-up day."""
        out: dict[date, tuple[DayKind, str]] = {}
        for h in self.holidays:
            day = h.start
            while day <= h.end:
                out[day] = (DayKind.HOLIDAY, h.name)
                day += timedelta(days=1)
            for makeup in h.makeup:
                out[makeup] = (DayKind.WORKDAY, f"{h.name}调休上班")
        return dict(sorted(out.items()))

    @property
    def holiday_days(self) -> int:
        return sum(h.days for h in self.holidays)

    @property
    def makeup_days(self) -> int:
        return sum(len(h.makeup) for h in self.holidays)


def _date(text: str, line: int) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError("notice_bad_date", line=line, text=text) from None


def _parse_line(text: str, line: int) -> NoticeHoliday:
    words = text.split(None, 1)
    if len(words) < 2:
        raise DomainError("notice_no_dates", line=line, text=text)
    name, rest = words[0], words[1].strip()
    if len(name) + len("调休上班") > MAX_NOTE_CHARS:
        raise DomainError("notice_name_too_long", line=line, max=MAX_NOTE_CHARS - 4)
    makeup_text: str | None = None
    for word in MAKEUP_WORDS:
        if word in rest:
            rest, _, makeup_text = rest.partition(word)
            rest = rest.strip()
            break
    bounds = _RANGE.split(rest)
    if len(bounds) > 2 or not bounds[0]:
        raise DomainError("notice_bad_range", line=line, text=rest)
    start = _date(bounds[0], line)
    end = _date(bounds[-1], line)
    if end < start:
        raise DomainError("notice_range_reversed", line=line, start=start, end=end)
    if (end - start).days + 1 > MAX_HOLIDAY_DAYS:
        raise DomainError("notice_range_too_long", line=line, days=(end - start).days + 1)
    makeup = tuple(_date(w, line) for w in _DAYS.split((makeup_text or "").strip()) if w)
    if makeup_text is not None and not makeup:
        raise DomainError("notice_no_makeup_days", line=line)
    return NoticeHoliday(name, start, end, makeup)


def parse_notice(text: str, year: int | None = None) -> HolidayNotice:
    """The notice, checked; the year is ``year`` or the first holiday's."""
    holidays: list[tuple[int, NoticeHoliday]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        content = raw.split("#", 1)[0].strip()
        if content:
            holidays.append((number, _parse_line(content, number)))
    if not holidays:
        raise DomainError("notice_empty")
    if year is None:
        year = holidays[0][1].start.year
    earliest = date(year - 1, *MAKEUP_EARLIEST)
    seen: dict[date, int] = {}  # every day named so far, by the line that named it
    for index, (number, h) in enumerate(holidays):
        if h.start.year != year or h.end.year != year:
            raise DomainError("notice_wrong_year", line=number, year=year)
        # Against the lines above only, so the error names the later, offending line.
        for other_line, other in holidays[:index]:
            if other.start <= h.end and h.start <= other.end:
                raise DomainError("notice_overlap", line=number, other=other_line)
        for day in h.makeup:
            if not earliest <= day <= date(year, 12, 31):
                raise DomainError("notice_wrong_year", line=number, year=year)
            inside = next((n for n, o in holidays if o.covers(day)), None)
            if inside is not None:
                raise DomainError("notice_makeup_in_holiday", line=number, day=day, other=inside)
            if day.weekday() < 5:
                raise DomainError("notice_makeup_weekday", line=number, day=day)
            if day in seen:
                raise DomainError("notice_makeup_twice", line=number, day=day, other=seen[day])
            seen[day] = number
    ordered = sorted((h for _, h in holidays), key=lambda h: h.start)
    return HolidayNotice(year, tuple(ordered))


async def record_notice(session: AsyncSession, notice: HolidayNotice, now: datetime) -> int:
    """Write the notice's days as overrides (replacing any on those days); the caller
    commits, so the whole notice is written or none of it. Returns the days written."""
    days = notice.overrides()
    for day, (kind, note) in days.items():
        await set_day(session, day, kind, note, now)
    return len(days)


async def other_overrides(session: AsyncSession, notice: HolidayNotice) -> int:
    """Overrides in the notice's year on days the notice does not name: kept, but worth
    a look (a day set by hand, or left from an earlier, mistaken import)."""
    named = notice.overrides()
    return sum(1 for o in await list_overrides(session, notice.year) if o.day not in named)
