"""Dates and kinds the ways cadres type them."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.leave.parse import OneLineError, parse_date, parse_kind, parse_one_line
from models.enums import LeaveKind

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("2026-12-01", TODAY, date(2026, 12, 1)),
        ("2026/12/1", TODAY, date(2026, 12, 1)),
        ("2026年12月1日", TODAY, date(2026, 12, 1)),
        ("12-01", TODAY, date(2026, 12, 1)),
        ("12/1", TODAY, date(2026, 12, 1)),
        ("12月1日", TODAY, date(2026, 12, 1)),
        ("12.1", TODAY, date(2026, 12, 1)),
        ("今天", TODAY, TODAY),
        ("明天", TODAY, date(2026, 11, 24)),
        ("today", TODAY, TODAY),
        ("1/3", date(2026, 12, 28), date(2027, 1, 3)),  # late December: the coming January
        ("11-20", TODAY, date(2026, 11, 20)),  # recent past stays this year (then refused as past)
        ("28日", TODAY, date(2026, 11, 28)),
        ("2月30日", TODAY, None),
        ("13-01", TODAY, None),
        ("下周一", TODAY, None),
    ],
)
def test_parse_date(text: str, today: date, expected: date | None) -> None:
    assert parse_date(text, today) == expected


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("事假", LeaveKind.PERSONAL),
        ("Sick", LeaveKind.SICK),
        ("出差", LeaveKind.BUSINESS),
        ("开会", LeaveKind.MEETING),
        ("培训", LeaveKind.TRAINING),
        ("年休假", LeaveKind.ANNUAL),
        ("度假", None),
    ],
)
def test_parse_kind(word: str, kind: LeaveKind | None) -> None:
    assert parse_kind(word) == kind


@pytest.mark.parametrize(
    ("args", "start", "end", "kind", "reason"),
    [
        (
            "12-01 12-03 事假 家中有事",
            date(2026, 12, 1),
            date(2026, 12, 3),
            LeaveKind.PERSONAL,
            "家中有事",
        ),
        (
            "12月1日 12月3日 培训 省委党校 第二期",
            date(2026, 12, 1),
            date(2026, 12, 3),
            LeaveKind.TRAINING,
            "省委党校 第二期",
        ),
        ("12-01 病假 复查", date(2026, 12, 1), date(2026, 12, 1), LeaveKind.SICK, "复查"),
        (
            "2026-12-01 2026-12-02 meeting",
            date(2026, 12, 1),
            date(2026, 12, 2),
            LeaveKind.MEETING,
            "",
        ),
    ],
)
def test_one_line(args: str, start: date, end: date, kind: LeaveKind, reason: str) -> None:
    line = parse_one_line(args, TODAY)
    assert (line.start, line.end, line.kind, line.reason) == (start, end, kind, reason)


@pytest.mark.parametrize(
    ("args", "part"),
    [
        ("12-01", "missing"),
        ("", "missing"),
        ("十二月一日 12-03 事假", "start"),
        ("12-01 12-03 度假", "kind"),
    ],
)
def test_one_line_errors_name_the_part(args: str, part: str) -> None:
    with pytest.raises(OneLineError) as err:
        parse_one_line(args, TODAY)
    assert err.value.part == part
