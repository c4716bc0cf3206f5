"""A person blocking or unblocking the bot in their private chat (Telegram tells the bot
with a ``my_chat_member`` update): reminders stop while blocked and resume after."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import ChatMemberUpdated

from models.db import UnitOfWork
from services.clock import Clock
from services.roster.accounts import TELEGRAM
from services.roster.identity import set_bot_blocked


async def blocked_or_unblocked(event: ChatMemberUpdated, uow: UnitOfWork, clock: Clock) -> None:
    status = event.new_chat_member.status
    if status in ("kicked", "member"):
        await set_bot_blocked(
            uow.session,
            TELEGRAM,
            str(event.from_user.id),
            blocked=status == "kicked",
            now=clock.now(),
        )


def build_router() -> Router:
    router = Router(name="blocking")
    router.my_chat_member.register(blocked_or_unblocked, F.chat.type == ChatType.PRIVATE)
    return router
