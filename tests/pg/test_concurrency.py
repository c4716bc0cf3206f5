"""Concurrency on PostgreSQL, where several processes share one database for real.

- Two processes decide the same leave at the same moment: the conditional update lets
  exactly one win; the other is told who decided, and nothing is recorded or sent twice.
- Two relays drain the outbox at once: ``claim_due`` locks with FOR UPDATE SKIP LOCKED, so
  no row is claimed (or sent) by both.

(Only one worker ticking, the advisory lock, is in ``test_worker_lock.py``.)
"""

from __future__ import annotations

import asyncio
import json
import sys
from asyncio.subprocess import Process
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.db import create_engine, session_factory
from models.enums import LeaveKind, LeaveState, OutboxState
from models.tables import ApproverPost
from models.workflow import AuditEvent, LeaveRequest, OutboxMessage
from services.calendar import WorkCalendar
from services.clock import FixedClock
from services.leave.requests import LeaveDraft, submit
from services.messaging import outbox, outbox_leases, outbox_outcomes
from services.policy_loading import load_pack
from tests.factories import bind_telegram, seed_roster

pytestmark = pytest.mark.postgresql_only

ROOT = Path(__file__).resolve().parents[2]
ZONE = ZoneInfo("Asia/Shanghai")
RACER = "from tests.pg.racers import main; main()"
WAIT = 60.0  # seconds: a bound on a hang, never a measured expectation


# ------------------------------------------------------------------ two processes, one leave


async def _pending_leave(session: AsyncSession, clock: FixedClock) -> tuple[int, int, int]:
    """A 3-day leave for 王芳, waiting on the township party committee, which has two
    members: 刘洋 and 孙磊. Returns (leave id, 刘洋's person id, 孙磊's person id)."""
    roster = await seed_roster(session, clock.now())
    for n, person in enumerate(roster.people.values(), start=1):
        bind_telegram(session, person, 50_000 + n)  # registered: decisions reach the cadre
    township_post = roster.posts["乡镇党委"]
    sun = roster.people["孙磊"].id
    assert sun is not None
    session.add(
        ApproverPost(**township_post.model_dump(exclude={"id", "person_id"}), person_id=sun)
    )
    cadre = roster.cadres["王芳"].id
    assert cadre is not None
    start = date(2026, 12, 1)
    leave, _ = await submit(
        session,
        load_pack("ganzhou-2021"),
        WorkCalendar({}),
        cadre,
        LeaveDraft(LeaveKind.PERSONAL, start, start + timedelta(days=2), reason="家中有事"),
        clock.now(),
        ZONE,
    )
    await session.commit()
    liu = roster.people["刘洋"].id
    assert leave.id is not None and liu is not None
    return leave.id, liu, sun


async def _racer(*args: str) -> Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        RACER,
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _waiting_on_locks(conn: AsyncConnection) -> int:
    """How many other sessions of this database wait on a lock right now."""
    # Activity is a snapshot taken once per transaction, and the gate's stays open.
    await conn.execute(text("SELECT pg_stat_clear_snapshot()"))
    count = await conn.scalar(
        text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
    )
    return int(count or 0)


