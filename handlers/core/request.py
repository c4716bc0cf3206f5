"""What a handler is handed: the event, who sent it, and the deployment's context, in one
object instead of eight injected parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Deployment
from handlers.core.conversation import Conversation
from handlers.core.events import Incoming
from handlers.core.payloads import Payload
from handlers.core.views import sent_ids
from locales import Catalogs, Translator
from models.db import UnitOfWork
from services.clock import Clock
from services.policy import PolicyPack
from services.policy_loading import load_pack
from services.roster.identity import Identity

P = TypeVar("P", bound=Payload)

_UNREAD = object()


@dataclass(frozen=True)
class ChannelTraits:
    """What a handler may need to know of the channel the event came on."""

    name: str = "test"
    # Telegram's privacy mode: in groups the bot sees only commands and replies to it.
    sees_all_group_messages: bool = True


@dataclass
class Request:
    event: Incoming
    identity: Identity | None
    t: Translator
    uow: UnitOfWork
    clock: Clock
    settings: Deployment
    state: Conversation
    catalogs: Catalogs | None = None  # every language, for those we cannot place yet
    channel: ChannelTraits = field(default_factory=ChannelTraits)
    _state_name: object = field(default=_UNREAD, repr=False)

    @property
    def session(self) -> AsyncSession:
        return self.uow.session

    @cached_property
    def pack(self) -> PolicyPack:
        return load_pack(self.settings.policy)

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.zone

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return self.clock.now().astimezone(self.settings.zone).date()

    @property
    def me(self) -> Identity:
        """The sender, for routes that admit registered people only."""
        assert self.identity is not None, "route admits registered people only"
        return self.identity

    @property
    def cadre_id(self) -> int:
        cadre = self.me.cadre
        assert cadre is not None, "route admits cadres only"
        return cadre.cadre_id

    def press(self, kind: type[P]) -> P:
        """The pressed button's payload; the router matched its type already."""
        payload = kind.unpack(self.event.payload)
        assert payload is not None, f"route for {kind.__name__} got another payload"
        return payload

    async def pressed_on(self, name: str) -> bool:
        """Whether the press may be on the flow message remembered under ``name``: the one
        the flow sent last, not forgotten since. When its id is unknown (the relay sent it)
        the flow's state is all there is to go by."""
        remembered = sent_ids(await self.state.get_data()).get(name)
        if remembered is None:
            return True
        origin = self.event.origin
        return origin is not None and remembered == origin.message_id

    async def current_state(self) -> str | None:
        """The conversation's state, read once per event (routes ask it in turn)."""
        if self._state_name is _UNREAD:
            self._state_name = await self.state.get_state()
        return self._state_name  # type: ignore[return-value]

    def forget_state(self) -> None:
        self._state_name = _UNREAD
