"""The recall buttons presence's notices put on the county's card and the unit's request,
as neutral payloads (the same wire format as recall's aiogram ``RecallCb``, so either one
reads a press of the other's)."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.core.payloads import Payload


@dataclass(frozen=True)
class RecallCb(Payload, prefix="rc"):
    """ok / no (the county leading group decides), done (the unit sent a replacement)."""

    action: str
    recall_id: int
