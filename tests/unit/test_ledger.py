"""The presence ledger: one class per day, derived from what is recorded (ganzhou Art.16,
Art.27(二); qinghai items 4 and 5), never clocked; the month's figures; set-based loading."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import CheckState, DayClass, DayKind, LeaveKind, LeaveState
from models.presence import DayCorrection
from services.calendar import WorkCalendar
from services.clock import FixedClock
from services.policy_loading import load_pack
from services.presence.day_ledger import cadre_month, minimum_for, month_ledger
from services.presence.days import Absence, DayFacts, classify, outlook
from services.visits.coverage import Scope, ScopeKind
from tests import presence_factories as pf
from tests.factories import Roster, seed_roster

GANZHOU = load_pack("ganzhou-2021")
CAL = WorkCalendar()
D = date
V, OB, P, S, A = (
    DayClass.IN_VILLAGE,
    DayClass.OFFICIAL_BUSINESS,
    DayClass.PERSONAL_LEAVE,
    DayClass.SICK_LEAVE,
    DayClass.ANNUAL_LEAVE,
)
X, R = DayClass.ABSENT, DayClass.REST


def away(kind: LeaveKind, start: date, end: date) -> Absence:
    return Absence(start, end, kind)


# (day, facts, class, why). 2026: 11-21 is a Saturday; 10-01..07 National Day (10-01, -02,
# -05..07 off on weekdays); Sunday 09-20 and Saturday 10-10 are make-up working days (调休).
DAY_CASES = [
    (D(2026, 11, 23), DayFacts(), V, "working day, nothing recorded: in the village (no punch-in)"),
    (D(2026, 11, 21), DayFacts(), R, "Saturday, nothing recorded: rest"),
    (D(2026, 11, 21), DayFacts(present=frozenset({D(2026, 11, 21)})), V, "weekend presence shown"),
    (D(2026, 10, 1), DayFacts(), R, "National Day: a holiday"),
    (D(2026, 10, 5), DayFacts(), R, "Monday inside the Golden Week: a holiday"),
    (D(2026, 9, 20), DayFacts(), V, "Sunday 09-20 is a make-up working day (调休)"),
    (D(2026, 10, 10), DayFacts(), V, "Saturday 10-10 is a make-up working day (调休)"),
    (
        D(2026, 11, 23),
        DayFacts(away=(away(LeaveKind.PERSONAL, D(2026, 11, 23), D(2026, 11, 24)),)),
        P,
        "Art.17 因事 personal leave",
    ),
    (
        D(2026, 11, 21),
        DayFacts(away=(away(LeaveKind.PERSONAL, D(2026, 11, 20), D(2026, 11, 23)),)),
        P,
        "leave counts calendar days: its weekend is leave, not rest",
    ),
    (
        D(2026, 11, 24),
        DayFacts(away=(away(LeaveKind.MEETING, D(2026, 11, 24), D(2026, 11, 24)),)),
        OB,
        "Art.16 含开会: a meeting is official business",
    ),
    (
        D(2026, 11, 21),
        DayFacts(away=(away(LeaveKind.TRAINING, D(2026, 11, 20), D(2026, 11, 22)),)),
        OB,
        "training over a weekend: on duty every day of it",
    ),
    (
        D(2026, 11, 24),
        DayFacts(
            away=(
                away(LeaveKind.PERSONAL, D(2026, 11, 23), D(2026, 11, 25)),
                away(LeaveKind.TRAINING, D(2026, 11, 24), D(2026, 11, 24)),
            )
        ),
        OB,
        "overlapping leave: the one on duty wins",
    ),
    (
        D(2026, 11, 24),
        DayFacts(
            away=(
                away(LeaveKind.ANNUAL, D(2026, 11, 23), D(2026, 11, 25)),
                away(LeaveKind.SICK, D(2026, 11, 24), D(2026, 11, 26)),
            )
        ),
        S,
        "overlapping leave: sick before annual",
    ),
    (
        D(2026, 11, 24),
        DayFacts(
            away=(away(LeaveKind.ANNUAL, D(2026, 11, 24), D(2026, 11, 24)),),
            present=frozenset({D(2026, 11, 24)}),
        ),
        A,
        "Art.27(四) annual leave stands over a location: report back (/back) to end it early",
    ),
    (
        D(2026, 11, 24),
        DayFacts(present=frozenset({D(2026, 11, 24)}), absent=frozenset({D(2026, 11, 24)})),
        X,
        "Art.21 a confirmed unexplained absence stands over later evidence",
    ),
    (
        D(2026, 11, 24),
        DayFacts(
            away=(away(LeaveKind.PERSONAL, D(2026, 11, 24), D(2026, 11, 24)),),
            absent=frozenset({D(2026, 11, 24)}),
            corrections={D(2026, 11, 24): V},
        ),
        V,
        "the township's correction on the sheet has the last word (Art.27(二) 盖章的考勤表)",
    ),
]


@pytest.mark.parametrize(("day", "facts", "expected", "why"), DAY_CASES)
def test_day_class(day: date, facts: DayFacts, expected: DayClass, why: str) -> None:
    assert classify(GANZHOU, day, CAL.is_workday(day), facts) == expected, why


def test_an_administrator_override_moves_a_day() -> None:
    calendar = WorkCalendar({D(2026, 11, 23): DayKind.HOLIDAY})
    assert classify(GANZHOU, D(2026, 11, 23), calendar.is_workday(D(2026, 11, 23)), DayFacts()) == R


@pytest.mark.parametrize(
    ("year", "month", "kind", "start", "end", "counted", "possible", "why"),
    [
        (2026, 11, None, None, None, 21, 30, "November: 21 working days, 9 weekend days"),
        (2026, 10, None, None, None, 18, 31, "October: National Day leaves 18 working days"),
        (2026, 11, LeaveKind.PERSONAL, D(2026, 11, 9), D(2026, 11, 15), 16, 23, "a week off"),
        (2026, 11, LeaveKind.BUSINESS, D(2026, 11, 13), D(2026, 11, 15), 23, 30, "trip Fri-Sun"),
        (2026, 11, LeaveKind.SICK, D(2026, 11, 28), D(2026, 12, 3), 20, 27, "straddles: Nov"),
        (2026, 12, LeaveKind.SICK, D(2026, 11, 28), D(2026, 12, 3), 20, 28, "straddles: Dec"),
    ],
)
def test_outlook_is_the_ledger_of_leave_alone(
    year: int,
    month: int,
    kind: LeaveKind | None,
    start: date | None,
    end: date | None,
    counted: int,
    possible: int,
    why: str,
) -> None:
    leave = [Absence(start, end, kind)] if kind and start and end else []
    look = outlook(GANZHOU, CAL, year, month, leave)
    assert (look.counted_days, look.possible_days) == (counted, possible), why


@pytest.fixture
async def roster(session: AsyncSession, clock: FixedClock) -> Roster:
    return await seed_roster(session, clock.now())


async def test_a_month_from_every_kind_of_record(session: AsyncSession, roster: Roster) -> None:
    wang = pf.cadre_id(roster, "王芳")
    # Sick leave across the month end, reported back early on 12-02 (销假).
    await pf.leave(
        session, wang, LeaveKind.SICK, D(2026, 11, 28), D(2026, 12, 4), returned_on=D(2026, 12, 2)
    )
    await pf.leave(session, wang, LeaveKind.TRAINING, D(2026, 11, 9), D(2026, 11, 10))
    await pf.leave(
        session, wang, LeaveKind.PERSONAL, D(2026, 11, 5), D(2026, 11, 5), state=LeaveState.REJECTED
    )
    await pf.location(session, wang, pf.local(D(2026, 11, 7)))  # Saturday, inside
    await pf.location(session, wang, pf.local(D(2026, 11, 8)), inside=False)  # Sunday, outside
    await pf.visit(session, roster, wang, pf.local(D(2026, 11, 15)), pf.NEAR)  # Sunday visit
    await pf.visit(session, roster, wang, pf.local(D(2026, 11, 22)), pf.FAR)  # too far
    # 23:30 on 11-30 in Beijing is 15:30 UTC: still November.
    await pf.location(session, wang, pf.local(D(2026, 11, 29), 23, 30))
    # 01:00 on 12-06 in Beijing is 17:00 UTC on 12-05: a December Sunday.
    await pf.location(session, wang, pf.local(D(2026, 12, 6), 1, 0))
    await pf.target(session, roster, wang, D(2026, 11, 17), CheckState.CONFIRMED)
    await pf.target(session, roster, wang, D(2026, 11, 18), CheckState.SUSPECTED)
    session.add(
        DayCorrection(
            cadre_id=wang,
            day=D(2026, 11, 14),
            day_class=V,
            reason="周六在村值班",
            by_person_id=pf.person_id(roster, "刘洋"),
            at=pf.local(D(2026, 12, 1)),
        )
    )
    await session.flush()
    november = await cadre_month(session, GANZHOU, CAL, wang, 2026, 11, zone=pf.ZONE)
    assert november is not None
    days = november.days
    assert days[D(2026, 11, 7)] == V, "Saturday location inside the radius"
    assert days[D(2026, 11, 8)] == R, "outside the radius proves nothing"
    assert days[D(2026, 11, 15)] == V, "a visit carrying a location inside the radius"
    assert days[D(2026, 11, 22)] == R, "a visit far away proves nothing"
    assert days[D(2026, 11, 29)] == DayClass.SICK_LEAVE, "leave stands over the location"
    assert days[D(2026, 11, 5)] == V, "rejected leave keeps nobody away"
    assert (days[D(2026, 11, 9)], days[D(2026, 11, 10)]) == (OB, OB)
    assert days[D(2026, 11, 17)] == X and days[D(2026, 11, 18)] == V, "only confirmed counts"
    assert days[D(2026, 11, 14)] == V, "the township's correction"
    # 21 working days: 11-17 absent, 11-30 sick → 19 in the village incl. 2 as training;
    # plus weekends 7, 14 (correction) and 15.
    assert november.count(V) == 17 + 3 and november.count(OB) == 2
    assert november.count(DayClass.SICK_LEAVE) == 3 and november.count(X) == 1
    assert (november.counted, november.allowance_days, november.met) == (22, 20, True)
    december = await cadre_month(session, GANZHOU, CAL, wang, 2026, 12, zone=pf.ZONE)
    assert december is not None
    assert [december.days[D(2026, 12, d)] for d in (1, 2, 6)] == [DayClass.SICK_LEAVE, V, V]


async def test_so_far_and_whether_the_minimum_can_still_be_reached(
    session: AsyncSession, roster: Roster
) -> None:
    li = pf.cadre_id(roster, "李强")
    await pf.leave(session, li, LeaveKind.PERSONAL, D(2026, 11, 2), D(2026, 11, 13))
    month = await cadre_month(
        session, GANZHOU, CAL, li, 2026, 11, today=D(2026, 11, 23), zone=pf.ZONE
    )
    assert month is not None
    # So far: working days 16..23 not on leave (16-20, 23) = 6; ahead 24..30: 5 working
    # days and 2 weekend days.
    assert (month.counted_so_far, month.counted, month.possible) == (6, 11, 13)
    assert not month.reachable and not month.met
    zhang = await cadre_month(
        session,
        GANZHOU,
        CAL,
        pf.cadre_id(roster, "张伟"),
        2026,
        11,
        today=D(2026, 11, 23),
        zone=pf.ZONE,
    )
    assert zhang is not None and zhang.reachable and zhang.counted_so_far == 16


@pytest.mark.parametrize(
    ("posted", "days", "minimum"),
    [(30, 30, 20), (31, 31, 20), (15, 30, 10), (10, 31, 7), (1, 30, 1)],
)
def test_a_part_month_in_post_needs_its_share(posted: int, days: int, minimum: int) -> None:
    assert minimum_for(GANZHOU, posted, days) == minimum  # Art.16 平均每月


async def test_a_term_that_ends_mid_month(session: AsyncSession, roster: Roster) -> None:
    zhang = roster.cadres["张伟"]
    zhang.term_end = D(2026, 11, 15)
    session.add(zhang)
    await session.flush()
    month = await cadre_month(
        session, GANZHOU, CAL, pf.cadre_id(roster, "张伟"), 2026, 11, zone=pf.ZONE
    )
    assert month is not None and len(month.days) == 15 and month.minimum == 10
    assert (
        await cadre_month(
            session, GANZHOU, CAL, pf.cadre_id(roster, "张伟"), 2026, 12, zone=pf.ZONE
        )
        is None
    )


async def test_the_ledger_costs_the_same_queries_for_three_cadres_or_thirty(
    engine: AsyncEngine, session: AsyncSession, roster: Roster
) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    scope = Scope(ScopeKind.TOWNSHIP, roster.township.id or 0)
    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        small = await month_ledger(session, GANZHOU, CAL, 2026, 11, scope, zone=pf.ZONE)
        few = len(statements)
        await pf.more_cadres(session, roster, 27)
        statements.clear()
        big = await month_ledger(session, GANZHOU, CAL, 2026, 11, scope, zone=pf.ZONE)
        many = len([s for s in statements if s.lstrip().upper().startswith("SELECT")])
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert (len(small), len(big)) == (3, 30)
    assert many == few <= 9
