"""Reading what a cadre types: dates the ways people write them, leave kinds in Chinese or
English, and the one-line ``/leave <start> <end> <kind> [reason]``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from models.enums import LeaveKind

KIND_WORDS: dict[str, LeaveKind] = {
    "事假": LeaveKind.PERSONAL,
    "personal": LeaveKind.PERSONAL,
    "病假": LeaveKind.SICK,
    "sick": LeaveKind.SICK,
    "年假": LeaveKind.ANNUAL,
    "年休假": LeaveKind.ANNUAL,
    "annual": LeaveKind.ANNUAL,
    "公差": LeaveKind.BUSINESS,
    "出差": LeaveKind.BUSINESS,
    "business": LeaveKind.BUSINESS,
    "trip": LeaveKind.BUSINESS,
    "会议": LeaveKind.MEETING,
    "开会": LeaveKind.MEETING,
    "meeting": LeaveKind.MEETING,
    "培训": LeaveKind.TRAINING,
    "training": LeaveKind.TRAINING,
}
EMERGENCY_WORDS = {"紧急", "急假", "emergency"}

_RELATIVE = {"今天": 0, "today": 0, "明天": 1, "tomorrow": 1, "后天": 2}
_FULL = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_MONTH_DAY = re.compile(r"^(\d{1,2})[-/.月](\d{1,2})日?$")
_DAY_ONLY = re.compile(r"^(\d{1,2})[日号]$")


def parse_date(text: str, today: date) -> date | None:
    """2026-12-01, 2026/12/1, 2026年12月1日, 12-01, 12/1, 12月1日, 1日, 今天, 明天.

    Without a year, the date is this year's, unless that is more than a month gone: then
    it is next year's (in late December, "1/3" means the coming January).
    """
    text = text.strip().lower()
    if text in _RELATIVE:
        return today + timedelta(days=_RELATIVE[text])
    try:
        if m := _FULL.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _MONTH_DAY.match(text):
            guess = date(today.year, int(m[1]), int(m[2]))
            return (
                guess if guess >= today - timedelta(days=31) else guess.replace(year=today.year + 1)
            )
        if m := _DAY_ONLY.match(text):
            guess = date(today.year, today.month, int(m[1]))
            if guess < today - timedelta(days=15):
                month = today.month % 12 + 1
                guess = date(today.year + (today.month == 12), month, int(m[1]))
            return guess
    except ValueError:  # 2月30日 and the like
        return None
    return None


def end_after(start: date, days: int) -> date | None:
    """The last day of a leave of ``days`` days from ``start``; None when that is beyond
    any calendar (a typed 99999999 days, or a start of 9999-12-31)."""
    try:
        return start + timedelta(days=max(1, days) - 1)
    except OverflowError:
        return None


def parse_kind(word: str) -> LeaveKind | None:
    return KIND_WORDS.get(word.strip().lower())


@dataclass(frozen=True)
class OneLine:
    start: date
    end: date
    kind: LeaveKind
    reason: str


class OneLineError(ValueError):
    """Which part of the one-line request is wrong: ``start``, ``end``, ``kind``, ``missing``."""

    def __init__(self, part: str, text: str = "") -> None:
        super().__init__(part)
        self.part = part
        self.text = text


def parse_one_line(args: str, today: date) -> OneLine:
    """``<start> <end> <kind> [reason]``; the end may be left out for a one-day leave
    (``/leave 12-01 事假``)."""
    words = args.split(maxsplit=3)
    if len(words) < 2:
        raise OneLineError("missing")
    start = parse_date(words[0], today)
    if start is None:
        raise OneLineError("start", words[0])
    end = parse_date(words[1], today)
    rest = words[2:]
    if end is None:
        # No end date: a one-day leave, and the second word is the kind.
        end, rest = start, words[1:]
    if not rest:
        raise OneLineError("missing")
    kind = parse_kind(rest[0])
    if kind is None:
        raise OneLineError("kind", rest[0])
    return OneLine(start, end, kind, " ".join(rest[1:]).strip())
