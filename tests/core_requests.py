"""Events through the real conversation core (every feature's routes) against a real
database: what a channel's bridge does, without the channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

import handlers
from handlers.core.conversation import MemoryConversation
from handlers.core.events import ChatKind, EventKind, Incoming, MessageRef, split_command
from handlers.core.request import ChannelTraits, Request
from handlers.core.routing import Core
from handlers.core.views import SENT_IDS, Reply, Text, sent_ids
from locales import Catalogs
from models.db import UnitOfWork
from services.clock import Clock
from services.roster.identity import identify


@dataclass(frozen=True)
class Deployment:
    policy: str = "ganzhou-2021"
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))


_CORE: Core | None = None


def core() -> Core:
    global _CORE
    if _CORE is None:
        _CORE = handlers.core()
    return _CORE


@dataclass
class Private:
    """One person's private chat with the bot on a channel (the chat has the user's id)."""

    session: AsyncSession
    clock: Clock
    user_id: str
    channel: str = "telegram"
    conversation: MemoryConversation = field(default_factory=MemoryConversation)
    catalogs: Catalogs = field(default_factory=Catalogs)
    last_sent: str = ""  # the id given to the last message sent (as a bridge numbers them)
    _count: int = 0

    async def send(self, text: str, *, reply_to: MessageRef | None = None) -> Reply | None:
        command, args = split_command(text)
        return await self.event(
            Incoming(
                channel=self.channel,
                kind=EventKind.MESSAGE,
                chat_id=self.user_id,
                chat_kind=ChatKind.PRIVATE,
                user_id=self.user_id,
                text=text,
                command=command,
                args=args,
                reply_to=reply_to,
            )
        )

    async def event(self, event: Incoming) -> Reply | None:
        identity = await identify(self.session, self.channel, event.user_id)
        language = identity.language if identity and identity.language else "zh"
        uow = UnitOfWork(None)  # type: ignore[arg-type]  # the test's session instead
        uow.session = self.session
        req = Request(
            event=event,
            identity=identity,
            t=self.catalogs.get(language),
            uow=uow,
            clock=self.clock,
            settings=Deployment(),
            state=self.conversation,
            catalogs=self.catalogs,
            channel=ChannelTraits(self.channel),
        )
        reply = await core().handle(req)
        # What a bridge does once the messages are out: the remembered ones by their ids.
        for view in reply or ():
            if isinstance(view, Text):
                self._count += 1
                self.last_sent = str(self._count)
                if view.remember:
                    data = await self.conversation.get_data()
                    remembered = {**sent_ids(data), view.remember: self.last_sent}
                    await self.conversation.update_data(**{SENT_IDS: remembered})
        return reply

    async def said(self, text: str, **kwargs: MessageRef | None) -> str:
        """Everything the bot answered, as one string ("" when no route took it)."""
        reply = await self.send(text, **kwargs)
        if reply is None:
            return ""
        return "\n".join(getattr(view, "text", "") for view in reply)
