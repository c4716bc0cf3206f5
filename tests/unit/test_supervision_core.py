"""Supervision on the conversation core: its buttons keep aiogram's bytes, and a reply to a
leave card halfway through /recall or /halfyear still goes to leave."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from aiogram.filters.callback_data import CallbackData
from sqlmodel.ext.asyncio.session import AsyncSession

import handlers
from handlers.core.conversation import MemoryConversation
from handlers.core.events import ChatKind, EventKind, Incoming, MessageRef
from handlers.core.request import Request
from handlers.supervision.flows import answers_a_leave_card
from handlers.supervision.payloads import RecallCb, RecallGround
from handlers.supervision.recall import RecallFlow
from locales import Catalogs
from models.enums import ApproverKind, Jurisdiction, Role
from services.clock import FixedClock
from services.roster.identity import Identity, Post


class OldRecallGround(CallbackData, prefix="rcg"):
    cadre_id: int
    ground: int


class OldRecallCb(CallbackData, prefix="rc"):
    action: str
    recall_id: int


def test_recall_buttons_pack_as_aiogram_did() -> None:
    assert RecallGround(12, 6).pack() == OldRecallGround(cadre_id=12, ground=6).pack()
    assert RecallCb("done", 3).pack() == OldRecallCb(action="done", recall_id=3).pack()
    assert RecallCb.unpack("rc:ok:7") == RecallCb("ok", 7)
    assert RecallGround.unpack("rc:ok:7") is None and RecallCb.unpack("rcg:1:2") is None


def _approver() -> Identity:
    post = Post(1, ApproverKind.TOWNSHIP_PARTY_COMMITTEE, Jurisdiction.TOWNSHIP, "1", "江口镇")
    identity = Identity(1, "刘洋", "13800000001", "zh", 1, posts=(post,))
    assert Role.APPROVER in identity.roles
    return identity


def _typed(text: str, session: object, reply_to: MessageRef | None) -> Request:
    event = Incoming(
        channel="test",
        kind=EventKind.MESSAGE,
        chat_id=5,
        chat_kind=ChatKind.PRIVATE,
        user_id=5,
        text=text,
        reply_to=reply_to,
    )
    return Request(
        event=event,
        identity=_approver(),
        t=Catalogs().get("zh"),
        uow=SimpleNamespace(session=session),  # type: ignore[arg-type]
        clock=FixedClock(datetime(2026, 12, 7, 1, tzinfo=UTC)),
        settings=None,  # type: ignore[arg-type]
        state=MemoryConversation(),
    )


async def test_a_reply_to_a_leave_card_in_the_note_step_goes_to_leave(
    session: AsyncSession,
) -> None:
    card = MessageRef(40, "请假", payloads=("lvd:ok:3", "lvd:no:3"), from_bot=True)
    req = _typed("同意", session, card)
    await req.state.set_state(RecallFlow.note)
    assert await answers_a_leave_card(req)
    assert await handlers.core().handle(req) is None  # on to leave's aiogram router

    other = MessageRef(41, "请写明事实", from_bot=True)
    assert not await answers_a_leave_card(_typed("事实", session, other))
    assert not await answers_a_leave_card(_typed("事实", session, None))