async def _until_both_wait(gate: AsyncConnection, racers: list[Process]) -> None:
    """Return once both racers wait on a lock; fail, saying what they did, if one ends
    first or they are not there within ``WAIT``."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while await _waiting_on_locks(gate) < 2:
        if any(p.returncode is not None for p in racers) or (
            asyncio.get_running_loop().time() > deadline
        ):
            said = []
            for process in racers:
                if process.returncode is None:
                    process.kill()
                said.append((await process.communicate())[1].decode()[-2000:])
            pytest.fail(f"the racers did not meet at the update: {said}")
        await asyncio.sleep(0.05)


async def _result(process: Process) -> dict[str, Any]:
    out, err = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode == 0, err.decode()
    answer: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return answer


@pytest.mark.parametrize(
    "second_approves", [True, False], ids=["both-approve", "approve-vs-reject"]
)
async def test_two_processes_deciding_one_leave_exactly_one_wins(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    clock: FixedClock,
    second_approves: bool,
) -> None:
    async with sessions() as s:
        leave_id, liu, sun = await _pending_leave(s, clock)
    decided_at = (clock.now() + timedelta(minutes=5)).isoformat()

    # The barrier: this connection holds the leave's row lock while both processes start,
    # read the pending request, pass every check and reach the conditional UPDATE, where
    # each waits on that lock. Letting go releases both at the same instant.
    racers: list[Process] = []
    try:
        async with engine.connect() as gate:
            await gate.execute(
                text("SELECT id FROM leave_requests WHERE id = :id FOR UPDATE"), {"id": leave_id}
            )
            for person, approve in ((liu, True), (sun, second_approves)):
                racers.append(
                    await _racer(
                        "decide",
                        database_url,
                        str(leave_id),
                        str(person),
                        "1" if approve else "0",
                        decided_at,
                    )
                )
            await _until_both_wait(gate, racers)
            await gate.rollback()
        first, second = await asyncio.gather(*(_result(p) for p in racers))
    finally:
        for process in racers:
            if process.returncode is None:
                process.kill()
                await process.wait()

    assert [first["decided_now"], second["decided_now"]].count(True) == 1
    winner, loser = (first, second) if first["decided_now"] else (second, first)
    winner_approved = winner is first or second_approves
    assert winner["decided_by"] == ("刘洋" if winner is first else "孙磊")
    # The loser is told the outcome: who decided, and what.
    assert loser["decided_by"] == winner["decided_by"]
    assert loser["approved"] == winner["approved"] == winner_approved

    async with sessions() as s:
        leave = await s.get(LeaveRequest, leave_id)
        assert leave is not None
        assert leave.state == (LeaveState.APPROVED if winner_approved else LeaveState.REJECTED)
        assert leave.decided_by_person_id == (liu if winner is first else sun)
        decisions = (
            await s.exec(
                select(AuditEvent.action).where(
                    col(AuditEvent.entity_id) == leave_id,
                    col(AuditEvent.action).in_(["approve", "reject"]),
                )
            )
        ).all()
        assert decisions == ["approve" if winner_approved else "reject"]
        told = (
            await s.exec(
                select(OutboxMessage).where(col(OutboxMessage.template) == "leave.decided")
            )
        ).all()
        assert len(told) == 1
        assert json.loads(told[0].params)["approved"] is winner_approved


# ------------------------------------------------------------------ two relays, one outbox

LEASE = timedelta(minutes=5)
ROWS = 60


async def _fill_outbox(sessions: async_sessionmaker[AsyncSession], clock: FixedClock) -> None:
    async with sessions() as s:
        for n in range(ROWS):
            await outbox.enqueue(
                s,
                key=f"race:{n}",
                chat_id=str(900_000 + n),
                template="leave.away",
                params={"cadre": f"干部{n}", "start": "2026-12-01", "end": "2026-12-03"},
                now=clock.now(),
                channel="telegram",
            )
        await s.commit()


async def test_a_claim_in_progress_is_skipped_not_waited_for_nor_shared(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    await _fill_outbox(sessions, clock)
    now = clock.now()
    async with sessions() as a, sessions() as b:  # two connections: two relays
        got_a = await outbox_leases.claim_due(a, now, limit=10, lease=LEASE)
        # A has not committed: its rows are locked. B neither waits for them (it would
        # hang here until A commits) nor takes them.
        got_b = await asyncio.wait_for(outbox_leases.claim_due(b, now, limit=10, lease=LEASE), WAIT)
        await a.commit()
        await b.commit()
    ids_a, ids_b = {c.id for c in got_a}, {c.id for c in got_b}
    assert len(ids_a) == len(ids_b) == 10
    assert not ids_a & ids_b


async def _relay(url: str, clock: FixedClock, sent: list[int]) -> None:
    """A relay's loop, minus Telegram: claim a few, mark each sending, then sent."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    now = clock.now()
    try:
        while True:
            async with sessions() as s:
                claimed = await outbox_leases.claim_due(s, now, limit=3, lease=LEASE)
                await s.commit()
            if not claimed:
                return
            for row in claimed:
                async with sessions() as s:
                    token = await outbox_outcomes.mark_sending(s, row.id, row.lease, now, LEASE)
                    await s.commit()
                assert token is not None, f"row {row.id} was taken from its claimer"
                sent.append(row.id)
                async with sessions() as s:
                    await outbox_outcomes.mark_sent(s, row.id, str(10_000 + row.id), now)
                    await s.commit()
    finally:
        await engine.dispose()


async def test_two_relays_draining_at_once_send_each_row_once(
    sessions: async_sessionmaker[AsyncSession], database_url: str, clock: FixedClock
) -> None:
    await _fill_outbox(sessions, clock)
    sent_a: list[int] = []
    sent_b: list[int] = []
    await asyncio.wait_for(
        asyncio.gather(
            _relay(database_url, clock, sent_a),
            _relay(database_url, clock, sent_b),
        ),
        WAIT,
    )
    assert not set(sent_a) & set(sent_b)
    assert len(sent_a) + len(sent_b) == ROWS
    async with sessions() as s:
        rows = (await s.exec(select(OutboxMessage))).all()
    assert len(rows) == ROWS
    assert {r.state for r in rows} == {OutboxState.SENT}
    assert {r.attempts for r in rows} == {1}
    assert sorted(r.id for r in rows if r.id is not None) == sorted(sent_a + sent_b)
