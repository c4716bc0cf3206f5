"""Button data for presence, spot checks and the attendance sheet: short ids only (Telegram
allows 64 bytes); the server re-checks everything a press claims."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData

from handlers.core.payloads import Payload


@dataclass(frozen=True)
class SpotCb(Payload, prefix="spc"):
    """confirm / clear (the approver), explain (the cadre) a suspected absence."""

    action: str
    target_id: int


@dataclass(frozen=True)
class SheetCb(Payload, prefix="ats"):
    """The township approver confirms a drafted attendance sheet."""

    action: str
    sheet_id: int


# Recall (handlers/supervision/recall.py) is still on aiogram and reads its buttons with
# these; the neutral recall buttons are in handlers/presence/recall_payloads.py. Both go
# once recall is on the core.


class RecallGround(CallbackData, prefix="rcg"):
    """The township approver picks one of the pack's recall grounds for a cadre."""

    cadre_id: int
    ground: int  # index into pack.recall.grounds


class RecallCb(CallbackData, prefix="rc"):
    """ok / no (the county leading group decides), done (the unit sent a replacement)."""

    action: str
    recall_id: int
