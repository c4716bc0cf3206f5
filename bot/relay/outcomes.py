"""What a messenger's sender answers the relay, one outcome per request.

The relay owns everything around a send: the lease, the pacing, the in-flight marker and
the request timeout. A sender owns the request itself: it turns a rendered row into its
messenger's call and the answer (or the error) into one of these outcomes. An error it
does not recognise it lets through: the relay counts the send as uncertain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from handlers.notices import Rendered
from services.messaging.outbox_leases import Claimed


@dataclass(frozen=True)
class Sent:
    """Delivered; ``message_id`` is the card's (the message people answer or press on)."""

    message_id: str


@dataclass(frozen=True)
class FirstPartSent:
    """The first of a two-part send went out (a text too long for a document's caption);
    the relay records its id, so the next request sends only the rest."""

    message_id: str


@dataclass(frozen=True)
class Retry:
    """Not sent; try again. ``after``: the messenger's own flood wait, which also pauses
    the chat; None backs off by attempts. ``counted``: the attempt counts towards the
    relay's ``max_attempts`` (a flood wait is the relay's pace, not the row's fault)."""

    reason: str
    after: float | None = None
    counted: bool = True


@dataclass(frozen=True)
class Dead:
    """Refused for good. ``blocked``: the chat refuses the bot, so for a person (not a
    group) they are marked as having blocked it and their other rows die too."""

    reason: str
    blocked: bool = False


@dataclass(frozen=True)
class Uncertain:
    """It may have arrived: it is not sent again."""

    reason: str


@dataclass(frozen=True)
class Moved:
    """The chat lives under a new id now (a group that became a supergroup): the row, the
    group's binding and its other waiting rows follow it there."""

    chat_id: str


Outcome = Sent | FirstPartSent | Retry | Dead | Uncertain | Moved


class Sender(Protocol):
    """One messenger's way of sending a rendered outbox row."""

    # The relay claims only the rows that name this channel.
    channel: str

    async def deliver(self, row: Claimed, rendered: Rendered) -> Outcome: ...
