"""An incoming event as every channel can describe it: who, where, and what they did."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"


class EventKind(StrEnum):
    MESSAGE = "message"  # text (a command or free text), a location or a photo
    PRESS = "press"  # a button's payload


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class MessageRef:
    """A message already in the chat: the one a button sat on, or the one replied to.

    ``text`` is its rich text in the core's markup (see ``views``), ``payloads`` the
    payloads of its buttons: a card carries its request in them, so a reply to a card can
    be read from the card itself."""

    message_id: int
    text: str = ""
    payloads: tuple[str, ...] = ()
    from_bot: bool = False


@dataclass(frozen=True)
class Incoming:
    channel: str
    kind: EventKind
    chat_id: int
    chat_kind: ChatKind
    user_id: int
    text: str = ""
    command: str | None = None  # without the slash, lower case
    args: str = ""
    payload: str | None = None
    location: Location | None = None
    photo: str | None = None  # the channel's reference to the largest size
    origin: MessageRef | None = None  # the message a pressed button sits on
    reply_to: MessageRef | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def private(self) -> bool:
        return self.chat_kind is ChatKind.PRIVATE

    @property
    def typed(self) -> bool:
        """Free text that is not a command: an answer inside a guided flow."""
        return self.kind is EventKind.MESSAGE and bool(self.text) and not self.text.startswith("/")


def split_command(text: str) -> tuple[str | None, str]:
    """``/leave@zhucun_bot 12-01`` -> ("leave", "12-01"); free text -> (None, "").

    The command ends at the first whitespace of any kind, as aiogram's Command read it:
    ``/halfyear`` then the report on the next lines is a command with its text."""
    if not text.startswith("/"):
        return None, ""
    head, *rest = text.split(maxsplit=1)
    name = head[1:].split("@", 1)[0].lower()
    if not name:
        return None, ""
    return name, (rest[0].strip() if rest else "")
