"""Button data for leave: short ids only (Telegram allows 64 bytes); the server re-checks
everything a press claims."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class LeaveStep(CallbackData, prefix="lv"):
    """A choice in the guided /leave flow: kind, start, length, reason skip, confirm."""

    step: str
    value: str


class LeaveOwn(CallbackData, prefix="lvo"):
    """The cadre acting on their own request: withdraw, complete (补办)."""

    action: str
    leave_id: int


class LeaveDecision(CallbackData, prefix="lvd"):
    """An approver's decision: ok (批准), no (驳回, reason asked next), show (the card)."""

    action: str
    leave_id: int
