"""The conversation core's port: payloads, routing, and what a handler gets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from aiogram.filters.callback_data import CallbackData

from handlers.core.conversation import MemoryConversation, State, Steps
from handlers.core.events import ChatKind, EventKind, Incoming, MessageRef, split_command
from handlers.core.payloads import Payload
from handlers.core.request import Request
from handlers.core.routing import Core, Router, Skip
from handlers.core.views import Reply
from locales import Catalogs
from models.enums import Role, TeamRole, UnitLevel
from services.clock import FixedClock
from services.roster.identity import CadrePosting, Identity


@dataclass(frozen=True)
class Decide(Payload, prefix="tdc"):
    action: str
    leave_id: int


class AiogramDecide(CallbackData, prefix="tdc"):
    action: str
    leave_id: int


class Flow(Steps):
    reason = State()


def test_payload_packs_as_aiogram_did() -> None:
    """Buttons sent before the core keep working: the same bytes both ways."""
    assert Decide("ok", 12).pack() == AiogramDecide(action="ok", leave_id=12).pack() == "tdc:ok:12"
    assert Decide.unpack("tdc:no:7") == Decide("no", 7)


@pytest.mark.parametrize("data", [None, "", "tdc:ok", "tdc:ok:x", "tdc:ok:1:2", "xyz:ok:1"])
def test_payload_refuses_what_does_not_parse(data: str | None) -> None:
    assert Decide.unpack(data) is None


def test_payload_refuses_separator_and_length() -> None:
    with pytest.raises(ValueError):
        Decide("a:b", 1).pack()
    with pytest.raises(ValueError):
        Decide("x" * 80, 1).pack()


def test_state_names_match_the_old_fsm() -> None:
    assert Flow.reason.state == "Flow:reason"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/leave 12-01 12-03", ("leave", "12-01 12-03")),
        ("/leave@zhucun_bot", ("leave", "")),
        ("hello", (None, "")),
        ("/", (None, "")),
        ("/halfyear\n思想 工作\n学习", ("halfyear", "思想 工作\n学习")),
        ("/recall@zhucun_bot\t王芳 2 note", ("recall", "王芳 2 note")),
        ("/ leave", (None, "")),
    ],
)
def test_split_command(text: str, expected: tuple[str | None, str]) -> None:
    assert split_command(text) == expected


def _identity(*roles: Role) -> Identity:
    cadre = None
    if Role.CADRE in roles:
        cadre = CadrePosting(
            1, 1, TeamRole.MEMBER, False, "下寨村", "江口镇", "赣县区", "县农业农村局",
            UnitLevel.COUNTY, date(2025, 1, 1), date(2027, 1, 1),
        )  # fmt: skip
    return Identity(1, "王芳", "13800000001", "zh", 1, cadre=cadre)


class _Settings:
    policy = "ganzhou-2021"
    zone = ZoneInfo("Asia/Shanghai")


def _request(event: Incoming, identity: Identity | None = None) -> Request:
    return Request(
        event=event,
        identity=identity,
        t=Catalogs().get("zh"),
        uow=None,  # type: ignore[arg-type]  # routing never touches the database
        clock=FixedClock(datetime(2026, 12, 7, 1, tzinfo=UTC)),
        settings=_Settings(),  # roles are judged as of the deployment's today
        state=MemoryConversation(),
    )


def _message(text: str, chat: ChatKind = ChatKind.PRIVATE, **extra: object) -> Incoming:
    command, args = split_command(text)
    return Incoming(
        channel="test",
        kind=EventKind.MESSAGE,
        chat_id="1",
        chat_kind=chat,
        user_id="1",
        text=text,
        command=command,
        args=args,
        **extra,  # type: ignore[arg-type]
    )


async def _said(core: Core, req: Request) -> str | None:
    reply = await core.handle(req)
    if reply is None:
        return None
    return " ".join(getattr(v, "text", "") for v in reply)


async def test_routes_by_command_chat_role_and_state() -> None:
    router = Router("t")

    async def hello(req: Request) -> Reply:
        return Reply.text(f"hello {req.event.args}")

    async def reason(req: Request) -> Reply:
        await req.state.clear()
        return Reply.text(f"reason {req.event.text}")

    async def approve(req: Request) -> Reply:
        return Reply.text(f"decide {req.press(Decide).leave_id}")

    router.command("hello", hello, roles={Role.CADRE})
    router.typed(Flow.reason, reason)
    router.press(Decide, approve, registered=False)
    core = Core([router])
    cadre = _identity(Role.CADRE)

    assert await _said(core, _request(_message("/hello 1"), cadre)) == "hello 1"
    assert await _said(core, _request(_message("/hello"), None)) is None  # a stranger
    group = _message("/hello", ChatKind.GROUP)
    assert await _said(core, _request(group, cadre)) is None  # private only by default

    typed = _request(_message("因病"), cadre)
    assert await _said(core, typed) is None  # not in the flow
    await typed.state.set_state(Flow.reason)
    typed.forget_state()
    assert await _said(core, typed) == "reason 因病"

    press = Incoming(
        channel="test",
        kind=EventKind.PRESS,
        chat_id="1",
        chat_kind=ChatKind.GROUP,
        user_id="9",
        payload="tdc:ok:5",
        origin=MessageRef("3"),
    )
    assert await _said(core, _request(press)) == "decide 5"
    forged = Incoming(**{**press.__dict__, "payload": "tdc:ok:five"})
    assert await _said(core, _request(forged)) is None


async def test_skip_passes_the_event_on() -> None:
    first, second = Router("a"), Router("b")

    async def not_mine(req: Request) -> Reply:
        raise Skip

    async def mine(req: Request) -> None:
        return None

    first.reply(not_mine)
    second.reply(mine)
    event = _message("同意", reply_to=MessageRef("4", from_bot=True))
    reply = await Core([first, second]).handle(_request(event, _identity(Role.CADRE)))
    assert reply is not None and list(reply) == []


async def test_inputs_membership_and_migration_routes() -> None:
    from handlers.core.events import Location, Membership, Photo

    router = Router("t")

    async def card(req: Request) -> Reply:
        return Reply.text("card")

    async def member(req: Request) -> Reply:
        return Reply.text(f"member {req.event.membership}")

    async def moved(req: Request) -> Reply:
        return Reply.text(f"moved {req.event.migrated_to}")

    router.input(Flow.reason, card, roles={Role.CADRE})
    router.membership(member, chat=ChatKind.PRIVATE)
    router.migration(moved)
    core = Core([router])
    cadre = _identity(Role.CADRE)

    for extra in ({"photo": Photo("f1")}, {"location": Location(25.8, 114.9)}):
        req = _request(_message("", **extra), cadre)
        assert await _said(core, req) is None  # not while the flow waits elsewhere
        await req.state.set_state(Flow.reason)
        req.forget_state()
        assert await _said(core, req) == "card"
    slash = _request(_message("/other"), cadre)
    await slash.state.set_state(Flow.reason)
    assert await _said(core, slash) is None  # a command is never an answer in a flow

    blocked = Incoming(
        channel="test",
        kind=EventKind.MEMBERSHIP,
        chat_id="1",
        chat_kind=ChatKind.PRIVATE,
        user_id="1",
        membership=Membership.GONE,
    )
    assert await _said(core, _request(blocked)) == "member gone"  # strangers too
    migration = Incoming(
        channel="test",
        kind=EventKind.MIGRATION,
        chat_id="-5",
        chat_kind=ChatKind.GROUP,
        user_id="0",
        migrated_to="-1005",
    )
    assert await _said(core, _request(migration)) == "moved -1005"
