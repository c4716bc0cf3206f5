"""A person blocking or unblocking the bot in their private chat (Telegram tells the bot
with a ``my_chat_member`` update): reminders stop while blocked and resume after."""

from __future__ import annotations

from handlers.core.events import ChatKind, Membership
from handlers.core.request import Request
from handlers.core.routing import Router
from handlers.core.views import Reply
from services.roster.identity import set_bot_blocked


async def blocked_or_unblocked(req: Request) -> Reply:
    blocked = req.event.membership is Membership.GONE
    await set_bot_blocked(
        req.session, req.event.channel, str(req.event.user_id), blocked=blocked, now=req.now()
    )
    return Reply()


def routes() -> Router:
    router = Router("blocking")
    router.membership(blocked_or_unblocked, chat=ChatKind.PRIVATE)
    return router
