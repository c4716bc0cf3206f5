"""Outer middlewares: one unit of work per update, and who the sender is."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import Chat, TelegramObject, Update, User
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flood import SLOW_DOWN, FloodGate
from bot.relay import replies
from bot.telegram.incoming import reply_prefix
from locales import Catalogs, normalize_language
from models.db import UnitOfWork, hold_loaded_objects
from services.clock import Clock
from services.messaging.inbox import record_delivery
from services.roster.accounts import TELEGRAM
from services.roster.identity import identify, set_bot_blocked

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UnitOfWorkMiddleware(BaseMiddleware):
    """Opens the update's one transaction and records its id in the inbox table.

    The handler's effects and the inbox row commit together after the handler returns; a
    reply the handler *returns* (an unsent Telegram method) is sent by aiogram only after
    that commit, so nobody is told about something that did not happen. A re-delivered
    update finds its id already recorded and is skipped.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        # The outbox relay's wake(): outbox rows the handler wrote go out right after the
        # commit instead of at the relay's next poll.
        self.wake = wake

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        async with UnitOfWork(self.sessions) as uow:
            hold_loaded_objects(uow.session)
            if not await record_delivery(
                uow.session, TELEGRAM, str(event.update_id), self.clock.now()
            ):
                log.info("update %s was handled before; skipped", event.update_id)
                # Telegram delivers an update again when it did not get the answer: a
                # reply that rode in that answer never went out.
                prefix = reply_prefix(event.update_id)
                if await replies.resend_riding(uow.session, prefix, self.clock.now()):
                    await uow.commit()
                    if self.wake is not None:
                        self.wake()
                return UNHANDLED
            data["uow"] = uow
            data["session"] = uow.session
            result = await handler(event, data)
            await uow.commit()
            if self.wake is not None:
                self.wake()
            return result


class IdentityMiddleware(BaseMiddleware):
    """Puts ``identity`` (None for a stranger) and ``t`` (their translator) into the data."""

    def __init__(self, catalogs: Catalogs) -> None:
        self.catalogs = catalogs

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        identity = None
        if user is not None and not user.is_bot:
            identity = await identify(data["session"], TELEGRAM, str(user.id))
        chat: Chat | None = data.get("event_chat")
        wrote = isinstance(event, Update) and event.my_chat_member is None  # not (un)blocking
        blocked = identity is not None and identity.blocked_bot(TELEGRAM)
        if identity and blocked and wrote and chat and chat.type == "private":
            # Writing to the bot in private means they unblocked it: reminders resume.
            assert user is not None
            clock: Clock = data["clock"]
            await set_bot_blocked(
                data["session"], TELEGRAM, str(user.id), blocked=False, now=clock.now()
            )
            identity = replace(identity, blocked_on=identity.blocked_on - {TELEGRAM})
        language = identity.language if identity and identity.language else None
        if language is None:
            language = normalize_language(user.language_code if user else None)
        data["identity"] = identity
        data["t"] = self.catalogs.get(language)
        return await handler(event, data)


class FloodMiddleware(BaseMiddleware):
    """Drops a flooding sender's updates before the unit of work (bot/flood.py)."""

    def __init__(self, gate: FloodGate, catalogs: Catalogs) -> None:
        self.gate = gate
        self.catalogs = catalogs

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return await handler(event, data)
        message = getattr(event, "message", None) or getattr(event, "edited_message", None)
        sent = message.date.timestamp() if message is not None else None
        allowed, warn = self.gate.check(TELEGRAM, str(user.id), sent)
        if allowed:
            return await handler(event, data)
        log.info("update %s dropped: its sender floods", getattr(event, "update_id", "?"))
        if warn:
            t = self.catalogs.get(normalize_language(user.language_code))
            bot = data.get("bot")
            try:
                assert isinstance(event, Update)
                if event.callback_query is not None and bot is not None:
                    await bot.answer_callback_query(event.callback_query.id, t(SLOW_DOWN))
                elif bot is not None:
                    await bot.send_message(user.id, t(SLOW_DOWN))
            except Exception:  # a flood's answer is a courtesy, never a failure
                log.info("could not tell a flooding sender to slow down")
        return UNHANDLED
