"""The half-year work report: the team leader submits it, the county office receives it; the
leader is reminded weekly from the period's last month until it is in, and the office gets
the list of teams still missing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.presence import TeamReport
from services.clock import FixedClock
from services.errors import DomainError
from services.policy_loading import load_pack
from services.supervision.team_reports import (
    MAX_CHARS,
    Submitted,
    half_year_reports,
    open_period,
    report_period,
    submit,
)
from tests.factories import Roster
from tests.presence_factories import person_id
from tests.schedule_factories import ZONE, at, params, recipients, rows, set_term_end, sweep, world

PACK = load_pack("ganzhou-2021")


async def _submit(
    session: AsyncSession, roster: Roster, clock: FixedClock, text: str, name: str = "王芳"
) -> Submitted:
    assert roster.team.id is not None
    done = await submit(
        session, PACK, roster.team.id, person_id(roster, name), text, clock.now(), ZONE
    )
    await session.commit()
    return done


@pytest.mark.parametrize(
    ("day", "period", "window"),
    [
        (date(2026, 11, 23), "2026H2", None),
        (date(2026, 12, 1), "2026H2", ("2026H2", False)),
        (date(2027, 1, 10), "2026H2", ("2026H2", True)),
        (date(2027, 2, 1), "2027H1", None),
        (date(2026, 6, 30), "2026H1", ("2026H1", False)),
        (date(2026, 7, 1), "2026H1", ("2026H1", True)),
    ],
)
def test_periods(day: date, period: str, window: tuple[str, bool] | None) -> None:
    assert report_period(PACK, day).label == period
    found = open_period(PACK, day)
    assert (None if found is None else (found[0].label, found[1])) == window


async def test_the_leader_submits_and_the_office_receives_it(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await world(session, clock)
    done = await _submit(session, roster, clock, "思想：<稳定>\n工作：产业\n学习：党课")
    assert (done.period, done.replaced, done.delivered) == ("2026H2", False, 1)
    (sent,) = await rows(session, "team_report.received")
    assert sent.person_id == person_id(roster, "陈静")
    assert params(sent)["text"].startswith("思想：<稳定>")
    assert params(sent)["village"] == "下寨村" and params(sent)["revised"] is False

    clock.advance(timedelta(hours=2))
    again = await _submit(session, roster, clock, "修订版")
    assert again.replaced
    report = (await session.exec(select(TeamReport))).one()
    assert (report.period, report.text) == ("2026H2", "修订版")
    revised = (await rows(session, "team_report.received"))[-1]
    assert params(revised)["revised"] is True and params(revised)["text"] == "修订版"
    same = await _submit(session, roster, clock, "修订版")  # the same text again
    assert (same.replaced, same.delivered) == (True, 1)
    assert len(await rows(session, "team_report.received")) == 2  # not forwarded twice


async def test_a_report_nobody_at_the_office_can_receive_is_kept(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await world(session, clock, registered=False)
    done = await _submit(session, roster, clock, "报告")
    assert (done.period, done.delivered) == ("2026H2", 0)
    assert await rows(session) == []


@pytest.mark.parametrize(
    ("name", "text", "code"),
    [
        ("李强", "报告", "team_leader_required"),  # a team member, not the leader
        ("王芳", "   ", "team_report_empty"),
        ("王芳", "字" * (MAX_CHARS + 1), "team_report_too_long"),
    ],
)
async def test_a_report_that_cannot_be_submitted(
    session: AsyncSession, clock: FixedClock, name: str, text: str, code: str
) -> None:
    roster = await world(session, clock)
    with pytest.raises(DomainError) as caught:
        await _submit(session, roster, clock, text, name)
    assert caught.value.code == code


async def test_weekly_reminders_in_the_last_month_until_submitted(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await world(session, clock)
    wang, chen = person_id(roster, "王芳"), person_id(roster, "陈静")
    at(clock, date(2026, 11, 30), 10)
    assert await sweep(session, half_year_reports, PACK, clock) == 0  # not the last month yet
    at(clock, date(2026, 12, 1), 8)
    assert await sweep(session, half_year_reports, PACK, clock) == 0  # before 09:00
    at(clock, date(2026, 12, 1), 9)
    assert await sweep(session, half_year_reports, PACK, clock) == 2
    assert await sweep(session, half_year_reports, PACK, clock) == 0  # run twice
    at(clock, date(2026, 12, 4), 16)
    assert await sweep(session, half_year_reports, PACK, clock) == 0  # the same week
    assert await recipients(session, "team_report.due") == [wang]
    (missing,) = await rows(session, "team_report.missing")
    assert missing.person_id == chen
    assert params(missing)["teams"] == [{"village": "下寨村", "township": "江口镇"}]
    assert params(missing)["overdue"] is False

    at(clock, date(2026, 12, 7), 9)  # a new week
    assert await sweep(session, half_year_reports, PACK, clock) == 2
    await _submit(session, roster, clock, "本半年工作报告")
    at(clock, date(2026, 12, 14), 9)
    assert await sweep(session, half_year_reports, PACK, clock) == 0  # cleared


async def test_overdue_in_the_month_after_then_closed(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await world(session, clock)
    at(clock, date(2027, 1, 4), 9)
    assert await sweep(session, half_year_reports, PACK, clock) == 2
    due = (await rows(session, "team_report.due"))[0]
    assert params(due)["overdue"] is True
    assert params(due)["period"] == "2026H2"
    # A report written now is the second half's, and it clears the reminders.
    await _submit(session, roster, clock, "下半年报告")
    assert (await session.exec(select(TeamReport.period))).all() == ["2026H2"]
    at(clock, date(2027, 1, 11), 9)
    assert await sweep(session, half_year_reports, PACK, clock) == 0
    at(clock, date(2027, 2, 1), 9)
    assert await sweep(session, half_year_reports, PACK, clock) == 0  # outside any window


async def test_after_a_three_day_outage_each_reminder_goes_once(
    session: AsyncSession, clock: FixedClock
) -> None:
    await world(session, clock)
    at(clock, date(2026, 12, 4), 14)  # down on 1–3 December
    assert await sweep(session, half_year_reports, PACK, clock) == 2
    clock.advance(timedelta(minutes=1))
    assert await sweep(session, half_year_reports, PACK, clock) == 0


async def test_a_team_nobody_is_posted_to_is_not_chased(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await world(session, clock)
    await set_term_end(session, roster, date(2026, 11, 30))
    at(clock, date(2026, 12, 1), 9)
    assert await sweep(session, half_year_reports, PACK, clock) == 0
