"""Button payloads for leave: short ids only (Telegram allows 64 bytes); the server
re-checks everything a press claims."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.core.payloads import Payload


@dataclass(frozen=True)
class LeaveStep(Payload, prefix="lv"):
    """A choice in the guided /leave flow: kind, start, length, reason skip, confirm."""

    step: str
    value: str


@dataclass(frozen=True)
class LeaveOwn(Payload, prefix="lvo"):
    """The cadre acting on their own request: withdraw, complete (补办)."""

    action: str
    leave_id: int


@dataclass(frozen=True)
class LeaveDecision(Payload, prefix="lvd"):
    """An approver's decision: ok (批准), no (驳回, reason asked next), show (the card)."""

    action: str
    leave_id: int


@dataclass(frozen=True)
class LeaveWithdraw(Payload, prefix="lvw"):
    """The answer to "withdraw #id?": yes or no, about the request in the state it was
    asked in (pending or approved)."""

    leave_id: int
    state: str
    yes: bool
