"""The core's routes inside aiogram: one catch-all router that turns each message and
button press into an ``Incoming`` event, runs the core, commits, then sends the views.

Replies go out after the commit. A reply that fails then (Telegram down, a 429, a timeout)
is queued in the outbox and retried, so the person hears what the data says; only a
failure before the commit reaches the error handler, which says nothing was saved.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.methods import SendMessage
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message, Update

from bot.relay.replies import queue_reply
from bot.telegram.incoming import CHANNEL, from_member, from_message, from_press
from bot.telegram.outgoing import answer_press, send, text_markup
from bot.text_limits import TELEGRAM_TEXT, shorten_html
from handlers.core.events import Incoming
from handlers.core.request import ChannelTraits, Request
from handlers.core.routing import Core
from handlers.core.views import SENT_IDS, Edit, Menu, Reply, Text, Toast, sent_ids
from models.db import UnitOfWork
from services.clock import Clock
from services.messaging.conversations import StoredConversation, conversation_key

log = logging.getLogger(__name__)

# Dispatcher data key: set by the webhook runtime, whose answers may carry a reply.
WEBHOOK_REPLIES = "replies_ride_webhook"


async def _deliver(
    bot: Bot,
    event: Incoming,
    reply: Reply,
    query: CallbackQuery | None,
    uow: UnitOfWork,
    clock: Clock,
    update_id: int,
    state: StoredConversation,
) -> None:
    views = list(reply)
    if query is not None:
        toast = next((v for v in views if isinstance(v, Toast)), None)
        try:
            await answer_press(query, toast)
        except (TelegramAPIError, TelegramNetworkError) as exc:
            # Too late or refused: the spinner stops by itself; what matters follows.
            log.info("press of update %s not answered: %s", update_id, type(exc).__name__)
        views = [v for v in views if not isinstance(v, Toast)]
    remembered: dict[str, str] = {}
    for index, view in enumerate(views):
        try:
            message_id = await send(bot, event, view)
        except (TelegramAPIError, TelegramNetworkError) as exc:
            unchanged = isinstance(view, Edit) and "not modified" in str(exc)
            if unchanged or isinstance(view, Menu) or (isinstance(view, Edit) and view.message_id):
                # The message already reads so; a menu is set again at the next start; an
                # older message may be gone. None of these is worth a new message.
                log.info("update %s: %s not applied (%s)", update_id, type(view).__name__,
                         type(exc).__name__)  # fmt: skip
                continue
            log.warning("reply to update %s failed (%s); queued", update_id, type(exc).__name__)
            await queue_reply(
                uow, clock.now(), event, view, f"reply:{event.channel}:{update_id}:{index}"
            )
            continue
        if isinstance(view, Text) and view.remember and message_id is not None:
            remembered[view.remember] = message_id
    if remembered:
        # Written in the update's session; the unit of work commits it after the handler.
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
        await uow.commit()
        update: Update = data["event_update"]
        riding = None
        views = list(reply)
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
            reply = Reply(views[:-1])
        await _deliver(bot, event, reply, query, uow, req.clock, update.update_id, state)
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
