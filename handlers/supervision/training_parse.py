"""Reading ``/training [names] <date> <level> <days> [topic]``: dates the ways people write
them (as for leave, but a date without its year is a past one), levels in Chinese or
English, names separated by 、 , ， ; or spaces."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from handlers.leave.parse import parse_date
from models.enums import UnitLevel
from services.supervision.training import Course

LEVEL_WORDS: dict[str, UnitLevel] = {
    "省": UnitLevel.PROVINCE,
    "省级": UnitLevel.PROVINCE,
    "province": UnitLevel.PROVINCE,
    "市": UnitLevel.CITY,
    "市级": UnitLevel.CITY,
    "city": UnitLevel.CITY,
    "县": UnitLevel.COUNTY,
    "县级": UnitLevel.COUNTY,
    "区": UnitLevel.COUNTY,
    "county": UnitLevel.COUNTY,
}
_NAMES = re.compile(r"[、,，;；\s]+")
_YEAR = re.compile(r"^\d{4}")
_DIGIT = re.compile(r"\d")
_DAY_ONLY = re.compile(r"^\d{1,2}[日号]$")


@dataclass(frozen=True)
class Parsed:
    names: list[str]  # empty: the sender's own training
    course: Course


class ParseError(ValueError):
    def __init__(self, part: str, text: str = "") -> None:
        super().__init__(part)
        self.part, self.text = part, text


def training_date(word: str, today: date) -> date | None:
    """A date as typed. Trainings are in the past, so a date typed without its year (or
    month) that would be in the future is last year's (or last month's)."""
    word = word.strip()
    day = parse_date(word, today)
    if day is None or day <= today or _YEAR.match(word) or not _DIGIT.search(word):
        return day  # in the past, a full date, or 明天 (refused as in the future)
    try:
        if _DAY_ONLY.match(word):
            month = date(today.year, today.month, 1) - timedelta(days=1)
            return month.replace(day=day.day)
        this_year = day.replace(year=today.year)
        return this_year if this_year <= today else day.replace(year=today.year - 1)
    except ValueError:  # 2月29日, 31日 in a short month
        return None


def parse(args: str, today: date) -> Parsed:
    """``[names] <date> <level> <days> [topic]``."""
    words = args.split()
    dates = [training_date(word, today) for word in words]
    index = next((i for i, day in enumerate(dates) if day is not None), None)
    if index is None:
        raise ParseError("date")
    day = dates[index]
    assert day is not None
    rest = words[index + 1 :]
    if len(rest) < 2:
        raise ParseError("missing")
    level = LEVEL_WORDS.get(rest[0].lower())
    if level is None:
        raise ParseError("level", rest[0])
    days = rest[1].removesuffix("天")
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    if not days.isdecimal():
        raise ParseError("days", rest[1])
    names = [n for n in _NAMES.split(" ".join(words[:index])) if n]
    return Parsed(names, Course(day, level, int(days), " ".join(rest[2:])))
