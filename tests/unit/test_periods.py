"""The one period type: every cadence parsed, labelled, bounded and found from an instant in
the zone the caller passes (visit quarters and the supervision calendar alike)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.errors import DomainError
from services.periods import Period
from services.policy import Cadence

BEIJING = ZoneInfo("Asia/Shanghai")
D = date
M, Q, H, Y = Cadence.MONTHLY, Cadence.QUARTERLY, Cadence.HALF_YEAR, Cadence.YEARLY

# (text, period, label, first day, last day, previous, next)
ROWS = [
    (
        "2026-11",
        Period(M, 2026, 11),
        "2026-11",
        D(2026, 11, 1),
        D(2026, 11, 30),
        "2026-10",
        "2026-12",
    ),
    ("2026/1", Period(M, 2026, 1), "2026-01", D(2026, 1, 1), D(2026, 1, 31), "2025-12", "2026-02"),
    ("2028-02", Period(M, 2028, 2), "2028-02", D(2028, 2, 1), D(2028, 2, 29), "2028-01", "2028-03"),
    ("2026Q4", Period(Q, 2026, 4), "2026Q4", D(2026, 10, 1), D(2026, 12, 31), "2026Q3", "2027Q1"),
    (" 2026 q1 ", Period(Q, 2026, 1), "2026Q1", D(2026, 1, 1), D(2026, 3, 31), "2025Q4", "2026Q2"),
    ("2026H2", Period(H, 2026, 2), "2026H2", D(2026, 7, 1), D(2026, 12, 31), "2026H1", "2027H1"),
    ("2026-h1", Period(H, 2026, 1), "2026H1", D(2026, 1, 1), D(2026, 6, 30), "2025H2", "2026H2"),
    ("2026", Period(Y, 2026, 1), "2026", D(2026, 1, 1), D(2026, 12, 31), "2025", "2027"),
]


@pytest.mark.parametrize(("text", "period", "label", "first", "last", "prev", "nxt"), ROWS)
def test_period(
    text: str, period: Period, label: str, first: date, last: date, prev: str, nxt: str
) -> None:
    assert Period.parse(text) == period
    assert Period.parse(text, period.cadence) == period
    assert Period.parse(label) == period  # a label reads back as its period
    assert (period.label, str(period)) == (label, label)
    assert (period.first_day, period.last_day) == (first, last)
    assert (period.previous().label, period.next.label) == (prev, nxt)
    assert Period.of_day(period.cadence, first) == Period.of_day(period.cadence, last) == period
    assert period.in_first_month(first) and period.in_last_month(last)


@pytest.mark.parametrize(
    ("text", "cadence", "code"),
    [
        ("2026Q5", None, "period_invalid"),
        ("2026H3", None, "period_invalid"),
        ("2026-13", None, "period_invalid"),
        ("26Q4", None, "period_invalid"),
        ("", None, "period_invalid"),
        ("2026H2", Q, "quarter_invalid"),  # a half-year where a quarter was asked for
        ("2026-12", Q, "quarter_invalid"),
        ("2026Q4", H, "period_invalid"),
    ],
)
def test_parse_refuses(text: str, cadence: Cadence | None, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        Period.parse(text, cadence)
    assert caught.value.code == code


@pytest.mark.parametrize(("cadence", "index"), [(M, 13), (Q, 5), (H, 3), (Y, 2), (Q, 0)])
def test_no_such_period(cadence: Cadence, index: int) -> None:
    with pytest.raises(ValueError):
        Period(cadence, 2026, index)


def at(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone).astimezone(UTC)


# (cadence, instant, zone, period label, days left)
INSTANTS = [
    (H, at(BEIJING, 2027, 1, 1, 0, 30), BEIJING, "2027H1", 181),  # still 2026 in UTC
    (H, at(BEIJING, 2027, 1, 1, 0, 30), ZoneInfo("UTC"), "2026H2", 1),
    (Q, at(BEIJING, 2026, 12, 31, 23, 30), BEIJING, "2026Q4", 1),
    (M, at(BEIJING, 2026, 11, 23, 9), BEIJING, "2026-11", 8),
    (Y, at(BEIJING, 2026, 12, 31, 12), BEIJING, "2026", 1),
]


@pytest.mark.parametrize(("cadence", "instant", "zone", "label", "left"), INSTANTS)
def test_of_an_instant_in_the_given_zone(
    cadence: Cadence, instant: datetime, zone: ZoneInfo, label: str, left: int
) -> None:
    period = Period.of(cadence, instant, zone)
    assert period.label == label
    assert period.contains(instant, zone)
    assert period.start(zone) <= instant < period.end(zone)
    assert period.days_left(instant, zone) == left
    assert (
        period.next.days_left(instant, zone)
        == (period.next.last_day - period.next.first_day).days + 1
    )
    assert period.previous().days_left(instant, zone) == 0
