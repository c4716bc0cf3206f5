"""``run_all``: every sweep, each in its own transaction; one that fails is rolled back and
logged (its name and class only) and the others still run; a second run sends nothing."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.db import UnitOfWork
from models.enums import GroupScope, LeaveKind, LeaveState
from models.tables import GroupChat
from models.workflow import OutboxMessage
from services.calendar import WorkCalendar
from services.messaging import outbox
from services.operations.schedule import FAILED, SWEEPS, NamedSweep, run_all
from services.policy import PolicyPack
from services.policy_loading import load_pack
from tests import presence_factories as pf
from tests.factories import Roster, seed_roster

GANZHOU = load_pack("ganzhou-2021")
DEC_4 = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)  # Friday 09:00 in Beijing
# The leave, presence, visit and dispatch sweeps, and what they send (the supervision
# calendar's sweeps are tested on their own).
OURS = {
    "pending_approvals", "unreturned", "emergency_paperwork", "expire_checks", "draft_sheets",
    "visit_due", "monthly_dispatch",
}  # fmt: skip
OUR_TEMPLATES = ("leave.", "spotcheck.", "attendance.", "visit.", "dispatch.")


@pytest.fixture
async def roster(sessions: async_sessionmaker[AsyncSession]) -> Roster:
    async with UnitOfWork(sessions) as uow:
        roster = await seed_roster(uow.session, datetime(2026, 10, 1, tzinfo=UTC))
        await pf.register_everyone(uow.session, roster)
        assert roster.county.id is not None
        uow.session.add(
            GroupChat(
                chat_id="-100777",
                scope=GroupScope.COUNTY,
                county_id=roster.county.id,
                bound_at=DEC_4,
            )
        )
        await uow.commit()
    return roster


async def templates(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with UnitOfWork(sessions) as uow:
        rows = await uow.session.exec(
            select(OutboxMessage.template).order_by(col(OutboxMessage.id))
        )
        return [t for t in rows.all() if t.startswith(OUR_TEMPLATES)]


async def test_every_sweep_runs_and_a_second_run_sends_nothing(
    sessions: async_sessionmaker[AsyncSession], roster: Roster
) -> None:
    counts = await run_all(sessions, GANZHOU, DEC_4, pf.ZONE)
    assert list(counts) == [s.name for s in SWEEPS]
    assert OURS <= set(counts) and FAILED not in counts.values()
    assert counts["visit_due"] == 1  # 王芳, for 张伟明 (28 days left)
    assert counts["monthly_dispatch"] == 2  # November's: the county group and 陈静
    assert counts["draft_sheets"] == 1  # November's attendance draft for 江口镇
    sent = await templates(sessions)
    assert {"visit.due", "dispatch.summary", "dispatch.sheet", "attendance.draft"} <= set(sent)
    again = await run_all(sessions, GANZHOU, DEC_4, pf.ZONE)
    assert set(again.values()) == {0}
    assert await templates(sessions) == sent


async def test_a_failing_sweep_is_rolled_back_and_the_others_run(
    sessions: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    async def queue(session: AsyncSession, key: str) -> int:
        return int(
            await outbox.enqueue(
                session,
                key=key,
                chat_id="1",
                template="test",
                params={},
                now=DEC_4,
                channel="telegram",
            )
        )

    async def first(
        session: AsyncSession, pack: PolicyPack, cal: WorkCalendar, now: datetime, zone: object
    ) -> int:
        return await queue(session, "first")

    async def broken(
        session: AsyncSession, pack: PolicyPack, cal: WorkCalendar, now: datetime, zone: object
    ) -> int:
        await queue(session, "broken")
        raise RuntimeError("household 张伟明 is at fault")  # personal data: never logged

    async def last(
        session: AsyncSession, pack: PolicyPack, cal: WorkCalendar, now: datetime, zone: object
    ) -> int:
        return await queue(session, "last")

    sweeps = [NamedSweep("first", first), NamedSweep("broken", broken), NamedSweep("last", last)]
    with caplog.at_level(logging.ERROR, logger="services.operations.schedule"):
        counts = await run_all(sessions, GANZHOU, DEC_4, pf.ZONE, sweeps=sweeps)
    assert counts == {"first": 1, "broken": FAILED, "last": 1}
    async with UnitOfWork(sessions) as uow:
        keys = (await uow.session.exec(select(OutboxMessage.dedup_key))).all()
    assert sorted(keys) == ["first", "last"]  # the broken sweep's row was rolled back
    (record,) = caplog.records
    assert record.getMessage() == "sweep broken failed: RuntimeError"
    assert record.exc_info is None


async def test_three_days_down_then_each_due_reminder_once(
    sessions: async_sessionmaker[AsyncSession], roster: Roster
) -> None:
    """Up on 12-01 (November's dispatch check, 李强 told to report back), down from 12-01
    10:00 to 12-04 10:00, restarted: what fell due meanwhile goes once, nothing again."""
    async with UnitOfWork(sessions) as uow:
        s = uow.session
        li, zhang = pf.cadre_id(roster, "李强"), pf.cadre_id(roster, "张伟")
        await pf.leave(s, li, LeaveKind.PERSONAL, date(2026, 11, 25), date(2026, 11, 30))
        asked = await pf.leave(
            s, zhang, LeaveKind.PERSONAL, date(2026, 12, 4), date(2026, 12, 5),
            state=LeaveState.PENDING,
        )  # fmt: skip
        asked.route_key = f"township:{roster.township.id}"  # waiting since 12-01 10:00
        s.add(asked)
        await uow.commit()
    for hour in (8, 9, 10):
        await run_all(sessions, GANZHOU, pf.local(date(2026, 12, 1), hour), pf.ZONE)
    before = await templates(sessions)
    assert sorted(before) == [
        "attendance.draft", "dispatch.sheet", "dispatch.summary", "leave.remind_back",
    ]  # fmt: skip
    restart = pf.local(date(2026, 12, 4), 10)
    counts = await run_all(sessions, GANZHOU, restart, pf.ZONE)
    assert {name: n for name, n in counts.items() if n and name in OURS} == {
        "pending_approvals": 1,  # waited 72 hours: moved one tier up, once (no stale reminder)
        "visit_due": 1,  # the slot open now (28 days left), for 王芳
    }
    again = await run_all(sessions, GANZHOU, restart + timedelta(minutes=1), pf.ZONE)
    assert set(again.values()) == {0}
    after = await templates(sessions)
    assert after[: len(before)] == before
    new = after[len(before) :]
    assert new.count("visit.due") == 1 and "leave.remind_approver" not in new
    assert "leave.remind_back" not in new and "dispatch.summary" not in new
