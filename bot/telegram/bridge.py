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
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, Update

from bot.telegram.incoming import from_message, from_press
from bot.telegram.outgoing import answer_press, send
from handlers.core.events import Incoming
from handlers.core.request import Request
from handlers.core.routing import Core
from handlers.core.views import Document, Edit, Reply, Text, Toast
from models.db import UnitOfWork
from services.clock import Clock
from services.messaging import outbox

log = logging.getLogger(__name__)


class FsmConversation:
    """The core's conversation over aiogram's FSM context, whose storage is our own
    conversation table written in the update's transaction (bot/telegram/fsm.py)."""

    def __init__(self, fsm: FSMContext) -> None:
        self.fsm = fsm

    async def get_state(self) -> str | None:
        return await self.fsm.get_state()

    async def set_state(self, state: Any) -> None:
        await self.fsm.set_state(state.state if state is not None else None)

    async def get_data(self) -> dict[str, Any]:
        return await self.fsm.get_data()

    async def update_data(self, **values: Any) -> dict[str, Any]:
        return await self.fsm.update_data(**values)

    async def clear(self) -> None:
        await self.fsm.clear()


async def _deliver(
    bot: Bot,
    event: Incoming,
    reply: Reply,
    query: CallbackQuery | None,
    uow: UnitOfWork,
    clock: Clock,
    update_id: int,
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
    for index, view in enumerate(views):
        try:
            await send(bot, event, view)
        except (TelegramAPIError, TelegramNetworkError) as exc:
            log.warning("reply to update %s failed (%s); queued", update_id, type(exc).__name__)
            await _queue(uow, clock, event, view, f"reply:{event.channel}:{update_id}:{index}")


async def _queue(uow: UnitOfWork, clock: Clock, event: Incoming, view: Any, key: str) -> None:
    """A reply that could not be sent after the commit, retried through the outbox."""
    if isinstance(view, Edit):
        if view.text is None:
            return  # only the buttons were to change; the press is refused server-side anyway
        view = Text(view.text, view.buttons)
    if isinstance(view, Toast):
        view = Text(view.text)
    text = view.caption if isinstance(view, Document) else view.text
    buttons = (
        []
        if isinstance(view, Document)
        else [[[b.label, b.payload] for b in row] for row in view.buttons]
    )
    await outbox.enqueue(
        uow.session,
        key=key,
        chat_id=event.chat_id,
        template="reply",
        params={"text": text, "buttons": buttons},
        now=clock.now(),
        is_group=not event.private,
        document=(view.name, view.data) if isinstance(view, Document) else None,
    )
    await uow.commit()


def build_bridge(core: Core) -> Router:
    router = Router(name="core")

    async def run(
        event: Incoming,
        query: CallbackQuery | None,
        data: dict[str, Any],
    ) -> None:
        uow: UnitOfWork = data["uow"]
        req = Request(
            event=event,
            identity=data.get("identity"),
            t=data["t"],
            uow=uow,
            clock=data["clock"],
            settings=data["settings"],
            state=FsmConversation(data["state"]),
        )
        reply = await core.handle(req)
        if reply is None:
            raise SkipHandler
        await uow.commit()
        update: Update = data["event_update"]
        await _deliver(data["bot"], event, reply, query, uow, req.clock, update.update_id)

    async def on_message(message: Message, bot: Bot, **data: Any) -> None:
        event = await from_message(message, bot)
        if event is None:
            raise SkipHandler
        await run(event, None, {"bot": bot, **data})

    async def on_press(query: CallbackQuery, **data: Any) -> None:
        await run(from_press(query), query, data)

    router.message.register(on_message)
    router.callback_query.register(on_press)
    return router
