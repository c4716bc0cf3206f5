"""People not on the roster: one polite refusal, nothing else."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message

from locales import N_, Catalogs, Translator

REFUSAL = N_(
    "Sorry, this assistant serves registered village-resident cadres and their "
    "supervisors only. If you should have access, ask your county office for an "
    "invitation link."
)


def refusal(t: Translator, catalogs: Catalogs) -> str:
    """In the person's language first, then the other one: we do not know them yet."""
    other = catalogs.get("en" if t.language == "zh" else "zh")
    return f"{t(REFUSAL)}\n\n{other(REFUSAL)}"


async def refuse_message(message: Message, t: Translator, catalogs: Catalogs) -> Any:
    return message.answer(refusal(t, catalogs))


async def refuse_press(query: CallbackQuery, t: Translator) -> Any:
    return query.answer(t(REFUSAL), show_alert=True)


def build_router() -> Router:
    """A fresh router each call, so several dispatchers (tests, replicas) can coexist."""
    router = Router(name="strangers")
    router.message.register(refuse_message, F.chat.type == ChatType.PRIVATE)
    router.callback_query.register(refuse_press)
    return router
