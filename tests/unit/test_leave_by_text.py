"""Deciding leave by typing 同意 / 驳回 in the private chat, without replying to a card: on
any channel, through the core, against a real roster."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.core.conversation import State, Steps
from models.enums import LeaveKind, LeaveState
from models.workflow import LeaveRequest, OutboxMessage
from services.calendar import WorkCalendar
from services.clock import FixedClock
from services.leave.requests import LeaveDraft, submit
from services.policy_loading import load_pack
from tests.core_requests import Private
from tests.factories import Roster, bind_telegram, seed_roster

ZONE = ZoneInfo("Asia/Shanghai")
GANZHOU = load_pack("ganzhou-2021")
CAL = WorkCalendar({})


class Elsewhere(Steps):
    """Some guided flow the approver is halfway through."""

    answer = State()


@dataclass
class World:
    roster: Roster
    users: dict[str, str]  # name -> the Telegram user id


@pytest.fixture
async def world(session: AsyncSession, clock: FixedClock) -> World:
    roster = await seed_roster(session, clock.now())
    users = {}
    for n, (name, person) in enumerate(roster.people.items(), start=1):
        bind_telegram(session, person, 50_000 + n)
        users[name] = str(50_000 + n)
    await session.flush()
    return World(roster, users)


async def _leave(
    session: AsyncSession, world: World, clock: FixedClock, cadre: str, start: date, days: int
) -> int:
    cadre_id = world.roster.cadres[cadre].id
    assert cadre_id is not None
    draft = LeaveDraft(LeaveKind.PERSONAL, start, start + timedelta(days=days - 1), reason="家事")
    leave, _ = await submit(session, GANZHOU, CAL, cadre_id, draft, clock.now(), ZONE)
    assert leave.id is not None
    return leave.id


# Requests set up before the approver types: (cadre, start, days). Up to 3 days wait for
# the township (刘洋); 4 to 7 days for the county office (陈静).
ONE = [("王芳", date(2026, 12, 1), 3)]
TWO = [("王芳", date(2026, 12, 1), 3), ("李强", date(2026, 12, 8), 2)]
OTHERS = [("王芳", date(2026, 12, 1), 5)]  # the county office's, not the township's

CASES = [
    # (case, requests, who, typed, states after (by request), the answer says)
    ("one pending, approve", ONE, "刘洋", "同意", ["approved"], ["#{0} 王芳", "已批准（刘洋"]),
    (
        "one pending, reject with reason",
        ONE,
        "刘洋",
        "驳回 时间冲突",
        ["rejected"],
        ["#{0} 王芳", "已驳回（刘洋"],
    ),
    ("reject without reason", ONE, "刘洋", "驳回", ["pending"], ["“驳回 理由”"]),
    (
        "several pending, no #id",
        TWO,
        "刘洋",
        "同意",
        ["pending", "pending"],
        ["#{0} 王芳 12月1日–12月3日", "#{1} 李强", "“同意 #{0}”", "“驳回 #{0} 理由”"],
    ),
    ("several pending, #id", TWO, "刘洋", "同意 #{1}", ["pending", "approved"], ["#{1} 李强"]),
    (
        "several pending, #id rejected",
        TWO,
        "刘洋",
        "驳回 #{0} 人手不足",
        ["rejected", "pending"],
        ["#{0} 王芳", "已驳回"],
    ),
    ("#id without reason", TWO, "刘洋", "驳回 #{1}", ["pending", "pending"], ["“驳回 #{1} 理由”"]),
    ("#id not theirs", OTHERS, "刘洋", "同意 #{0}", ["pending"], ["您无权审批此申请"]),
    ("none pending", [], "刘洋", "同意", [], ["没有待您审批的请假。"]),
    ("non-approver gets the fallback", ONE, "李强", "同意", ["pending"], ["抱歉，没有看懂"]),
    ("English words", ONE, "刘洋", "reject clash", ["rejected"], ["已驳回"]),
]


@pytest.mark.parametrize(
    ("requests", "who", "typed", "states", "says"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_decide_by_typing(
    session: AsyncSession,
    world: World,
    clock: FixedClock,
    requests: list[tuple[str, date, int]],
    who: str,
    typed: str,
    states: list[str],
    says: list[str],
) -> None:
    ids = [await _leave(session, world, clock, *request) for request in requests]
    chat = Private(session, clock, world.users[who])
    answer = await chat.said(typed.format(*ids))
    for words in says:
        assert words.format(*ids) in answer, answer
    for leave_id, state in zip(ids, states, strict=True):
        leave = await session.get(LeaveRequest, leave_id)
        assert leave is not None and leave.state == LeaveState(state), (leave_id, answer)


async def test_the_decision_tells_the_cadre_as_the_button_does(
    session: AsyncSession, world: World, clock: FixedClock
) -> None:
    (leave_id,) = [await _leave(session, world, clock, *request) for request in ONE]
    await Private(session, clock, world.users["刘洋"]).said("驳回 时间冲突")
    told = (
        await session.exec(
            select(OutboxMessage).where(col(OutboxMessage.template) == "leave.decided")
        )
    ).all()
    assert [m.dedup_key for m in told] == [f"leave-decided:{leave_id}"]
    assert '"note": "时间冲突"' in told[0].params and '"approved": false' in told[0].params


async def test_text_inside_a_flow_or_replying_to_something_else_decides_nothing(
    session: AsyncSession, world: World, clock: FixedClock
) -> None:
    from handlers.core.events import MessageRef

    (leave_id,) = [await _leave(session, world, clock, *request) for request in ONE]
    chat = Private(session, clock, world.users["刘洋"])
    await chat.conversation.set_state(Elsewhere.answer)
    assert "已批准" not in await chat.said("同意")
    await chat.conversation.clear()
    assert "已批准" not in await chat.said("同意", reply_to=MessageRef("77", from_bot=True))
    leave = await session.get(LeaveRequest, leave_id)
    assert leave is not None and leave.state == LeaveState.PENDING
    assert "已批准" in await chat.said("同意")  # and with neither, it does


async def test_on_dingtalk_too(session: AsyncSession, world: World, clock: FixedClock) -> None:
    from models.enums import Channel
    from models.tables import ChannelAccount

    liu = world.roster.people["刘洋"]
    assert liu.id is not None
    session.add(
        ChannelAccount(
            person_id=liu.id, channel=Channel.DINGTALK, external_id="staff9", chat_id="staff9"
        )
    )
    await session.flush()
    (leave_id,) = [await _leave(session, world, clock, *request) for request in ONE]
    answer = await Private(session, clock, "staff9", channel=Channel.DINGTALK).said("同意")
    assert f"#{leave_id} 王芳" in answer and "已批准" in answer
