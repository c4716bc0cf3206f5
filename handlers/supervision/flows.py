"""What the supervision flows' typed answers must leave to others."""

from __future__ import annotations

from handlers.core.request import Request
from models.enums import Role
from services.leave import approvals

# handlers/leave/callbacks.py's LeaveDecision: "lvd:<action>:<leave id>".
_LEAVE_DECISION = "lvd"


def _card_leave(payloads: tuple[str, ...]) -> int | None:
    for data in payloads:
        prefix, _, rest = data.partition(":")
        if prefix == _LEAVE_DECISION:
            _, _, leave_id = rest.partition(":")
            return int(leave_id) if leave_id.isdigit() else None
    return None


async def answers_a_leave_card(req: Request) -> bool:
    """An approver's reply to a leave card decides the leave (handlers/leave/approval.py),
    even halfway through /recall or /halfyear: leave's routes see a message before these
    flows do. Drop this once leave is on the core ahead of supervision."""
    reply_to, identity = req.event.reply_to, req.identity
    if reply_to is None or not reply_to.from_bot:
        return False
    if identity is None or Role.APPROVER not in identity.roles:
        return False
    if _card_leave(reply_to.payloads) is not None:
        return True
    leave_id = await approvals.leave_of_card(req.session, req.event.chat_id, reply_to.message_id)
    return leave_id is not None
