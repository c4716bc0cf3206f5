"""Button data for presence, spot checks and the attendance sheet: short ids only (Telegram
allows 64 bytes); the server re-checks everything a press claims."""

from __future__ import annotations

from dataclasses import dataclass

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
