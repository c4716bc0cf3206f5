"""The core's routes inside aiogram: one catch-all router that turns each message and
button press into an ``Incoming`` event, runs the core, commits, then sends the views.

Replies go out after the commit, each written ahead as an outbox row in the update's
transaction (bot/relay/replies.py). A reply that fails then (Telegram down, a 429, a
timeout), or that a crash cuts off, is sent by the relay, so the person hears what the data
says; only a failure before the commit reaches the error handler, which says nothing was
saved.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.methods import SendMessage
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message, Update

from bot.relay import replies
from bot.telegram.incoming import CHANNEL, from_member, from_message, from_press, reply_prefix
from bot.telegram.outgoing import answer_press, send, text_markup
from bot.text_limits import TELEGRAM_TEXT, shorten_html
from handlers.core.events import Incoming
from handlers.core.request import ChannelTraits, Request
from handlers.core.routing import Core
from handlers.core.views import SENT_IDS, Edit, Text, Toast, View, sent_ids
from models.db import UnitOfWork
from services.clock import Clock
from services.messaging.conversations import StoredConversation, conversation_key

log = logging.getLogger(__name__)

# Dispatcher data key: set by the webhook runtime, whose answers may carry a reply.
WEBHOOK_REPLIES = "replies_ride_webhook"


async def _deliver(
    bot: Bot,
    event: Incoming,
    views: list[View],
    ahead: dict[int, replies.Ahead],
    query: CallbackQuery | None,
    uow: UnitOfWork,
    clock: Clock,
    update_id: int,
    state: StoredConversation,
) -> None:
    """Send the views; settle each one's row written ahead (``bot/relay/replies.py``).
    The settling is written in the update's session, committed by its unit of work."""
    session = uow.session
    if query is not None:
        toast = next((v for v in views if isinstance(v, Toast)), None)
        try:
            await answer_press(query, toast)
        except (TelegramAPIError, TelegramNetworkError) as exc:
            # Too late or refused: the spinner stops by itself; what matters follows.
            log.info("press of update %s not answered: %s", update_id, type(exc).__name__)
    remembered: dict[str, str] = {}
    for index, view in enumerate(views):
        if isinstance(view, Toast) and query is not None:
            continue
        row = ahead.get(index)
        try:
            message_id = await send(bot, event, view)
        except (TelegramAPIError, TelegramNetworkError) as exc:
            if row is not None and not (isinstance(view, Edit) and "not modified" in str(exc)):
                log.warning("reply to update %s failed (%s); queued", update_id,
                            type(exc).__name__)  # fmt: skip
                await replies.failed(session, row, clock.now(), type(exc).__name__)
                continue
            # The message already reads so, or it was not worth a row (a menu is set again
            # at the next start; an older message may be gone).
            log.info("update %s: %s not applied (%s)", update_id, type(view).__name__,
                     type(exc).__name__)  # fmt: skip
        else:
            if isinstance(view, Text) and view.remember and message_id is not None:
                remembered[view.remember] = message_id
        if row is not None:
            await replies.delivered(session, row)
    if remembered:
        data = await state.get_data()
        await state.update_data(**{SENT_IDS: {**sent_ids(data), **remembered}})


def build_bridge(core: Core) -> Router:
    router = Router(name="core")

    async def run(
        event: Incoming,
        query: CallbackQuery | None,
        data: dict[str, Any],
    ) -> SendMessage | None:
        uow: UnitOfWork = data["uow"]
        bot: Bot = data["bot"]
        me = await bot.me()  # asked once per process; aiogram keeps it
        # The project's own conversation table, in the update's transaction.
        key = conversation_key(CHANNEL, event.chat_id, event.user_id)
        state = StoredConversation(uow.session, key, data["clock"].now())
        req = Request(
            event=event,
            identity=data.get("identity"),
            t=data["t"],
            uow=uow,
            clock=data["clock"],
            settings=data["settings"],
            state=state,
            catalogs=data.get("catalogs"),
            channel=ChannelTraits(CHANNEL, bool(me.can_read_all_group_messages)),
        )
        reply = await core.handle(req)
        if reply is None:
            raise SkipHandler
        update: Update = data["event_update"]
        views = list(reply)
        now = req.clock.now()
        prefix = reply_prefix(update.update_id)
        # The replies' rows commit with the update's effects: a crash from here on loses
        # no confirmation (the relay sends it after the restart).
        ahead = await replies.write_ahead(
            uow.session, now, event, views, prefix, replies.hold_for(req.settings)
        )
        await uow.commit()
        riding = None
        last = views[-1] if views else None
        if (
            data.get(WEBHOOK_REPLIES)
            and query is None
            and isinstance(last, Text)
            and last.remember is None
        ):
            # In webhook mode the last message rides in the webhook's answer: one request
            # fewer, and Telegram runs it after the update is confirmed.
            riding = SendMessage(
                chat_id=int(event.chat_id),
                text=shorten_html(last.text, TELEGRAM_TEXT),
                reply_markup=text_markup(last),
            )
            views = views[:-1]
            row = ahead.get(len(views))
            if row is not None:
                await replies.rode(uow.session, row, now)
        await _deliver(bot, event, views, ahead, query, uow, req.clock, update.update_id, state)
        return riding

    async def on_message(message: Message, bot: Bot, **data: Any) -> SendMessage | None:
        event = await from_message(message, bot)
        if event is None:
            raise SkipHandler
        return await run(event, None, {"bot": bot, **data})

    async def on_press(query: CallbackQuery, **data: Any) -> None:
        await run(from_press(query), query, data)

    async def on_member(member: ChatMemberUpdated, **data: Any) -> None:
        event = from_member(member)
        if event is None:
            raise SkipHandler
        await run(event, None, data)

    router.message.register(on_message)
    router.callback_query.register(on_press)
    router.my_chat_member.register(on_member)
    return router
