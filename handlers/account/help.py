"""/help, /whoami, /lang for everyone registered."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from handlers.account.menu import commands_for, menu_hash, set_person_menu
from handlers.account.profile import role_lines
from handlers.filters import Registered
from handlers.labels import ROLES
from locales import LANGUAGES, Catalogs, Translator
from models.db import UnitOfWork
from services.clock import Clock
from services.roster import identity as identities
from services.roster.accounts import TELEGRAM
from services.roster.identity import Identity

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
LANGUAGE_ALIASES = {"zh": "zh", "cn": "zh", "中文": "zh", "汉语": "zh", "en": "en", "english": "en"}


class LanguageChoice(CallbackData, prefix="lang"):
    language: str


async def show_help(message: Message, identity: Identity, t: Translator) -> Any:
    # The list separator is translated too: "、" in Chinese, ", " in English.
    roles = t(", ").join(t(ROLES[r]) for r in sorted(identity.roles))
    lines = [t("You can use these commands ({roles}):", roles=roles)]
    lines += [f"/{c.command} — {t(c.description)}" for c in commands_for(identity.roles)]
    return message.answer("\n".join(lines))


async def whoami(message: Message, identity: Identity, t: Translator) -> Any:
    lines = [
        t("Name: {name}", name=identity.name),
        t("Phone: {phone}", phone=identity.masked_phone),
        t("Telegram id: {id}", id=identity.accounts.get(TELEGRAM)),
        t("Language: {language}", language=LANGUAGE_NAMES[t.language]),
    ]
    lines += role_lines(identity, t)
    return message.answer("\n".join(lines))


async def _switch(
    uow: UnitOfWork,
    bot: Bot,
    clock: Clock,
    catalogs: Catalogs,
    identity: Identity,
    chat_id: int,
    language: str,
) -> Translator:
    t = catalogs.get(language)
    await identities.set_language(uow.session, identity.person_id, language, clock.now())
    await identities.record_menu(
        uow.session, identity.person_id, menu_hash(identity.roles, language)
    )
    await uow.commit()
    await set_person_menu(bot, chat_id, identity.roles, t)
    return t


async def choose_language(
    message: Message,
    command: CommandObject,
    identity: Identity,
    uow: UnitOfWork,
    bot: Bot,
    clock: Clock,
    catalogs: Catalogs,
    t: Translator,
) -> Any:
    wanted = LANGUAGE_ALIASES.get((command.args or "").strip().lower())
    if wanted is None:
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=LANGUAGE_NAMES[lang],
                        callback_data=LanguageChoice(language=lang).pack(),
                    )
                    for lang in LANGUAGES
                ]
            ]
        )
        return message.answer(t("Choose your language:"), reply_markup=keyboard)
    t = await _switch(uow, bot, clock, catalogs, identity, message.chat.id, wanted)
    return message.answer(t("Language set: English."))


async def language_pressed(
    query: CallbackQuery,
    callback_data: LanguageChoice,
    identity: Identity,
    uow: UnitOfWork,
    bot: Bot,
    clock: Clock,
    catalogs: Catalogs,
    t: Translator,
) -> Any:
    if callback_data.language not in LANGUAGES:
        return query.answer(t("That choice is no longer available."), show_alert=True)
    # The choice only ever changes the presser's own profile, so any registered person
    # may press it; the chat is theirs (the menu goes to the presser's private chat).
    t = await _switch(
        uow, bot, clock, catalogs, identity, query.from_user.id, callback_data.language
    )
    await query.answer()
    if query.message is not None and hasattr(query.message, "edit_text"):
        await query.message.edit_text(t("Language set: English."))
    return None


def build_router() -> Router:
    """A fresh router each call, so several dispatchers (tests, replicas) can coexist."""
    router = Router(name="common")
    router.message.filter(Registered(), F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(Registered())
    router.message.register(show_help, Command("help"))
    router.message.register(whoami, Command("whoami"))
    router.message.register(choose_language, Command("lang"))
    router.callback_query.register(language_pressed, LanguageChoice.filter())
    return router
