"""Button data for recall: short ids only (Telegram allows 64 bytes); the server re-checks
everything a press claims. The prefixes and fields are those the buttons already in
people's chats carry."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.core.payloads import Payload


@dataclass(frozen=True)
class RecallGround(Payload, prefix="rcg"):
    """The township approver picks one of the pack's recall grounds for a cadre."""

    cadre_id: int
    ground: int  # index into pack.recall.grounds


@dataclass(frozen=True)
class RecallCb(Payload, prefix="rc"):
    """ok / no (the county leading group decides), done (the unit sent a replacement)."""

    action: str
    recall_id: int
