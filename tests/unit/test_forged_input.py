"""Numbers and drafts are not trusted: a forged press, an id beyond the id columns, a huge day
count or a conversation whose draft is not what a flow wrote each get one clear answer,
and a broken draft is forgotten rather than kept to fail the person's next messages."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.core.events import ChatKind, EventKind, Incoming, MessageRef
from handlers.core.views import SENT_IDS, Reply, Toast
from handlers.leave.payloads import LeaveDecision, LeaveOwn
from handlers.presence.payloads import SpotCb
from handlers.supervision.payloads import RecallGround
from services.clock import FixedClock
from tests.core_requests import Private
from tests.factories import bind_telegram, seed_roster

STALE = "该选项已失效。"
BIG = str(2**63)
BEYOND_INTEGER = str(2**31)  # ids are INTEGER columns: 32 bits on PostgreSQL


@pytest.fixture
async def users(session: AsyncSession, clock: FixedClock) -> dict[str, str]:
    roster = await seed_roster(session, clock.now())
    out = {}
    for n, (name, person) in enumerate(roster.people.items(), start=1):
        bind_telegram(session, person, 60_000 + n)
        out[name] = str(60_000 + n)
    await session.flush()
    return out


def _texts(reply: Reply | None) -> str:
    assert reply is not None
    return "\n".join(getattr(view, "text", "") or "" for view in reply)


async def _press(chat: Private, data: str) -> Reply | None:
    return await chat.event(
        Incoming(
            channel=chat.channel,
            kind=EventKind.PRESS,
            chat_id=chat.user_id,
            chat_kind=ChatKind.PRIVATE,
            user_id=chat.user_id,
            payload=data,
            origin=MessageRef(chat.last_sent),  # pressed on the last message sent
        )
    )


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (LeaveOwn, f"lvo:withdraw:{BIG}"),
        (LeaveDecision, "lvd:ok:99999999999999999999999"),
        (LeaveDecision, "lvd:ok:-1"),
        (LeaveDecision, "lvd:ok:+1"),
        (LeaveDecision, "lvd:ok: 1"),
        (LeaveDecision, "lvd:ok:1_0"),
        (SpotCb, f"spc:ok:{BIG}"),
        (RecallGround, f"rcg:{BIG}:1"),
        (LeaveDecision, f"lvd:ok:{BEYOND_INTEGER}"),
        (SpotCb, f"spc:ok:{BEYOND_INTEGER}"),
    ],
)
def test_an_int_beyond_the_id_columns_or_not_plain_digits_does_not_parse(
    kind: Any, data: str
) -> None:
    assert kind.unpack(data) is None


def test_ints_within_range_still_parse() -> None:
    assert LeaveDecision.unpack(f"lvd:ok:{2**31 - 1}") == LeaveDecision("ok", 2**31 - 1)
    assert RecallGround.unpack("rcg:12:0") == RecallGround(12, 0)


@pytest.mark.parametrize(
    ("who", "data"),
    [
        ("王芳", f"lvo:withdraw:{BIG}"),
        ("刘洋", "lvd:ok:99999999999999999999999"),
        ("王芳", "lv:kind:forged"),
        ("王芳", "lv:start:99999-01-01"),
        ("王芳", "lv:days:99999999999999999999"),
        # Found by the fuzz test on PostgreSQL, where the id columns hold 32 bits.
        ("刘洋", f"ats:ok:{BEYOND_INTEGER}"),
        ("刘洋", f"lvd:ok:{BEYOND_INTEGER}"),
        ("王芳", f"lvo:withdraw:{BEYOND_INTEGER}"),
    ],
)
async def test_a_forged_press_is_answered_as_a_stale_one(
    session: AsyncSession, clock: FixedClock, users: dict[str, str], who: str, data: str
) -> None:
    chat = Private(session, clock, users[who])
    if data.startswith("lv:days"):
        await chat.send("/emergency")  # the flow at the step that asks for days
    elif data.startswith("lv:"):
        await chat.send("/leave")  # a button of the flow's own message, forged
    reply = await _press(chat, data)
    assert _texts(reply) == STALE


@pytest.mark.parametrize(
    ("setup", "typed", "says"),
    [
        # /emergency with a number no calendar holds: the command's usage line.
        ((), "/emergency 99999999999999999999999", "/emergency &lt;天数&gt;"),
        ((), "/emergency 400 病假 发烧", "/emergency &lt;天数&gt;"),
        # The guided flow's day count: one clear line, and the flow waits for a correction.
        (("/emergency",), "99999", "最多"),
        (("/emergency",), "9" * 5000, "最多"),
        (("/leave", "press:lv:kind:personal", "9999-12-30"), "5", "最多"),
    ],
)
async def test_huge_numbers_get_one_clear_line(
    session: AsyncSession,
    clock: FixedClock,
    users: dict[str, str],
    setup: tuple[str, ...],
    typed: str,
    says: str,
) -> None:
    chat = Private(session, clock, users["王芳"])
    for step in setup:
        if step.startswith("press:"):
            await _press(chat, step.removeprefix("press:"))
        else:
            await chat.send(step)
    answer = await chat.said(typed)
    assert says in answer, answer
    assert "出错" not in answer


async def test_the_flow_goes_on_after_too_many_days(
    session: AsyncSession, clock: FixedClock, users: dict[str, str]
) -> None:
    chat = Private(session, clock, users["王芳"])
    await chat.send("/emergency")
    await chat.said("99999")
    assert "事由" in await chat.said("2")  # the next step: the reason


@pytest.mark.parametrize(
    ("state", "data", "typed", "command"),
    [
        ("RejectFlow:reason", {}, "理由", "/pending"),
        ("RecallFlow:note", {"cadre_id": "x", "ground": 1}, "note", "/recall"),
        ("LeaveFlow:end", {"start": 5}, "3", "/leave"),
        ("LeaveFlow:complete", {}, "书面申请", "/leave"),
    ],
)
async def test_a_broken_draft_is_cleared_with_one_line(
    session: AsyncSession,
    clock: FixedClock,
    users: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    state: str,
    data: dict[str, Any],
    typed: str,
    command: str,
) -> None:
    who = "王芳" if state.startswith("Leave") else "刘洋"
    chat = Private(session, clock, users[who])
    chat.conversation.state, chat.conversation.data = state, dict(data)
    with caplog.at_level(logging.ERROR, logger="handlers.core.routing"):
        answer = await chat.said(typed)
    assert "刚才的操作已失效" in answer and command in answer, answer
    assert chat.conversation.state is None and chat.conversation.data == {}
    assert any(r.levelno == logging.ERROR for r in caplog.records)
    # The next message is the person's own again.
    assert "/help" in await chat.said("随便说点什么")


async def test_a_bug_with_no_draft_is_not_swallowed(
    session: AsyncSession, clock: FixedClock, users: dict[str, str]
) -> None:
    """A KeyError while the conversation holds nothing is a bug: it reaches the channel's
    error handler (and its log) instead of being answered as a stale step."""
    from handlers.core.routing import Core, Router
    from tests import core_requests

    async def broken(req: Any) -> Reply:
        await req.state.get_data()  # an empty conversation: nothing of it to blame
        raise KeyError("a real bug")

    router = Router("bug")
    router.command("bug", broken)
    saved, core_requests._CORE = core_requests._CORE, Core([router])
    try:
        with pytest.raises(KeyError):
            await Private(session, clock, users["王芳"]).send("/bug")
    finally:
        core_requests._CORE = saved


@pytest.mark.parametrize(
    ("who", "data", "says"),
    [
        ("王芳", f"spc:ok:{BIG}", STALE),
        ("王芳", "no such button", STALE),
        (None, "no such button", "只为已登记"),
    ],
)
async def test_a_press_no_feature_takes_in_a_group_is_answered(
    session: AsyncSession,
    clock: FixedClock,
    users: dict[str, str],
    who: str | None,
    data: str,
    says: str,
) -> None:
    """Found by the fuzz test: the fallbacks for presses took private chats only, so a
    forged or outdated button in a group (or a stranger's press there) was never
    answered and the presser's client kept spinning."""
    user = users[who] if who else "99999"
    chat = Private(session, clock, user)
    reply = await chat.event(
        Incoming(
            channel=chat.channel,
            kind=EventKind.PRESS,
            chat_id="-1001000000001",
            chat_kind=ChatKind.GROUP,
            user_id=user,
            payload=data,
        )
    )
    assert reply is not None and says in _texts(reply)
    assert all(isinstance(view, Toast) for view in reply)  # only the presser sees it


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        # Typed decisions name the request by its id: beyond the id column no request has it.
        ("同意 #99999999999999999999", "您无权审批"),
        (f"驳回 #{BIG} 理由", "您无权审批"),
        (f"同意 #{BEYOND_INTEGER}", "您无权审批"),
        # A ground number int() refuses ("²" is a digit) is no ground: the buttons ask.
        ("/recall 李强 ² 理由", "召回"),
    ],
)
async def test_an_approvers_typed_numbers_are_checked(
    session: AsyncSession, clock: FixedClock, users: dict[str, str], typed: str, says: str
) -> None:
    """Found by the fuzz test: each of these ended in the generic error."""
    answer = await Private(session, clock, users["刘洋"]).said(typed)
    assert says in answer, answer


async def test_an_old_drafts_submit_leaves_another_flow_alone(
    session: AsyncSession, clock: FixedClock, users: dict[str, str]
) -> None:
    chat = Private(session, clock, users["李强"])
    await chat.send("/leave 12-01 12-03 事假 家中有事")
    summary = chat.last_sent
    # The summary went out through the relay: its id was never recorded.
    await chat.conversation.update_data(**{SENT_IDS: {}})
    await chat.send("/visit")
    visiting = chat.conversation.state
    assert visiting is not None and visiting.startswith("VisitFlow:")
    reply = await chat.event(
        Incoming(
            channel=chat.channel,
            kind=EventKind.PRESS,
            chat_id=chat.user_id,
            chat_kind=ChatKind.PRIVATE,
            user_id=chat.user_id,
            payload="lv:confirm:submit",
            origin=MessageRef(summary),
        )
    )
    assert _texts(reply) == "该申请已失效，请发送 /leave 重新开始。"
    assert chat.conversation.state == visiting  # the visit goes on
