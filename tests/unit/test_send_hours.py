"""When the sweeps may send (the pack's ``schedule``): office reminders from the office hour
on a working day, a cadre's leave reminders from the cadre hour any day, visit reminders from
the cadre hour on a working day; the hours move with the pack, not with the code."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from models.enums import DayKind
from services.calendar import WorkCalendar
from services.periods import cadre_due_now, due_now, visit_due_now
from services.policy import PolicyPack
from services.policy_loading import load_pack
from tests.presence_factories import ZONE

GANZHOU = load_pack("ganzhou-2021")
D = date
FRIDAY, SATURDAY, NATIONAL_DAY = D(2026, 12, 4), D(2026, 12, 5), D(2026, 10, 1)
# A Sunday the deployment made a working day (调休).
SWAPPED_SUNDAY = D(2026, 12, 6)
CALENDAR = WorkCalendar({SWAPPED_SUNDAY: DayKind.WORKDAY})


def with_schedule(**values: object) -> PolicyPack:
    schedule = GANZHOU.schedule.model_copy(update=values)
    return GANZHOU.model_copy(update={"schedule": schedule})


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


# (pack, local instant, office due, cadre due, visit due, why)
ROWS = [
    (GANZHOU, at(FRIDAY, 7, 59), False, False, False, "before every hour"),
    (GANZHOU, at(FRIDAY, 8), False, True, True, "the cadre hour, before the office hour"),
    (GANZHOU, at(FRIDAY, 8, 59), False, True, True, "still before the office hour"),
    (GANZHOU, at(FRIDAY, 9), True, True, True, "the office hour on a working day"),
    (GANZHOU, at(FRIDAY, 23, 59), True, True, True, "late the same day"),
    (GANZHOU, at(SATURDAY, 10), False, True, False, "a weekend: only leave chases go"),
    (GANZHOU, at(NATIONAL_DAY, 10), False, True, False, "a public holiday (a Thursday)"),
    (GANZHOU, at(SWAPPED_SUNDAY, 10), True, True, True, "a Sunday made a working day"),
    (with_schedule(office_hour=14), at(FRIDAY, 13, 59), False, True, True, "office hour 14"),
    (with_schedule(office_hour=14), at(FRIDAY, 14), True, True, True, "office hour 14"),
    (with_schedule(cadre_hour=6), at(FRIDAY, 6), False, True, True, "cadre hour 6"),
    (with_schedule(cadre_hour=6), at(FRIDAY, 5, 59), False, False, False, "cadre hour 6"),
    (
        with_schedule(visits_on_working_days=False),
        at(SATURDAY, 8),
        False,
        True,
        True,
        "a pack that lets visit reminders go any day",
    ),
]


@pytest.mark.parametrize(("pack", "local", "office", "cadre", "visit", "why"), ROWS)
def test_send_hours(
    pack: PolicyPack, local: datetime, office: bool, cadre: bool, visit: bool, why: str
) -> None:
    assert due_now(pack, CALENDAR, local) is office, why
    assert cadre_due_now(pack, local) is cadre, why
    assert visit_due_now(pack, CALENDAR, local) is visit, why
