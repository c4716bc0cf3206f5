"""Button data for presence, spot checks, recall and the attendance sheet: short ids only
(Telegram allows 64 bytes); the server re-checks everything a press claims."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class SpotCb(CallbackData, prefix="spc"):
    """confirm / clear (the approver), explain (the cadre) a suspected absence."""

    action: str
    target_id: int


class RecallCb(CallbackData, prefix="rc"):
    """ok / no (the county leading group decides), done (the unit sent a replacement)."""

    action: str
    recall_id: int


class SheetCb(CallbackData, prefix="ats"):
    """The township approver confirms a drafted attendance sheet."""

    action: str
    sheet_id: int
