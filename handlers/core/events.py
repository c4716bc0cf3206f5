"""An incoming event as every channel can describe it: who, where, and what they did."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"


class EventKind(StrEnum):
    MESSAGE = "message"  # text (a command or free text), a location or a photo
    PRESS = "press"  # a button's payload
    MEMBERSHIP = "membership"  # the bot's place in a chat changed (blocked, removed, back)
    MIGRATION = "migration"  # a group moved to a new chat id (Telegram's supergroups)


class Membership(StrEnum):
    """What became of the bot in the chat: in a private chat the person blocked or
    unblocked it; in a group it was added or removed."""

    PRESENT = "present"
    GONE = "gone"


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    venue: bool = False  # a place picked from a list, not where the person is


@dataclass(frozen=True)
class Photo:
    """The largest size of a photo the person sent, as the channel names it."""

    file_id: str
    unique_id: str = ""
    size: int | None = None
    width: int = 0
    height: int = 0


@dataclass(frozen=True)
class MessageRef:
    """A message already in the chat: the one a button sat on, or the one replied to.

    ``text`` is its rich text in the core's markup (see ``views``), ``payloads`` the
    payloads of its buttons: a card carries its request in them, so a reply to a card can
    be read from the card itself."""

    message_id: str
    text: str = ""
    payloads: tuple[str, ...] = ()
    from_bot: bool = False


@dataclass(frozen=True)
class Incoming:
    channel: str
    kind: EventKind
    # The channel's ids, as text: Telegram's are integers, DingTalk's are not.
    chat_id: str
    chat_kind: ChatKind
    user_id: str
    text: str = ""  # a message's text (a photo's caption is not an answer in a flow)
    command: str | None = None  # without the slash, lower case; also from a caption
    args: str = ""
    payload: str | None = None
    location: Location | None = None
    photo: Photo | None = None
    forwarded: bool = False  # someone else's message passed on
    origin: MessageRef | None = None  # the message a pressed button sits on
    reply_to: MessageRef | None = None
    chat_title: str = ""
    language_code: str | None = None  # the person's client language, for strangers
    membership: Membership | None = None
    migrated_to: str | None = None  # MIGRATION: the chat's new id (chat_id is the old one)

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
