"""Registered people whose message no feature understood."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message

from handlers.filters import Registered
from locales import Translator


async def not_understood(message: Message, t: Translator) -> Any:
    return message.answer(t("Sorry, I did not understand that. Send /help to see what I can do."))


async def stale_button(query: CallbackQuery, t: Translator) -> Any:
    # Every press is answered, even of a button whose feature no longer exists.
    return query.answer(t("That choice is no longer available."), show_alert=True)


def build_router() -> Router:
    """A fresh router each call, so several dispatchers (tests, replicas) can coexist."""
    router = Router(name="fallback")
    router.message.filter(Registered(), F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(Registered())
    router.message.register(not_understood)
    router.callback_query.register(stale_button)
    return router
