"""Access ends with the post: a cadre whose term is over (or who was recalled) has no cadre
role in the chat, their requests still waiting are closed by the daily sweep, and nobody can
approve them; an approver whose post is gone can no longer decide."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.core.events import ChatKind, EventKind, Incoming
from handlers.leave.payloads import LeaveDecision
from models.enums import LeaveKind, LeaveState, RecallState
from models.presence import Recall
from models.tables import ApproverPost
from models.workflow import LeaveRequest, OutboxMessage
from services.calendar import WorkCalendar
from services.clock import FixedClock
from services.errors import DomainError
from services.leave import approvals
from services.leave.requests import LeaveDraft, submit
from services.leave.sweeps import close_out_of_post
from services.operations.schedule import SWEEPS
from services.policy_loading import load_pack
from services.roster.identity import identify
from tests.core_requests import Private
from tests.factories import Roster, bind_telegram, seed_roster

ZONE = ZoneInfo("Asia/Shanghai")
GANZHOU = load_pack("ganzhou-2021")
CAL = WorkCalendar({})
TODAY = date(2026, 11, 23)  # the clock fixture: Monday 2026-11-23 09:00 Beijing time
TERM_OVER = "任期已于"  # the start of the one line a former cadre hears


@dataclass
class World:
    roster: Roster
    users: dict[str, str]  # name -> the Telegram user id

    def cadre(self, name: str) -> int:
        cadre_id = self.roster.cadres[name].id
        assert cadre_id is not None
        return cadre_id

    def person(self, name: str) -> int:
        person_id = self.roster.people[name].id
        assert person_id is not None
        return person_id


@pytest.fixture
async def world(session: AsyncSession, clock: FixedClock) -> World:
    roster = await seed_roster(session, clock.now())
    users = {}
    for n, (name, person) in enumerate(roster.people.items(), start=1):
        bind_telegram(session, person, 60_000 + n)
        users[name] = str(60_000 + n)
    await session.flush()
    return World(roster, users)


async def end_term(session: AsyncSession, world: World, name: str, last_day: date) -> None:
    cadre = world.roster.cadres[name]
    cadre.term_end = last_day
    session.add(cadre)
    await session.flush()


async def ask_leave(session: AsyncSession, world: World, clock: FixedClock, name: str) -> int:
    start = TODAY + timedelta(days=7)
    draft = LeaveDraft(LeaveKind.PERSONAL, start, start + timedelta(days=1), reason="家事")
    leave, _ = await submit(session, GANZHOU, CAL, world.cadre(name), draft, clock.now(), ZONE)
    assert leave.id is not None
    return leave.id


YESTERDAY = TODAY - timedelta(days=1)


@pytest.mark.parametrize("command", ["/visit", "/leave", "/mine", "/coverage", "/myleave"])
async def test_a_cadre_whose_term_ended_yesterday_gets_the_one_line(
    session: AsyncSession, clock: FixedClock, world: World, command: str
) -> None:
    await end_term(session, world, "王芳", YESTERDAY)
    said = await Private(session, clock, world.users["王芳"]).said(command)
    assert TERM_OVER in said and "2026-11-22" in said
    assert "张伟明" not in said  # her paired household is not shown


async def test_on_the_last_day_of_the_term_everything_still_works(
    session: AsyncSession, clock: FixedClock, world: World
) -> None:
    await end_term(session, world, "王芳", TODAY)
    said = await Private(session, clock, world.users["王芳"]).said("/mine")
    assert TERM_OVER not in said and "张伟明" in said


@pytest.mark.parametrize(
    ("last_day", "replaced", "cadre_role"),
    [
        (YESTERDAY, False, False),  # term over
        (TODAY, False, True),  # the last day is still in post
        (TODAY + timedelta(days=300), True, False),  # recalled and replaced
        (TODAY + timedelta(days=300), False, True),
    ],
)
async def test_identity_as_of_today(
    session: AsyncSession,
    clock: FixedClock,
    world: World,
    last_day: date,
    replaced: bool,
    cadre_role: bool,
) -> None:
    await end_term(session, world, "王芳", last_day)
    if replaced:
        session.add(
            Recall(
                cadre_id=world.cadre("王芳"),
                state=RecallState.REPLACED,
                ground="absent_not_correcting",
                proposed_at=clock.now(),
            )
        )
        await session.flush()
    who = await identify(session, "telegram", world.users["王芳"])
    assert who is not None and who.cadre is not None  # the stored posting, as it is
    today = who.as_of(TODAY)
    assert (today.cadre is not None) is cadre_role
    assert today.out_of_post is not cadre_role
    assert ("cadre" in today.roles) is cadre_role


async def test_a_recalled_cadre_hears_so(
    session: AsyncSession, clock: FixedClock, world: World
) -> None:
    session.add(
        Recall(
            cadre_id=world.cadre("王芳"),
            state=RecallState.REPLACED,
            ground="absent_not_correcting",
            proposed_at=clock.now(),
        )
    )
    await session.flush()
    said = await Private(session, clock, world.users["王芳"]).said("/mine")
    assert "召回" in said and "张伟明" not in said


async def test_the_sweep_closes_pending_leave_and_tells_the_approver_once(
    session: AsyncSession, clock: FixedClock, world: World
) -> None:
    leave_id = await ask_leave(session, world, clock, "张伟")
    other = await ask_leave(session, world, clock, "李强")
    await end_term(session, world, "张伟", YESTERDAY)
    assert await close_out_of_post(session, clock.now(), ZONE) == 1
    assert await close_out_of_post(session, clock.now(), ZONE) == 0  # idempotent
    leave = await session.get(LeaveRequest, leave_id)
    assert leave is not None and leave.state is LeaveState.WITHDRAWN
    assert leave.decision_note == "term_over"
    still = await session.get(LeaveRequest, other)
    assert still is not None and still.state is LeaveState.PENDING
    notices = (
        await session.exec(
            select(OutboxMessage).where(col(OutboxMessage.template) == "leave.closed")
        )
    ).all()
    params = [json.loads(n.params) for n in notices]
    assert [
        (n.person_id, p["cadre"], p["leave_id"]) for n, p in zip(notices, params, strict=True)
    ] == [(world.person("刘洋"), "张伟", leave_id)]
    assert "close_out_of_post" in [s.name for s in SWEEPS]


async def _press_approve(
    session: AsyncSession, clock: FixedClock, world: World, who: str, leave_id: int
) -> str:
    user = world.users[who]
    reply = await Private(session, clock, user).event(
        Incoming(
            channel="telegram",
            kind=EventKind.PRESS,
            chat_id=user,
            chat_kind=ChatKind.PRIVATE,
            user_id=user,
            payload=LeaveDecision("ok", leave_id).pack(),
        )
    )
    assert reply is not None
    return "\n".join(getattr(view, "text", "") for view in reply)


async def test_approving_the_request_of_a_cadre_out_of_post_is_refused(
    session: AsyncSession, clock: FixedClock, world: World
) -> None:
    leave_id = await ask_leave(session, world, clock, "张伟")
    await end_term(session, world, "张伟", YESTERDAY)  # the sweep has not run yet
    with pytest.raises(DomainError) as refused:
        await approvals.decide(
            session, GANZHOU, leave_id, world.person("刘洋"), approve=True, note="",
            now=clock.now(), zone=ZONE,
        )  # fmt: skip
    assert refused.value.code == "leave_cadre_out_of_post"
    said = await _press_approve(session, clock, world, "刘洋", leave_id)
    assert "不在岗" in said
    leave = await session.get(LeaveRequest, leave_id)
    assert leave is not None and leave.state is LeaveState.PENDING


async def test_an_approver_whose_post_is_gone_cannot_approve(
    session: AsyncSession, clock: FixedClock, world: World
) -> None:
    leave_id = await ask_leave(session, world, clock, "张伟")
    await session.exec(
        delete(ApproverPost).where(col(ApproverPost.person_id) == world.person("刘洋"))
    )
    await session.flush()
    said = await _press_approve(session, clock, world, "刘洋", leave_id)
    assert "已批准" not in said  # the press is not his any more: nothing decided
    leave = await session.get(LeaveRequest, leave_id)
    assert leave is not None and leave.state is LeaveState.PENDING
    with pytest.raises(DomainError) as refused:
        await approvals.decide(
            session, GANZHOU, leave_id, world.person("刘洋"), approve=True, note="",
            now=clock.now(), zone=ZONE,
        )  # fmt: skip
    assert refused.value.code == "not_your_decision"
