"""The supervision calendar: the leader meeting at the start of each period (quarterly under
central-2017, half-yearly under ganzhou), the dispatching unit's duties (ganzhou Art.15), and
term end 90 and 30 days ahead (Art.18). Each at its moment, once; after a three-day outage,
once; a group gets no personal data."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.notices import render
from locales import Catalogs
from services.clock import FixedClock
from services.operations.schedule import SWEEPS
from services.policy_loading import load_pack
from services.supervision.calendar_reminders import leader_meeting, term_end, unit_duties
from tests.factories import block_telegram
from tests.presence_factories import local, person_id
from tests.schedule_factories import (
    CALENDAR,
    ZONE,
    at,
    bind_county_group,
    params,
    recipients,
    rows,
    set_term_end,
    sweep,
    world,
)

GANZHOU = load_pack("ganzhou-2021")
CENTRAL = load_pack("central-2017")
ZH = Catalogs().get("zh")
NAMES = ("王芳", "李强", "张伟", "陈静", "刘洋", "吴海")


async def test_leader_meeting_at_the_start_of_each_half_year(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await world(session, clock)
    chat = await bind_county_group(session, roster)
    at(clock, date(2026, 7, 1), 8, 59)
    assert await sweep(session, leader_meeting, GANZHOU, clock) == 0
    at(clock, date(2026, 7, 1), 9)
    assert await sweep(session, leader_meeting, GANZHOU, clock) == 2
    assert await sweep(session, leader_meeting, GANZHOU, clock) == 0
    at(clock, date(2026, 7, 15), 9)
    assert await sweep(session, leader_meeting, GANZHOU, clock) == 0
    at(clock, date(2026, 10, 9), 9)  # a new quarter, but ganzhou meets half-yearly
    assert await sweep(session, leader_meeting, GANZHOU, clock) == 0
    office, group = await rows(session)
    assert office.person_id == person_id(roster, "陈静") and params(office)["teams"] == 1
    assert (group.chat_id, group.is_group, params(group)) == (
        chat,
        True,
        {"period": "2026H2", "cadence": "half_year"},
    )
    text = render(group.template, ZH, params(group)).text
    assert "2026年下半年" in text and not any(name in text for name in NAMES)


async def test_leader_meeting_quarterly_waits_for_a_working_day(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await world(session, clock)
    at(clock, date(2026, 10, 1), 10)  # National Day
    assert await sweep(session, leader_meeting, CENTRAL, clock) == 0
    at(clock, date(2026, 10, 8), 10)  # the quarter's first working day
    assert await sweep(session, leader_meeting, CENTRAL, clock) == 1
    assert await recipients(session, "meeting.leader_office") == [person_id(roster, "陈静")]
    assert params((await rows(session))[0])["period"] == "2026Q4"


async def test_unit_duties_name_the_villages(session: AsyncSession, clock: FixedClock) -> None:
    roster = await world(session, clock)
    at(clock, date(2026, 7, 1), 9)
    assert await sweep(session, unit_duties, GANZHOU, clock) == 1
    assert await sweep(session, unit_duties, CENTRAL, clock) == 0  # no such duties
    (row,) = await rows(session, "unit.duties")
    assert row.person_id == person_id(roster, "吴海")
    assert [d["duty"] for d in params(row)["duties"]] == [
        "unit_head_report",
        "unit_deputy_village_visit",
    ]  # the yearly visit is January's
    assert params(row)["villages"] == [{"village": "下寨村", "township": "江口镇", "cadres": 3}]
    at(clock, date(2026, 7, 2), 9)
    assert await sweep(session, unit_duties, GANZHOU, clock) == 0
    at(clock, date(2026, 8, 3), 9)
    assert await sweep(session, unit_duties, GANZHOU, clock) == 0
    at(clock, date(2026, 1, 5), 9)  # (back in January) all three
    assert await sweep(session, unit_duties, GANZHOU, clock) == 1
    january = (await rows(session, "unit.duties"))[-1]
    assert len(params(january)["duties"]) == 3
    assert "下寨村" in render(january.template, ZH, params(january)).text


async def test_term_end_90_then_30_days_ahead(session: AsyncSession, clock: FixedClock) -> None:
    roster = await world(session, clock)
    await set_term_end(session, roster, date(2026, 12, 31))
    at(clock, date(2026, 9, 30), 10)  # 92 days left
    assert await sweep(session, term_end, GANZHOU, clock) == 0
    at(clock, date(2026, 10, 2), 10)  # 90 days left, but a holiday
    assert await sweep(session, term_end, GANZHOU, clock) == 0
    at(clock, date(2026, 10, 8), 10)
    assert await sweep(session, term_end, GANZHOU, clock) == 5  # three cadres, office, unit
    assert await sweep(session, term_end, GANZHOU, clock) == 0
    at(clock, date(2026, 11, 30), 10)  # 31 days left
    assert await sweep(session, term_end, GANZHOU, clock) == 0
    at(clock, date(2026, 12, 1), 10)  # 30
    assert await sweep(session, term_end, GANZHOU, clock) == 5
    assert await sweep(session, term_end, GANZHOU, clock) == 0
    at(clock, date(2027, 1, 4), 10)  # the term is over
    assert await sweep(session, term_end, GANZHOU, clock) == 0
    lists = await rows(session, "term_end.list")
    assert [(r.person_id, params(r)["days_left"]) for r in lists] == [
        (person_id(roster, "陈静"), 84),
        (person_id(roster, "吴海"), 84),
        (person_id(roster, "陈静"), 30),
        (person_id(roster, "吴海"), 30),
    ]
    assert [c["name"] for c in params(lists[0])["cadres"]] == ["王芳", "李强", "张伟"]
    text = render(lists[0].template, ZH, params(lists[0])).text
    assert "2026年12月31日" in text and "压茬交接" in text


async def test_term_end_after_downtime_sends_only_the_nearest_threshold(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await world(session, clock)
    await set_term_end(session, roster, date(2026, 12, 31))
    at(clock, date(2026, 12, 10), 10)  # never ran in the 90-day window
    assert await sweep(session, term_end, GANZHOU, clock) == 5
    assert await sweep(session, term_end, GANZHOU, clock) == 0
    keys = [r.dedup_key for r in await rows(session, "term_end.cadre")]
    assert all(key.endswith(":30") for key in keys) and len(keys) == 3


async def test_nothing_is_queued_for_someone_who_blocked_the_bot(
    session: AsyncSession, clock: FixedClock
) -> None:
    """term_end writes to the cadres, the county office and the unit: a cadre and the office
    holder who blocked the bot get nothing, the others their reminders as usual."""
    roster = await world(session, clock)
    await set_term_end(session, roster, date(2026, 12, 31))
    for name in ("王芳", "陈静"):  # a cadre, and the county office's holder
        await block_telegram(session, roster.people[name], local(date(2026, 11, 20)))
    await session.commit()
    at(clock, date(2026, 12, 1), 10)
    assert await sweep(session, term_end, GANZHOU, clock) == 3
    assert await recipients(session, "term_end.cadre") == [
        person_id(roster, "李强"),
        person_id(roster, "张伟"),
    ]
    assert await recipients(session, "term_end.list") == [person_id(roster, "吴海")]


async def test_a_three_day_outage_then_one_tick_sends_each_due_reminder_once(
    session: AsyncSession, clock: FixedClock
) -> None:
    """Every sweep of this module through the scheduler's registry: down on 1–3 December
    2026, the tick on the 4th sends what fell due, and a second tick nothing."""
    roster = await world(session, clock)
    await bind_county_group(session, roster)
    await set_term_end(session, roster, date(2027, 1, 2))  # 29 days left on the 4th
    ours = {"training", "half_year_reports", "leader_meeting", "unit_duties", "term_end"}
    sweeps = [s for s in SWEEPS if s.name in ours]
    assert {s.name for s in sweeps} == ours
    at(clock, date(2026, 12, 4), 9, 1)

    async def tick() -> dict[str, int]:
        counts = {}
        for s in sweeps:
            counts[s.name] = await s.run(session, GANZHOU, CALENDAR, clock.now(), ZONE)
            await session.commit()
        return counts

    assert await tick() == {
        "training": 3 + 3 + 1,  # the year's (3), the term's (3) and the office's list
        "half_year_reports": 2,
        "leader_meeting": 0,  # ganzhou: January and July
        "unit_duties": 0,
        "term_end": 5,
    }
    clock.advance(timedelta(minutes=1))
    assert set((await tick()).values()) == {0}
