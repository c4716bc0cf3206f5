"""Supervision on the conversation core: its buttons keep aiogram's bytes, and a reply to a
leave card halfway through /recall or /halfyear still goes to leave."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

import handlers
from handlers.supervision.payloads import RecallCb, RecallGround


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


def test_a_reply_to_a_leave_card_reaches_leave_before_the_supervision_flows() -> None:
    """An approver halfway through /recall or /halfyear who replies "同意" to a leave card
    decides the leave: leave's reply route comes first, so the text is not taken as the
    recall's note or the report."""
    routes = handlers.core().routes
    names = [(r.handler.__module__, r.handler.__name__) for r in routes]
    leave_reply = names.index(("handlers.leave.approval", "replied_to_card"))
    assert leave_reply < names.index(("handlers.supervision.recall", "typed_note"))
    assert leave_reply < names.index(("handlers.supervision.team_reports", "typed_report"))
