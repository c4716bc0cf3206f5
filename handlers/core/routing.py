"""Which handler takes an event: routes in the order features register them.

A route names what it takes (a command, a button payload type, a typed answer in a given
step of a flow, a location, a photo, a reply to one of the bot's messages), who may send it
(registered, with one of some roles, or anyone) and in which kind of chat. The first route
that matches and does not ``Skip`` handles the event.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from handlers.core.conversation import Conversation, State, restart_command
from handlers.core.events import ChatKind, EventKind
from handlers.core.flow_messages import flow_messages_before, note_flow_messages
from handlers.core.payloads import Payload
from handlers.core.request import Request
from handlers.core.views import Reply, Text, Toast
from locales import N_
from models.enums import Role

log = logging.getLogger(__name__)

# What a handler raises when the conversation's draft is not what it wrote: a key missing,
# a value of the wrong type, a number or date that does not parse.
DRAFT_ERRORS = (KeyError, TypeError, ValueError, AttributeError, OverflowError)
STALE_STEP = N_("That step is no longer valid; please start again with /{command}.")
STALE_STEP_NO_COMMAND = N_("That step is no longer valid; please start again.")

Handler = Callable[[Request], Awaitable[Reply | None]]


class Skip(Exception):
    """Raised by a handler that finds the event is not its after all: the next route is
    tried (a reply to a message that turns out not to be a card)."""


class Takes(StrEnum):
    COMMAND = "command"
    PRESS = "press"
    TYPED = "typed"
    LOCATION = "location"
    PHOTO = "photo"
    REPLY = "reply"
    MEMBERSHIP = "membership"
    MIGRATION = "migration"
    ANY_MESSAGE = "any_message"
    INPUT = "input"
    ANY_PRESS = "any_press"


@dataclass(frozen=True)
class Route:
    handler: Handler
    takes: Takes
    command: str | None = None
    payload: type[Payload] | None = None
    state: State | None = None
    roles: frozenset[Role] | None = None
    registered: bool = True
    chat: ChatKind | None = ChatKind.PRIVATE

    async def matches(self, req: Request) -> bool:
        event = req.event
        if self.chat is not None and event.chat_kind is not self.chat:
            return False
        if not self._takes(req):
            return False
        if self.registered and req.identity is None:
            return False
        if self.roles is not None and (req.identity is None or not self.roles & req.identity.roles):
            return False
        if self.state is not None and await req.current_state() != self.state.state:
            return False
        return True

    def _takes(self, req: Request) -> bool:
        event = req.event
        match self.takes:
            case Takes.PRESS:
                return event.kind is EventKind.PRESS and (
                    self.payload is not None and self.payload.unpack(event.payload) is not None
                )
            case Takes.COMMAND:
                return event.kind is EventKind.MESSAGE and event.command == self.command
            case Takes.TYPED:
                return event.typed
            case Takes.LOCATION:
                return event.kind is EventKind.MESSAGE and event.location is not None
            case Takes.PHOTO:
                return event.kind is EventKind.MESSAGE and event.photo is not None
            case Takes.REPLY:
                reply_to = event.reply_to
                return event.typed and reply_to is not None and reply_to.from_bot
            case Takes.MEMBERSHIP:
                return event.kind is EventKind.MEMBERSHIP
            case Takes.MIGRATION:
                return event.kind is EventKind.MIGRATION
            case Takes.INPUT:
                return event.typed or (
                    event.kind is EventKind.MESSAGE
                    and (event.photo is not None or event.location is not None)
                )
            case Takes.ANY_MESSAGE:
                return event.kind is EventKind.MESSAGE
            case Takes.ANY_PRESS:
                return event.kind is EventKind.PRESS
        return False


def _roles(roles: Iterable[Role] | None) -> frozenset[Role] | None:
    return frozenset(roles) if roles is not None else None


class Router:
    """One feature's routes, registered in the order they should be tried."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.routes: list[Route] = []

    def command(
        self,
        name: str,
        handler: Handler,
        *,
        roles: Iterable[Role] | None = None,
        chat: ChatKind | None = ChatKind.PRIVATE,
        registered: bool = True,
    ) -> None:
        self.routes.append(
            Route(
                handler,
                Takes.COMMAND,
                command=name,
                roles=_roles(roles),
                chat=chat,
                registered=registered,
            )
        )

    def press(
        self,
        payload: type[Payload],
        handler: Handler,
        *,
        roles: Iterable[Role] | None = None,
        registered: bool = True,
    ) -> None:
        # A press is taken in any chat: a card may sit in a group; the handler re-checks.
        self.routes.append(
            Route(
                handler,
                Takes.PRESS,
                payload=payload,
                roles=_roles(roles),
                registered=registered,
                chat=None,
            )
        )

    def typed(
        self, state: State | None, handler: Handler, *, roles: Iterable[Role] | None = None
    ) -> None:
        self.routes.append(Route(handler, Takes.TYPED, state=state, roles=_roles(roles)))

    def location(
        self,
        handler: Handler,
        *,
        state: State | None = None,
        roles: Iterable[Role] | None = None,
    ) -> None:
        self.routes.append(Route(handler, Takes.LOCATION, state=state, roles=_roles(roles)))

    def photo(
        self,
        handler: Handler,
        *,
        state: State | None = None,
        roles: Iterable[Role] | None = None,
    ) -> None:
        self.routes.append(Route(handler, Takes.PHOTO, state=state, roles=_roles(roles)))

    def input(
        self,
        state: State,
        handler: Handler,
        *,
        roles: Iterable[Role] | None = None,
    ) -> None:
        """Typed text, a photo or a location while a flow waits in ``state``."""
        self.routes.append(Route(handler, Takes.INPUT, state=state, roles=_roles(roles)))

    def reply(self, handler: Handler, *, roles: Iterable[Role] | None = None) -> None:
        self.routes.append(Route(handler, Takes.REPLY, roles=_roles(roles)))

    def membership(self, handler: Handler, *, chat: ChatKind) -> None:
        """The bot blocked or unblocked (private), removed from or added to (group)."""
        self.routes.append(Route(handler, Takes.MEMBERSHIP, registered=False, chat=chat))

    def migration(self, handler: Handler) -> None:
        self.routes.append(Route(handler, Takes.MIGRATION, registered=False, chat=None))

    def anything(
        self,
        handler: Handler,
        *,
        registered: bool = True,
        chat: ChatKind | None = ChatKind.PRIVATE,
        press: bool = False,
    ) -> None:
        """Whatever message (or press) is left: the fallbacks at the end of the order."""
        takes = Takes.ANY_PRESS if press else Takes.ANY_MESSAGE
        self.routes.append(Route(handler, takes, registered=registered, chat=chat))


