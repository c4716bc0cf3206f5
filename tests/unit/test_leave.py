"""Leave: routing, day counting, overlap, team coverage, the monthly minimum, emergencies,
decisions, and the sweeps. Each policy row cites the article it comes from."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import GroupScope, LeaveKind, LeaveState
from models.tables import GroupChat
from models.workflow import AuditEvent, OutboxMessage
from services.calendar import WorkCalendar
from services.clock import FixedClock
from services.errors import DomainError
from services.leave import approvals
from services.leave import sweeps as leave_sweeps
from services.leave.requests import (
    LeaveDraft,
    complete_emergency,
    plan,
    report_back,
    submit,
)
from services.leave.withdrawal import to_withdraw, withdraw
from services.policy_loading import load_pack
from tests.factories import (
    Roster,
    bind_telegram,
    seed_roster,
)

ZONE = ZoneInfo("Asia/Shanghai")
GANZHOU = load_pack("ganzhou-2021")
CAL = WorkCalendar({})
TODAY = date(2026, 11, 23)  # the clock fixture: Monday 2026-11-23 09:00 Beijing time


@pytest.fixture
async def roster(session: AsyncSession, clock: FixedClock) -> Roster:
    roster = await seed_roster(session, clock.now())
    for n, person in enumerate(roster.people.values(), start=1):
        bind_telegram(session, person, 50_000 + n)  # everyone registered: cards are delivered
    await session.flush()
    return roster


def cadre(roster: Roster, name: str) -> int:
    cid = roster.cadres[name].id
    assert cid is not None
    return cid


def person(roster: Roster, name: str) -> int:
    pid = roster.people[name].id
    assert pid is not None
    return pid


async def outbox_rows(session: AsyncSession, template: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(col(OutboxMessage.id))
    if template:
        query = query.where(col(OutboxMessage.template) == template)
    return list((await session.exec(query)).all())


def draft(start: date, days: int, kind: LeaveKind = LeaveKind.PERSONAL, **kw: object) -> LeaveDraft:
    return LeaveDraft(kind, start, start + timedelta(days=days - 1), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pack_id", "days", "approver", "holder", "replacement", "source"),
    [
        (
            "ganzhou-2021",
            1,
            "township_party_committee",
            "刘洋",
            False,
            "Art.17 3天（含）以内 乡镇党委",
        ),
        ("ganzhou-2021", 3, "township_party_committee", "刘洋", False, "Art.17 3天（含）以内"),
        ("ganzhou-2021", 4, "county_leading_group_office", "陈静", False, "Art.17 4—7天 县驻村办"),
        ("ganzhou-2021", 7, "county_leading_group_office", "陈静", False, "Art.17 4—7天（含）"),
        ("ganzhou-2021", 8, "county_leading_group", "赵敏", False, "Art.17 8天（含）以上 领导小组"),
        ("ganzhou-2021", 14, "county_leading_group", "赵敏", False, "Art.17 8天（含）以上"),
        ("ganzhou-2021", 15, "county_leading_group", "赵敏", True, "Art.17 15天（含）以上 接替"),
        ("guangdong-2016", 2, "village_party_org", "周建国", False, "五.1 2天以下 村党组织"),
        ("guangdong-2016", 3, "township_party_committee", "刘洋", False, "五.1 3天以下 乡镇党委"),
        ("guangdong-2016", 4, "county_org_dept", "孙磊", False, "五.1 3天以上 县组织部门"),
        ("central-2017", 3, "township_party_committee", "刘洋", False, "default: ganzhou tiers"),
        ("central-2017", 4, "county_leading_group_office", "陈静", False, "default: ganzhou"),
        ("qinghai-2018", 8, "county_leading_group", "赵敏", False, "default: ganzhou tiers"),
        ("qinghai-2018", 15, "county_leading_group", "赵敏", True, "default: ganzhou tiers"),
    ],
)
async def test_routing_reaches_the_post_holder(
    session: AsyncSession,
    roster: Roster,
    pack_id: str,
    days: int,
    approver: str,
    holder: str,
    replacement: bool,
    source: str,
) -> None:
    pack = load_pack(pack_id)
    result = await plan(
        session, pack, CAL, cadre(roster, "王芳"), draft(date(2026, 12, 1), days), TODAY
    )
    assert result.days == days
    assert result.route.approver.value == approver, source
    assert [a.name for a in result.approvers] == [holder], source
    assert result.route.replacement_required is replacement, source


@pytest.mark.parametrize(
    ("start", "end", "day_count", "days", "why"),
    [
        (date(2026, 11, 29), date(2026, 12, 2), "calendar", 4, "across a month end"),
        (date(2026, 12, 30), date(2027, 1, 2), "calendar", 4, "across a year end"),
        (date(2026, 2, 28), date(2026, 3, 1), "calendar", 2, "February, not a leap year"),
        (date(2026, 9, 30), date(2026, 10, 9), "working", 3, "National Day: 9-30, 10-8, 10-9"),
        (date(2026, 12, 31), date(2027, 1, 4), "working", 3, "2027: Mon–Fri until 1-1 is set"),
    ],
)
async def test_day_counting(
    session: AsyncSession,
    roster: Roster,
    start: date,
    end: date,
    day_count: str,
    days: int,
    why: str,
) -> None:
    pack = GANZHOU.model_copy(
        update={"leave": GANZHOU.leave.model_copy(update={"day_count": day_count})}
    )
    result = await plan(
        session, pack, CAL, cadre(roster, "王芳"), LeaveDraft(LeaveKind.PERSONAL, start, end), start
    )
    assert result.days == days, why


@pytest.mark.parametrize(
    ("leave", "code"),
    [
        (
            LeaveDraft(LeaveKind.PERSONAL, date(2026, 12, 3), date(2026, 12, 1)),
            "leave_end_before_start",
        ),
        (
            LeaveDraft(LeaveKind.PERSONAL, date(2026, 11, 22), date(2026, 11, 24)),
            "leave_start_in_past",
        ),
        (
            LeaveDraft(LeaveKind.PERSONAL, date(2026, 12, 1), date(2026, 12, 1), "长" * 501),
            "leave_reason_too_long",
        ),
    ],
)
async def test_bad_drafts_are_refused_with_one_code(
    session: AsyncSession, roster: Roster, leave: LeaveDraft, code: str
) -> None:
    with pytest.raises(DomainError) as err:
        await plan(session, GANZHOU, CAL, cadre(roster, "王芳"), leave, TODAY)
    assert err.value.code == code


async def test_reason_of_exactly_the_limit_is_fine(session: AsyncSession, roster: Roster) -> None:
    leave = LeaveDraft(LeaveKind.PERSONAL, date(2026, 12, 1), date(2026, 12, 1), "长" * 500)
    assert (await plan(session, GANZHOU, CAL, cadre(roster, "王芳"), leave, TODAY)).days == 1


async def test_overlap_with_own_pending_or_approved_leave(
    session: AsyncSession, roster: Roster, clock: FixedClock
) -> None:
    wang = cadre(roster, "王芳")
    first, _ = await submit(
        session, GANZHOU, CAL, wang, draft(date(2026, 12, 1), 3), clock.now(), ZONE
    )
    with pytest.raises(DomainError) as err:
        await plan(session, GANZHOU, CAL, wang, draft(date(2026, 12, 3), 2), TODAY)
    assert err.value.code == "leave_overlaps" and err.value.params["leave_id"] == first.id
    # The day after is free; a withdrawn request blocks nothing.
    assert (await plan(session, GANZHOU, CAL, wang, draft(date(2026, 12, 4), 1), TODAY)).days == 1
    assert first.id is not None
    await withdraw(session, first.id, wang, clock.now(), ZONE)
    assert (await plan(session, GANZHOU, CAL, wang, draft(date(2026, 12, 2), 2), TODAY)).days == 2


async def test_team_coverage_warns_when_nobody_would_be_left(
    session: AsyncSession, roster: Roster, clock: FixedClock
) -> None:
    liu = person(roster, "刘洋")
    for name in ("李强", "张伟"):
        leave, _ = await submit(
            session,
            GANZHOU,
            CAL,
            cadre(roster, name),
            draft(date(2026, 12, 1), 3),
            clock.now(),
            ZONE,
        )
        assert leave.id is not None
        await approvals.decide(
            session,
            GANZHOU,
            leave.id,
            liu,
            approve=True,
            note="",
            now=clock.now(),
            zone=ZoneInfo("Asia/Shanghai"),
        )
    result = await plan(
        session, GANZHOU, CAL, cadre(roster, "王芳"), draft(date(2026, 12, 2), 4), TODAY
    )
    assert result.empty_days == [date(2026, 12, 2), date(2026, 12, 3)]


@pytest.mark.parametrize(
    ("kind", "counted", "short_by", "why"),
    [
        (LeaveKind.PERSONAL, 18, 2, "Art.16: personal leave does not count; 23 − 5 < 20"),
        (LeaveKind.BUSINESS, 23, 0, "Art.16: 含因公出差、开会和培训"),
        (LeaveKind.TRAINING, 23, 0, "Art.16: training counts"),
    ],
)
async def test_monthly_minimum_warning(
    session: AsyncSession, roster: Roster, kind: LeaveKind, counted: int, short_by: int, why: str
) -> None:
    # 2026-12-07 (Mon) to 12-11 (Fri): five working days of December's 23.
    result = await plan(
        session, GANZHOU, CAL, cadre(roster, "王芳"), draft(date(2026, 12, 7), 5, kind), TODAY
    )
    (december,) = result.outlooks
    assert december.working_days == 23
    assert (december.counted_days, december.short_by) == (counted, short_by), why
    assert december.minimum == 20


async def test_leave_straddling_two_months_has_an_outlook_for_each(
    session: AsyncSession, roster: Roster
) -> None:
    result = await plan(
        session, GANZHOU, CAL, cadre(roster, "王芳"), draft(date(2026, 11, 30), 3), TODAY
    )
    assert [(o.year, o.month) for o in result.outlooks] == [(2026, 11), (2026, 12)]


async def test_decision_once_and_by_the_right_post_only(
    session: AsyncSession, roster: Roster, clock: FixedClock
) -> None:
    wang, liu = cadre(roster, "王芳"), person(roster, "刘洋")
    leave, _ = await submit(
        session, GANZHOU, CAL, wang, draft(date(2026, 12, 1), 3), clock.now(), ZONE
    )
    assert leave.id is not None
    cards = await outbox_rows(session, "leave.card")
    assert [c.person_id for c in cards] == [liu] and cards[0].ref == f"leave:{leave.id}"

    with pytest.raises(DomainError) as err:  # the county office is not on a 3-day request's chain
        await approvals.decide(
            session,
            GANZHOU,
            leave.id,
            person(roster, "陈静"),
            approve=True,
            note="",
            now=clock.now(),
            zone=ZoneInfo("Asia/Shanghai"),
        )
    assert err.value.code == "not_your_decision"
    with pytest.raises(DomainError) as err:
        await approvals.decide(
            session,
            GANZHOU,
            leave.id,
            liu,
            approve=False,
            note=" ",
            now=clock.now(),
            zone=ZoneInfo("Asia/Shanghai"),
        )
    assert err.value.code == "reject_needs_reason"

    first = await approvals.decide(
        session,
        GANZHOU,
        leave.id,
        liu,
        approve=True,
        note="",
        now=clock.now(),
        zone=ZoneInfo("Asia/Shanghai"),
    )
    assert first.decided_now and leave.state == LeaveState.APPROVED
    clock.advance(timedelta(minutes=5))
    second = await approvals.decide(
        session,
        GANZHOU,
        leave.id,
        liu,
        approve=False,
        note="晚了",
        now=clock.now(),
        zone=ZoneInfo("Asia/Shanghai"),
    )
    assert not second.decided_now and second.approved and second.decided_by == "刘洋"
    decided = await outbox_rows(session, "leave.decided")
    assert len(decided) == 1 and decided[0].person_id == person(roster, "王芳")
    actions = [e.action for e in (await session.exec(select(AuditEvent))).all()]
    assert actions == ["submit", "approve"]


async def test_group_hears_only_who_is_away_and_when(
    session: AsyncSession, roster: Roster, clock: FixedClock
) -> None:
    session.add(
        GroupChat(
            chat_id="-100500",
            scope=GroupScope.VILLAGE,
            village_id=roster.village.id,
            bound_at=clock.now(),
        )
    )
    leave, _ = await submit(
        session,
        GANZHOU,
        CAL,
        cadre(roster, "王芳"),
        draft(date(2026, 12, 1), 3, reason="家中老人住院"),
        clock.now(),
        ZONE,
    )
    assert leave.id is not None
    await approvals.decide(
        session,
        GANZHOU,
        leave.id,
        person(roster, "刘洋"),
        approve=True,
        note="",
        now=clock.now(),
        zone=ZoneInfo("Asia/Shanghai"),
    )
    (notice,) = await outbox_rows(session, "leave.away")
    assert notice.is_group and notice.chat_id == "-100500"
    assert json.loads(notice.params) == {
        "cadre": "王芳",
        "start": "2026-12-01",
        "end": "2026-12-03",
    }


async def test_fifteen_days_tell_the_dispatching_unit_on_approval(
    session: AsyncSession, roster: Roster, clock: FixedClock
) -> None:
    leave, _ = await submit(
        session,
        GANZHOU,
        CAL,
        cadre(roster, "王芳"),
        draft(date(2026, 12, 1), 15),
        clock.now(),
        ZONE,
    )
    assert leave.id is not None and leave.replacement_required
    await approvals.decide(
        session,
        GANZHOU,
        leave.id,
        person(roster, "赵敏"),
        approve=True,
        note="",
        now=clock.now(),
        zone=ZoneInfo("Asia/Shanghai"),
    )
    (notice,) = await outbox_rows(session, "leave.replacement")
    assert notice.person_id == person(roster, "吴海")


async def test_emergency_leave_takes_effect_and_chases_its_paperwork(
    session: AsyncSession, roster: Roster, clock: FixedClock
) -> None:
    wang, liu = cadre(roster, "王芳"), person(roster, "刘洋")
    with pytest.raises(DomainError) as err:
        await submit(
            session,
            GANZHOU,
            CAL,
            wang,
            draft(TODAY + timedelta(days=1), 2, emergency=True),
            clock.now(),
            ZONE,
        )
    assert err.value.code == "emergency_starts_today"
    leave, _ = await submit(
        session, GANZHOU, CAL, wang, draft(TODAY, 2, emergency=True), clock.now(), ZONE
    )
    assert leave.id is not None
    assert leave.state == LeaveState.TO_COMPLETE and leave.written_at is None
    (told,) = await outbox_rows(session, "leave.emergency")
    assert told.person_id == liu  # the approver is told at once
    with pytest.raises(DomainError) as err:
        await approvals.decide(
            session,
            GANZHOU,
            leave.id,
            liu,
            approve=True,
            note="",
            now=clock.now(),
            zone=ZoneInfo("Asia/Shanghai"),
        )
    assert err.value.code == "leave_not_written"

    # Same day: no chase yet. Next morning, twice: one reminder.
    assert (
        await leave_sweeps.emergency_paperwork(session, GANZHOU, clock.now(), ZONE)
    ).reminded == 0
    clock.advance(timedelta(days=1))
    for _ in range(2):
        await leave_sweeps.emergency_paperwork(session, GANZHOU, clock.now(), ZONE)
    assert len(await outbox_rows(session, "leave.remind_complete")) == 1
    # Three days late: overdue.
    clock.advance(timedelta(days=2))
    await leave_sweeps.emergency_paperwork(session, GANZHOU, clock.now(), ZONE)
    last = (await outbox_rows(session, "leave.remind_complete"))[-1]
    assert json.loads(last.params)["overdue"] is True

    await complete_emergency(session, GANZHOU, CAL, leave.id, wang, "母亲突发疾病送医", clock.now())
    assert leave.written_at is not None and leave.state == LeaveState.TO_COMPLETE
    assert len(await outbox_rows(session, "leave.card")) == 1
    decision = await approvals.decide(
        session,
        GANZHOU,
        leave.id,
        liu,
        approve=True,
        note="",
        now=clock.now(),
        zone=ZoneInfo("Asia/Shanghai"),
    )
    assert decision.decided_now and leave.state == LeaveState.APPROVED


async def test_reminder_then_escalation_each_once(
    session: AsyncSession, roster: Roster, clock: FixedClock
) -> None:
    leave, _ = await submit(
        session, GANZHOU, CAL, cadre(roster, "王芳"), draft(date(2026, 12, 1), 3), clock.now(), ZONE
    )
    clock.advance(timedelta(hours=23))
    assert (await leave_sweeps.pending_approvals(session, GANZHOU, CAL, clock.now())).reminded == 0
    clock.advance(timedelta(hours=2))
    for _ in range(3):
        await leave_sweeps.pending_approvals(session, GANZHOU, CAL, clock.now())
    assert [r.person_id for r in await outbox_rows(session, "leave.remind_approver")] == [
        person(roster, "刘洋")
    ]
    clock.advance(timedelta(hours=24))
    results = [
        await leave_sweeps.pending_approvals(session, GANZHOU, CAL, clock.now()) for _ in range(2)
    ]
    assert [r.escalated for r in results] == [1, 0]
    assert leave.waiting_on.value == "county_leading_group_office"
    cards = await outbox_rows(session, "leave.card")
    assert [c.person_id for c in cards] == [person(roster, "刘洋"), person(roster, "陈静")]
    first, escalated = (json.loads(c.params) for c in cards)
    assert "waited_hours" not in first
    # The escalated card says why it came: on whom the request waited, and how long.
    assert (escalated["waited_on"], escalated["waited_hours"]) == (["刘洋"], 49)
    assert escalated["waited_post"] == "township_party_committee"
    # The county office may now decide; so may the township it was first sent to.
    assert leave.id is not None
    assert await approvals.may_decide(session, GANZHOU, leave, person(roster, "陈静"))
    assert await approvals.may_decide(session, GANZHOU, leave, person(roster, "刘洋"))
    assert [r.leave_id for r in await approvals.pending_for(session, person(roster, "陈静"))] == [
        leave.id
    ]


async def test_three_day_outage_escalates_once_without_a_storm(
    session: AsyncSession, roster: Roster, clock: FixedClock
) -> None:
    await submit(
        session, GANZHOU, CAL, cadre(roster, "王芳"), draft(date(2026, 12, 1), 3), clock.now(), ZONE
    )
    clock.advance(timedelta(days=3))
    for _ in range(3):
        await leave_sweeps.pending_approvals(session, GANZHOU, CAL, clock.now())
    assert len(await outbox_rows(session, "leave.card")) == 2
    assert await outbox_rows(session, "leave.remind_approver") == []


async def test_withdraw_rules(session: AsyncSession, roster: Roster, clock: FixedClock) -> None:
    wang, liu = cadre(roster, "王芳"), person(roster, "刘洋")
    pending, _ = await submit(
        session, GANZHOU, CAL, wang, draft(date(2026, 12, 1), 1), clock.now(), ZONE
    )
    assert pending.id is not None
    await withdraw(session, pending.id, wang, clock.now(), ZONE)
    assert pending.state == LeaveState.WITHDRAWN
    assert [r.person_id for r in await outbox_rows(session, "leave.withdrawn")] == [liu]
    started, _ = await submit(session, GANZHOU, CAL, wang, draft(TODAY, 2), clock.now(), ZONE)
    assert started.id is not None
    await approvals.decide(
        session,
        GANZHOU,
        started.id,
        liu,
        approve=True,
        note="",
        now=clock.now(),
        zone=ZoneInfo("Asia/Shanghai"),
    )
    with pytest.raises(DomainError) as err:
        await withdraw(session, started.id, wang, clock.now(), ZONE)
    assert err.value.code == "leave_not_withdrawable"
    with pytest.raises(DomainError):  # not hers
        await withdraw(session, started.id, cadre(roster, "李强"), clock.now(), ZONE)


async def test_a_withdrawal_asked_about_another_state_is_refused(
    session: AsyncSession, roster: Roster, clock: FixedClock
) -> None:
    wang, liu = cadre(roster, "王芳"), person(roster, "刘洋")
    leave, _ = await submit(
        session, GANZHOU, CAL, wang, draft(date(2026, 12, 1), 1), clock.now(), ZONE
    )
    assert leave.id is not None
    asked = (await to_withdraw(session, leave.id, wang, clock.now(), ZONE)).state
    await approvals.decide(
        session, GANZHOU, leave.id, liu, approve=True, note="", now=clock.now(), zone=ZONE
    )
    with pytest.raises(DomainError) as err:
        await withdraw(session, leave.id, wang, clock.now(), ZONE, expected=asked)
    assert err.value.code == "leave_changed"
    assert leave.state == LeaveState.APPROVED
    assert await outbox_rows(session, "leave.withdrawn") == []
    await withdraw(session, leave.id, wang, clock.now(), ZONE, expected=LeaveState.APPROVED)
    assert leave.state == LeaveState.WITHDRAWN


async def test_back_closes_with_actual_date_and_the_unreturned_are_reminded(
    session: AsyncSession, roster: Roster, clock: FixedClock
) -> None:
    wang, li, liu = cadre(roster, "王芳"), cadre(roster, "李强"), person(roster, "刘洋")
    with pytest.raises(DomainError) as err:
        await report_back(session, wang, clock.now(), ZONE)
    assert err.value.code == "no_leave_to_close"
    mine, _ = await submit(session, GANZHOU, CAL, wang, draft(TODAY, 3), clock.now(), ZONE)
    his, _ = await submit(session, GANZHOU, CAL, li, draft(TODAY, 2), clock.now(), ZONE)
    for leave in (mine, his):
        assert leave.id is not None
        await approvals.decide(
            session,
            GANZHOU,
            leave.id,
            liu,
            approve=True,
            note="",
            now=clock.now(),
            zone=ZoneInfo("Asia/Shanghai"),
        )
    clock.advance(timedelta(days=1))  # back a day early
    closed = await report_back(session, wang, clock.now(), ZONE)
    assert closed.state == LeaveState.CLOSED and closed.returned_on == date(2026, 11, 24)
    # 李强's leave ended on the 24th; on the 25th before eight nothing, after eight once.
    clock.set(datetime(2026, 11, 24, 23, 0, tzinfo=UTC))  # 07:00 on the 25th in Beijing
    assert (await leave_sweeps.unreturned(session, GANZHOU, clock.now(), ZONE)).reminded == 0
    clock.advance(timedelta(hours=2))
    for _ in range(2):
        await leave_sweeps.unreturned(session, GANZHOU, clock.now(), ZONE)
    (reminder,) = await outbox_rows(session, "leave.remind_back")
    assert reminder.person_id == person(roster, "李强")
