"""Which month ``/sheet`` means."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.presence.attendance import sheet_month

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("", (2026, 11)),  # alone: last month
        ("2026-11", (2026, 11)),
        ("2026/9", (2026, 9)),
        ("2026年10月", (2026, 10)),
        ("11月", (2026, 11)),
        ("11", (2026, 11)),
        ("12月", (2026, 12)),  # this month: not drafted yet, and the person is told so
        ("2月", (2026, 2)),
        ("1月份", (2026, 1)),
        ("13月", None),
        ("2026-00", None),
        ("十一月", None),
        ("last", None),
    ],
)
def test_sheet_month(text: str, month: tuple[int, int] | None) -> None:
    assert sheet_month(text, TODAY) == month
