"""The core on DingTalk: a robot message or a card press becomes an ``Incoming`` event,
the core answers in one transaction, and the views go out after the commit.

The frame is acknowledged only when this returns, so a crash before the commit leaves the
frame for DingTalk to push again; the inbox (keyed by DingTalk's message id) makes a
second delivery of a handled frame change nothing. Each reply is written ahead as an
outbox row with the effects (bot/relay/replies.py): one that fails after the commit, or
that a crash cuts off, is sent by the relay, as on Telegram.

Two things are DingTalk's own. Buttons can be answered by typing (their label, or their
number), so the typed answers of the last message with buttons are kept in the
conversation and a matching text becomes that press. A voice message counts as what
DingTalk heard, but only once the person confirms the recognised text.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from typing import Any

from bot.dingtalk.api import DingTalkError
from bot.dingtalk.choices import (
    ABANDONED,
    CHOICES,
    abandoned_press,
    left_flow,
    stored_choices,
    typed_press,
)
from bot.dingtalk.incoming import CHANNEL, Frame, command_of, from_card, from_message
from bot.dingtalk.outgoing import Chat, FlowControlled, Outgoing, Posted, Unreachable
from bot.flood import SLOW_DOWN, FloodGate
from bot.relay import replies
from handlers.core.conversation import flow_messages
from handlers.core.events import EventKind, Incoming
from handlers.core.request import ChannelTraits, Request
from handlers.core.routing import Core
from handlers.core.views import (
    SENT_IDS,
    Button,
    Document,
    Edit,
    Menu,
    Reply,
    Text,
    Toast,
    View,
    sent_ids,
)
from locales import N_, Catalogs, normalize_language
from models.db import UnitOfWork, hold_loaded_objects
from services.clock import Clock
from services.messaging.conversations import StoredConversation, conversation_key
from services.messaging.inbox import record_delivery
from services.roster.identity import identify, set_bot_blocked

log = logging.getLogger(__name__)

VOICE = "_voice"  # conversation data: recognised speech waiting for its confirmation
VOICE_OK = "voice:ok"
SORRY = N_("Sorry, something went wrong and nothing was saved. Please try again in a moment.")

VOICE_UNHEARD = N_("I could not make out that voice message. Please type it instead.")
VOICE_CONFIRM = N_('I heard: "{text}". Nothing is done until you confirm; or send it again.')
VOICE_CONFIRM_BUTTON = N_("Confirm")


class DingTalkBridge:
    def __init__(
        self,
        core: Core,
        uow_factory: Any,
        clock: Clock,
        settings: Any,
        catalogs: Catalogs,
        outgoing: Outgoing,
    ) -> None:
        self.core = core
        self.uow_factory = uow_factory  # () -> awaitable UnitOfWork
        self.clock = clock
        self.settings = settings
        self.catalogs = catalogs
        self.outgoing = outgoing
        self.wake: Any = None  # the relay's wake(), set by the runtime
        self.flood = FloodGate()

    async def on_message(self, data: dict[str, Any]) -> None:
        parsed = from_message(data, self.core.commands)
        if parsed is None:
            return
        event, frame = parsed
        await self._run(event, frame, delivery=frame.message_id or None)

    async def on_card(self, data: dict[str, Any], frame_id: str) -> None:
        event = from_card(data)
        if event is None:
            return
        await self._run(event, None, delivery=f"card:{frame_id}")

    async def _run(self, event: Incoming, frame: Frame | None, delivery: str | None) -> None:
        sent = frame.sent_at if frame is not None else None
        allowed, warn = self.flood.check(CHANNEL, event.user_id, sent)
        if not allowed:
            # Before any database work; told once per flood, in private.
            log.info("DingTalk frame dropped: its sender floods")
            if warn:
                chat = Chat(event.user_id, group=False)
                try:
                    await self.outgoing.text(chat, self.catalogs.get(None)(SLOW_DOWN))
                except Exception:
                    log.info("could not tell a flooding sender to slow down")
            return
        try:
            await self._handle(event, frame, delivery)
        except Exception:
            # Nothing was committed: say so (in private), and let the ACK report the failure.
            if event.private:
                t = self.catalogs.get(None)
                chat = Chat(event.chat_id, group=False)
                try:
                    await self.outgoing.text(chat, t(SORRY))
                except Exception:  # the report must not raise in turn
                    log.warning("could not tell the person about a DingTalk frame failing")
            raise

    async def _handle(self, event: Incoming, frame: Frame | None, delivery: str | None) -> None:
        uow: UnitOfWork = await self.uow_factory()
        async with uow:
            hold_loaded_objects(uow.session)
            now = self.clock.now()
            if delivery and not await record_delivery(uow.session, CHANNEL, delivery, now):
                log.info("DingTalk delivery was handled before; skipped")
                return
            identity = await identify(uow.session, CHANNEL, event.user_id)
            if identity is not None and identity.blocked_bot(CHANNEL) and event.private:
                # Writing to the robot again: DingTalk reaches them, so notices resume.
                await set_bot_blocked(uow.session, CHANNEL, event.user_id, blocked=False, now=now)
            language = identity.language if identity and identity.language else None
            t = self.catalogs.get(language or normalize_language(None))
            state = StoredConversation(
                uow.session, conversation_key(CHANNEL, event.chat_id, event.user_id), now
            )
            data = await state.get_data()
            reply = await self._voice(event, frame, state, data, t)
            if reply is None:
                event = await self._resolve(event, state, data)
                req = Request(
                    event=event,
                    identity=identity,
                    t=t,
                    uow=uow,
                    clock=self.clock,
                    settings=self.settings,
                    state=state,
                    catalogs=self.catalogs,
                    channel=ChannelTraits(CHANNEL, sees_all_group_messages=False),
                )
                reply = await self.core.handle(req) or Reply()
            views = list(reply)
            # Written with the effects: a crash after the commit loses no reply.
            prefix = f"reply:{CHANNEL}:{delivery or uuid.uuid4().hex}"
            hold = replies.hold_for(self.settings)
            ahead = await replies.write_ahead(uow.session, now, event, views, prefix, hold)
            await uow.commit()
            if self.wake is not None:
                self.wake()
            chat = Chat(
                event.chat_id,
                group=not event.private,
                webhook=frame.session_webhook if frame else None,
                webhook_expires_ms=frame.webhook_expires_ms if frame else 0,
            )
            await self._deliver(uow, state, event, chat, views, ahead, data)

    async def _voice(
        self,
        event: Incoming,
        frame: Frame | None,
        state: StoredConversation,
        data: dict[str, Any],
        t: Any,
    ) -> Reply | None:
        """A voice message is confirmed before it counts: what was heard is shown first."""
        if frame is None or not frame.voice_message:
            return None
        if not frame.voice:
            return Reply.text(t(VOICE_UNHEARD))
        await state.update_data(**{VOICE: frame.voice})
        return Reply(
            [
                Text(
                    t(VOICE_CONFIRM, text=frame.voice),
                    ((Button(t(VOICE_CONFIRM_BUTTON), VOICE_OK),),),
                )
            ]
        )

    async def _resolve(
        self, event: Incoming, state: StoredConversation, data: dict[str, Any]
    ) -> Incoming:
        if event.kind is EventKind.MESSAGE and event.command is None and event.text:
            found = typed_press(event.text, data.get(CHOICES)) or abandoned_press(
                event.text, data.get(ABANDONED)
            )
            if found is not None:
                payload, origin = found
                event = replace(
                    event, kind=EventKind.PRESS, payload=payload, origin=origin, text=""
                )
        if event.kind is EventKind.PRESS and event.payload == VOICE_OK:
            heard = data.get(VOICE)
            await state.update_data(**{VOICE: None, CHOICES: None})
            if isinstance(heard, str) and heard:
                command, args = command_of(heard, self.core.commands)
                text = heard if command is None or heard.startswith("/") else "/" + heard
                return replace(
                    event,
                    kind=EventKind.MESSAGE,
                    payload=None,
                    origin=None,
                    text=text,
                    command=command,
                    args=args,
                )
        return event

    async def _deliver(
        self,
        uow: UnitOfWork,
        state: StoredConversation,
        event: Incoming,
        chat: Chat,
        views: list[View],
        ahead: dict[int, replies.Ahead],
        before: dict[str, Any],
    ) -> None:
        """Send the views, settle their rows written ahead, and commit. ``before``: the
        conversation's data before the event."""
        remembered: dict[str, str] = {}
        last: Posted | None = None
        posted_any = False
        for index, view in enumerate(views):
            row = ahead.get(index)
            try:
                posted = await self._send(event, chat, view)
            except (Unreachable, FlowControlled, DingTalkError, OSError, TimeoutError) as exc:
                if row is not None:
                    log.warning("DingTalk reply failed (%s); queued", type(exc).__name__)
                    await replies.failed(uow.session, row, self.clock.now(), type(exc).__name__)
                else:
                    log.info("DingTalk %s not applied (%s)", type(view).__name__,
                             type(exc).__name__)  # fmt: skip
                continue
            if row is not None:
                await replies.delivered(uow.session, row)
            if posted is None:
                continue
            posted_any = True
            last = posted
            if isinstance(view, Text) and view.remember:
                remembered[view.remember] = posted.message_id
        if posted_any:
            # Typing answers only the last message: an older message's buttons are not
            # guessed at.
            updates: dict[str, Any] = {CHOICES: stored_choices(last) if last is not None else None}
            if remembered:
                updates[SENT_IDS] = {**sent_ids(await state.get_data()), **remembered}
            if flow_messages() & remembered.keys():
                updates[ABANDONED] = None  # a flow goes on: its new message is the one
            elif (left := left_flow(before, event)) is not None:
                updates[ABANDONED] = left
            await state.update_data(**updates)
        await uow.commit()

    async def _send(self, event: Incoming, chat: Chat, view: View) -> Posted | None:
        if isinstance(view, Text):
            return await self.outgoing.text(chat, view.text, view.buttons)
        if isinstance(view, Edit):
            target = view.message_id or (event.origin.message_id if event.origin else None)
            return await self.outgoing.edit(chat, target, view.text, view.buttons)
        if isinstance(view, Document):
            # DingTalk's files carry no text: the caption (and its buttons) goes first, and
            # is what typing answers.
            caption = None
            if view.caption or view.buttons:
                caption = await self.outgoing.text(chat, view.caption, view.buttons)
            file_id = await self.outgoing.file(chat, view.name, view.data)
            return caption if caption is not None else Posted(file_id)
        if isinstance(view, Toast):
            # DingTalk has no passing notice: a press's toast is said only when it matters.
            if view.text and (
                view.alert or event.kind is not EventKind.PRESS or event.origin is None
            ):
                return await self.outgoing.text(chat, view.text)
            return None
        if isinstance(view, Menu):
            return None  # DingTalk has no per-person command menu
        return None