class Core:
    """Every feature's routes, tried in order."""

    def __init__(self, routers: Iterable[Router]) -> None:
        self.routes = [route for router in routers for route in router.routes]
        # Channels where a command may come without its slash (DingTalk) check this.
        self.commands = frozenset(r.command for r in self.routes if r.command is not None)

    async def handle(self, req: Request) -> Reply | None:
        """The reply of the first route that takes the event; None when none does.

        Roles are judged as of today: a cadre whose term is over (or who was recalled) has
        no cadre posting here, so no route for cadres takes their events."""
        if req.identity is not None:
            req.identity = req.identity.as_of(req.today())
        before = await flow_messages_before(req)
        for route in self.routes:
            if not await route.matches(req):
                continue
            watched = _Watched(req.state)
            req.state = watched
            try:
                reply = await route.handler(req)
            except Skip:
                continue
            except DRAFT_ERRORS as exc:
                if watched.draft is None:
                    raise  # not the conversation's fault: a bug, for the error handler
                return await _stale_draft(req, route, watched, exc)
            finally:
                req.state = watched.inner
            reply = reply if reply is not None else Reply()
            await note_flow_messages(req, before, reply)
            return reply
        return None


class _Watched:
    """The request's conversation, noting whether the handler read a draft from it (the
    state and the data's keys when it first asked for the data)."""

    def __init__(self, inner: Conversation) -> None:
        self.inner = inner
        self.draft: tuple[str | None, list[str]] | None = None

    async def _note(self) -> None:
        if self.draft is None:
            state, data = await self.inner.get_state(), await self.inner.get_data()
            if state is not None or data:
                self.draft = (state, sorted(data))

    async def get_state(self) -> str | None:
        return await self.inner.get_state()

    async def set_state(self, state: State | None) -> None:
        await self.inner.set_state(state)

    async def get_data(self) -> dict[str, Any]:
        await self._note()
        return await self.inner.get_data()

    async def update_data(self, **values: Any) -> dict[str, Any]:
        return await self.inner.update_data(**values)

    async def clear(self) -> None:
        await self.inner.clear()


async def _stale_draft(req: Request, route: Route, watched: _Watched, exc: Exception) -> Reply:
    """A handler failed on what the conversation held (a forged press or an outdated
    draft): forget the conversation, so the person's next message is not caught by it
    again, and say how to start afresh. Logged as the error it may be, without the
    draft's values (they may be people's names or numbers)."""
    assert watched.draft is not None
    state, keys = watched.draft
    # The exception's text may quote the draft's values: only its type and where it rose.
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else "?"
    log.error(
        "%s failed on the conversation (%s at %s; state %s, keys %s): cleared it",
        getattr(route.handler, "__qualname__", route.handler),
        type(exc).__name__,
        where,
        state,
        keys,
    )
    await watched.inner.clear()
    req.forget_state()
    command = restart_command(state)
    t = req.t
    text = t(STALE_STEP, command=command) if command else t(STALE_STEP_NO_COMMAND)
    if req.event.payload is not None:
        return Reply([Toast(text, alert=True)])
    return Reply([Text(text)])
