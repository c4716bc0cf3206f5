"""/start: redeem an invitation link, or say hello again."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message

from handlers.account.menu import menu_hash, set_person_menu
from handlers.account.profile import greeting
from handlers.account.strangers import refusal
from locales import N_, Catalogs, Translator, normalize_language
from models.db import UnitOfWork
from services.clock import Clock
from services.errors import DomainError
from services.roster import identity as identities
from services.roster import invites
from services.roster.accounts import TELEGRAM
from services.roster.identity import Identity

INVITE_ERRORS = {
    "invite_invalid": N_(
        "This invitation link is not valid. Please ask your county office for a new one."
    ),
    "invite_used": N_(
        "This invitation link has already been used. Each link works once; "
        "please ask your county office for a new one."
    ),
    "invite_expired": N_(
        "This invitation link has expired (links last 7 days). "
        "Please ask your county office for a new one."
    ),
    "account_taken": N_(
        "This Telegram account is already registered to someone else on the roster."
    ),
}


async def start_with_invite(
    message: Message,
    command: CommandObject,
    uow: UnitOfWork,
    bot: Bot,
    clock: Clock,
    catalogs: Catalogs,
    t: Translator,
) -> Any:
    user = message.from_user
    assert user is not None
    try:
        person = await invites.redeem(
            uow.session,
            command.args or "",
            channel=TELEGRAM,
            external_id=str(user.id),
            chat_id=user.id,  # a private chat with a user has the user's id
            language=normalize_language(user.language_code),
            now=clock.now(),
        )
    except DomainError as exc:
        return message.answer(t(INVITE_ERRORS[exc.code]))
    assert person.id is not None
    identity = await identities.identity_of(uow.session, person.id)
    their_t = catalogs.get(identity.language)
    await identities.record_menu(
        uow.session, person.id, menu_hash(identity.roles, their_t.language)
    )
    await uow.commit()
    await set_person_menu(bot, message.chat.id, identity.roles, their_t)
    return message.answer(greeting(identity, their_t))


async def start_plain(
    message: Message, identity: Identity | None, t: Translator, catalogs: Catalogs
) -> Any:
    if identity is None:
        return message.answer(refusal(t, catalogs))
    return message.answer(greeting(identity, t))


def build_router() -> Router:
    """A fresh router each call, so several dispatchers (tests, replicas) can coexist."""
    router = Router(name="registration")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.message.register(start_with_invite, CommandStart(deep_link=True))
    router.message.register(start_plain, CommandStart())
    return router
