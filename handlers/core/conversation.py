"""Guided conversations: where a person is in a multi-step flow, and what they said so far.

A flow declares its steps as ``State``s in a ``Steps`` class; the stored name is
``"<Flow>:<step>"`` (the same names the aiogram FSM stored before the core, so a half-done
/leave survives the upgrade). The channel supplies the storage: the project's own
conversation table, written in the update's transaction.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from locales import N_

# The answer to a press on a flow's message that it no longer remembers.
MESSAGE_EXPIRED = N_("This message has expired.")
# A flow message's id, once the person started something else.
FORGOTTEN = ""


class State:
    def __init__(self) -> None:
        self.state = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.state = f"{owner.__name__}:{name}"

    def __repr__(self) -> str:
        return f"State({self.state!r})"


class Steps:
    """Base for a flow's states (a namespace: ``class LeaveFlow(Steps): start = State()``).

    ``command`` names the command that starts the flow afresh: what a person is told when
    their conversation turns out unusable (a forged or outdated draft)."""

    command: ClassVar[str | None] = None
    # The name (``Text.remember``) of the message whose buttons drive the flow. It is
    # forgotten when the person starts something else (any command), and the flow takes
    # presses only on the message it still remembers: an abandoned draft's buttons must
    # not act on whatever the person is doing now.
    message: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        FLOWS[cls.__name__] = cls


FLOWS: dict[str, type[Steps]] = {}


def flow_messages() -> frozenset[str]:
    """The names of the messages that drive flows (``Steps.message``)."""
    return frozenset(f.message for f in FLOWS.values() if f.message)


def restart_command(state: str | None) -> str | None:
    """The command that starts the flow ``state`` ("LeaveFlow:end") belongs to, if known."""
    if not state:
        return None
    flow = FLOWS.get(state.partition(":")[0])
    return flow.command if flow is not None else None


class Conversation(Protocol):
    async def get_state(self) -> str | None: ...

    async def set_state(self, state: State | None) -> None: ...

    async def get_data(self) -> dict[str, Any]: ...

    async def update_data(self, **values: Any) -> dict[str, Any]: ...

    async def clear(self) -> None: ...


class MemoryConversation:
    """A conversation kept in memory: for unit tests of flows, and for events that cannot
    be part of one (a press in a group)."""

    def __init__(self) -> None:
        self.state: str | None = None
        self.data: dict[str, Any] = {}

    async def get_state(self) -> str | None:
        return self.state

    async def set_state(self, state: State | None) -> None:
        self.state = state.state if state is not None else None

    async def get_data(self) -> dict[str, Any]:
        return dict(self.data)

    async def update_data(self, **values: Any) -> dict[str, Any]:
        self.data.update(values)
        return dict(self.data)

    async def clear(self) -> None:
        self.state, self.data = None, {}
