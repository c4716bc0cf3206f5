"""Telegram's command menus: what a stranger sees, and each registered person's own."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat

from handlers.account.menu import STRANGER_COMMANDS, MenuCommand, commands_for
from locales import LANGUAGES, Catalogs, Translator
from models.enums import Role


def _bot_commands(commands: Iterable[MenuCommand], t: Translator) -> list[BotCommand]:
    return [BotCommand(command=c.command, description=t(c.description)) for c in commands]


async def set_person_menu(bot: Bot, chat_id: int, roles: Iterable[Role], t: Translator) -> None:
    """The menu in one person's private chat, in their language, for their roles."""
    await bot.set_my_commands(
        _bot_commands(commands_for(roles), t), scope=BotCommandScopeChat(chat_id=chat_id)
    )


async def set_default_menus(bot: Bot, catalogs: Catalogs) -> None:
    """What a stranger sees: only how to register. Chinese unless the client speaks English."""
    scope = BotCommandScopeAllPrivateChats()
    zh = catalogs.get("zh")
    await bot.set_my_commands(_bot_commands(STRANGER_COMMANDS, zh), scope=scope)
    for language in LANGUAGES:
        await bot.set_my_commands(
            _bot_commands(STRANGER_COMMANDS, catalogs.get(language)),
            scope=scope,
            language_code=language,
        )
