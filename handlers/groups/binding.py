"""/bind and /unbind inside a group; the bot leaving a group unbinds it; a group upgraded
to a supergroup keeps its binding."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import ChatMemberUpdated, Message

from locales import N_, Translator
from models.db import UnitOfWork
from models.enums import GroupScope
from services.clock import Clock
from services.errors import DomainError
from services.messaging import groups
from services.roster.identity import Identity

GROUP_CHATS = F.chat.type.in_({ChatType.GROUP, ChatType.SUPERGROUP})
SCOPE_WORDS = {
    "village": GroupScope.VILLAGE,
    "村": GroupScope.VILLAGE,
    "team": GroupScope.VILLAGE,
    "township": GroupScope.TOWNSHIP,
    "乡镇": GroupScope.TOWNSHIP,
    "镇": GroupScope.TOWNSHIP,
    "county": GroupScope.COUNTY,
    "县": GroupScope.COUNTY,
}
SCOPE_NAMES = {
    GroupScope.VILLAGE: N_("village team"),
    GroupScope.TOWNSHIP: N_("township"),
    GroupScope.COUNTY: N_("county"),
}
NOT_ALLOWED = N_(
    "Only the team leader or the village party organisation (for a village), a township "
    "approver (for a township) or a county approver (for a county) can do that."
)
ERRORS = {
    "group_bind_not_allowed": NOT_ALLOWED,
    "group_bind_ambiguous": N_(
        "You cover several: {choices}. Add the name, e.g. /bind township 江口镇."
    ),
}


async def bind(
    message: Message,
    command: CommandObject,
    uow: UnitOfWork,
    identity: Identity | None,
    bot: Bot,
    t: Translator,
    clock: Clock,
) -> Any:
    words = (command.args or "").split(maxsplit=1)
    scope = SCOPE_WORDS.get(words[0].lower()) if words else None
    if scope is None:
        return message.answer(
            t("Bind this group with /bind village, /bind township or /bind county.")
        )
    if identity is None:
        return message.answer(t(NOT_ALLOWED))
    try:
        place = await groups.bind(
            uow.session,
            identity,
            chat_id=message.chat.id,
            title=message.chat.title or "",
            scope=scope,
            name=words[1] if len(words) > 1 else "",
            now=clock.now(),
        )
    except DomainError as exc:
        choices = t(", ").join(exc.params.get("choices", []))
        return message.answer(escape(t(ERRORS[exc.code], choices=choices)))
    text = t(
        "This group is now the {scope} group of {place}. It will get notices and the monthly "
        "dispatch check here, with counts only: no household details, no reasons for leave.",
        scope=t(SCOPE_NAMES[scope]),
        place=escape(place.name),
    )
    me = await bot.me()
    if not me.can_read_all_group_messages:
        text += "\n\n" + t(
            "Privacy mode is on, so in groups I only see commands and replies to my messages. "
            "For anything personal, write to me in a private chat."
        )
    return message.answer(text)


async def unbind(
    message: Message, uow: UnitOfWork, identity: Identity | None, t: Translator, clock: Clock
) -> Any:
    if identity is None:
        return message.answer(t(NOT_ALLOWED))
    try:
        removed = await groups.unbind(
            uow.session, identity, chat_id=message.chat.id, now=clock.now()
        )
    except DomainError as exc:
        return message.answer(t(ERRORS[exc.code]))
    if not removed:
        return message.answer(t("This group is not bound."))
    return message.answer(t("This group is no longer bound; it will get no more notices."))


async def left_group(event: ChatMemberUpdated, uow: UnitOfWork, clock: Clock) -> None:
    if event.new_chat_member.status in ("left", "kicked"):
        await groups.unbind(uow.session, None, chat_id=event.chat.id, now=clock.now())


async def became_supergroup(message: Message, uow: UnitOfWork, clock: Clock) -> None:
    """Telegram says so twice: in the old group (``migrate_to_chat_id``) and in the new
    supergroup (``migrate_from_chat_id``); whichever comes first moves the binding."""
    if message.migrate_to_chat_id is not None:
        old, new = message.chat.id, message.migrate_to_chat_id
    else:
        assert message.migrate_from_chat_id is not None
        old, new = message.migrate_from_chat_id, message.chat.id
    await groups.follow_migration(uow.session, old_chat_id=old, new_chat_id=new, now=clock.now())


async def bind_in_private(message: Message, t: Translator) -> Any:
    return message.answer(t("Use /bind inside the group you want to bind."))


def build_router() -> Router:
    router = Router(name="groups")
    router.message.register(bind, Command("bind"), GROUP_CHATS)
    router.message.register(unbind, Command("unbind"), GROUP_CHATS)
    router.message.register(
        bind_in_private, Command("bind", "unbind"), F.chat.type == ChatType.PRIVATE
    )
    router.my_chat_member.register(left_group, GROUP_CHATS)
    router.message.register(
        became_supergroup, F.migrate_to_chat_id | F.migrate_from_chat_id, GROUP_CHATS
    )
    return router
