"""Wiring aiogram: the Bot, the Dispatcher with its middlewares and routers, polling."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import ErrorEvent, Update

import handlers
from bot.context import AppContext
from bot.flood import FloodGate
from bot.relay.loop import Relay
from bot.relay.settings import RelaySettings
from bot.telegram.bridge import build_bridge
from bot.telegram.menus import set_default_menus, set_person_menu
from bot.telegram.middlewares import FloodMiddleware, IdentityMiddleware, UnitOfWorkMiddleware
from bot.telegram.sender import TelegramSender
from handlers.account.menu import menu_hash
from locales import Catalogs, Translator
from services.roster import identity as identities
from services.roster.accounts import TELEGRAM

log = logging.getLogger(__name__)

# How long one getUpdates waits for news. Short enough for a weak connection to recover.
POLLING_TIMEOUT = 25


# A Bot API call with no answer by then fails (aiogram's default waits 60 s). Updates are
# handled one after another, so a hung reply would hold up everyone behind it; a failed
# reply goes to the outbox and is retried. getUpdates waits this plus its long poll.
REQUEST_TIMEOUT = 10


def build_bot(token: str, api_url: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url), timeout=REQUEST_TIMEOUT)
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


async def _on_error(event: ErrorEvent, catalogs: Catalogs, **data: Any) -> bool:
    """Log the failure (no message text: it may hold personal data) and tell the person."""
    update: Update = event.update
    log.error(
        "update %s failed: %s",
        update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    t: Translator = data.get("t") or catalogs.get(None)
    bot: Bot | None = data.get("bot")
    text = t("Sorry, something went wrong and nothing was saved. Please try again in a moment.")
    try:
        if update.message is not None and update.message.chat.type == "private" and bot:
            await bot.send_message(update.message.chat.id, text)
        elif update.callback_query is not None and bot:
            await bot.answer_callback_query(update.callback_query.id, text, show_alert=True)
    except Exception:  # the report must not raise in turn
        log.warning("could not tell the person about update %s failing", update.update_id)
    return True


async def build_dispatcher(
    ctx: AppContext, catalogs: Catalogs, wake: Callable[[], None] | None = None
) -> Dispatcher:
    """``wake`` (the outbox relay's) is called after each update's commit."""
    sessions = await ctx.sessions()
    dp = Dispatcher(
        # Guided flows are the core's, kept in our conversation table (bot/telegram/bridge.py).
        disable_fsm=True,
        settings=ctx.settings,
        clock=ctx.clock,
        catalogs=catalogs,
        sessions=sessions,
    )
    # Before any database work: a flooding sender costs nothing but a dictionary lookup.
    dp.update.outer_middleware(FloodMiddleware(FloodGate(), catalogs))
    dp.update.outer_middleware(UnitOfWorkMiddleware(sessions, ctx.clock, wake))
    dp.update.outer_middleware(IdentityMiddleware(catalogs))
    dp.errors.register(_on_error)
    dp.include_router(build_bridge(handlers.core()))
    return dp


async def sync_menus(bot: Bot, ctx: AppContext, catalogs: Catalogs) -> int:
    """Set the default (stranger) menus, and each registered person's menu whose
    content changed since it was last set. Returns how many personal menus were sent."""
    await set_default_menus(bot, catalogs)
    sent = 0
    async with await ctx.uow() as uow:
        people = await identities.registered_people(uow.session, TELEGRAM)
        for person, account in people:
            assert person.id is not None
            # A former cadre's menu loses the cadre commands from the day after the term.
            today = ctx.clock.now().astimezone(ctx.settings.zone).date()
            who = (await identities.identity_of(uow.session, person.id)).as_of(today)
            t = catalogs.get(who.language)
            fingerprint = menu_hash(who.roles, t.language)
            if person.menu_hash == fingerprint:
                continue
            await set_person_menu(bot, int(account.chat_id), who.roles, t)
            await identities.record_menu(uow.session, person.id, fingerprint)
            sent += 1
        await uow.commit()
    return sent


class BotRuntime:
    """The bot as one long-running task: start it, and stop it from anywhere."""

    def __init__(self, ctx: AppContext, catalogs: Catalogs | None = None) -> None:
        token = ctx.settings.token
        if token is None:
            raise ValueError("no bot token configured")
        self.ctx = ctx
        self.catalogs = catalogs or Catalogs()
        self.bot = build_bot(token, ctx.settings.bot_api_url)
        self.dp: Dispatcher | None = None
        # The outbox relay runs beside polling (started in run_polling, stopped in stop()).
        self.relay: Relay | None = None
        self._relay_task: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()

    async def prepare(self) -> str:
        """Check the token, drop any webhook, set the menus. Returns the bot's username."""
        me = await self.bot.get_me()
        await self.bot.delete_webhook(drop_pending_updates=False)
        changed = await sync_menus(self.bot, self.ctx, self.catalogs)
        log.info("bot @%s ready; %d personal menus updated", me.username, changed)
        self.relay = Relay(
            await self.ctx.sessions(),
            TelegramSender(self.bot),
            self.catalogs,
            self.ctx.clock,
            RelaySettings.from_settings(self.ctx.settings),
        )
        self.dp = await build_dispatcher(self.ctx, self.catalogs, wake=self.relay.wake)
        return me.username or ""

    async def run_polling(self, *, polling_timeout: int = POLLING_TIMEOUT) -> None:
        if self.dp is None:
            await self.prepare()
        assert self.dp is not None and self.relay is not None
        self._relay_task = asyncio.create_task(self.relay.run(), name="outbox-relay")
        try:
            # handle_as_tasks=False: an update is confirmed to Telegram (by the next
            # offset) only after it was handled and committed.
            await self.dp.start_polling(
                self.bot,
                handle_as_tasks=False,
                polling_timeout=polling_timeout,
                allowed_updates=self.dp.resolve_used_update_types(),
                handle_signals=False,
                close_bot_session=False,
            )
        finally:
            await self._stop_relay()
            self._stopped.set()

    async def _stop_relay(self) -> None:
        # Graceful: answers in flight are recorded, held rows given back.
        if self.relay is not None:
            await self.relay.stop()
        if self._relay_task is not None:
            await self._relay_task
            self._relay_task = None

    async def stop(self) -> None:
        if self.dp is not None:
            try:
                await self.dp.stop_polling()
            except RuntimeError:  # polling never started
                pass
        await self._stop_relay()  # before the session closes under its requests
        await self.bot.session.close()
