"""What a handler answers with, in no messenger's types.

Text uses a small HTML subset (``<b>``, ``<i>``, ``<code>``, escaped user strings), which
Telegram takes as is and other channels convert. A channel that cannot edit a message
sends the edit as a new one; a channel without buttons shows each button's typed answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Button:
    label: str
    payload: str


Keyboard = tuple[tuple[Button, ...], ...]


def rows_of(buttons: Sequence[Button], width: int) -> Keyboard:
    return tuple(tuple(buttons[i : i + width]) for i in range(0, len(buttons), width))


@dataclass(frozen=True)
class Text:
    """A new message in the chat the event came from.

    ``remember`` names the message in the conversation's data once it is sent (its id under
    ``sent_ids()[remember]``), so a flow can later edit it or accept presses only on it.
    ``ask_location`` offers a one-tap "share my location" button with that label where the
    channel has one; ``clear_keyboard`` takes such an offer away."""

    text: str
    buttons: Keyboard = ()
    remember: str | None = None
    ask_location: str | None = None
    clear_keyboard: bool = False


@dataclass(frozen=True)
class Toast:
    """The answer to a button press (a short notice, or an alert the person must close).
    Every press gets one: the channel answers an empty one when the handler gave none."""

    text: str = ""
    alert: bool = False


@dataclass(frozen=True)
class Edit:
    """Change a message: the one the pressed button sits on, or (``message_id``) another
    message of the bot's in this chat. Its text (None keeps it) and its buttons (empty
    removes them). An edit of another message that fails (it is gone, or already so)
    is dropped quietly."""

    text: str | None = None
    buttons: Keyboard = ()
    message_id: str | None = None


@dataclass(frozen=True)
class Document:
    name: str
    data: bytes
    caption: str = ""
    buttons: Keyboard = ()


@dataclass(frozen=True)
class Menu:
    """The commands this person sees in their private chat's menu (command, description),
    where the channel has such a menu."""

    commands: tuple[tuple[str, str], ...]


View = Text | Toast | Edit | Document | Menu

SENT_IDS = "_sent"  # conversation data key of the messages remembered by name


def sent_ids(data: dict[str, object]) -> dict[str, str]:
    found = data.get(SENT_IDS)
    # Kept before message ids were text: integers in conversations started then.
    return {k: str(v) for k, v in found.items()} if isinstance(found, dict) else {}


@dataclass
class Reply:
    """The views a handler answers with, in order."""

    views: list[View] = field(default_factory=list)

    def __iter__(self) -> Iterator[View]:
        return iter(self.views)

    def add(self, *views: View) -> Reply:
        self.views.extend(views)
        return self

    @classmethod
    def text(cls, text: str, buttons: Keyboard = ()) -> Reply:
        return cls([Text(text, buttons)])

    @classmethod
    def toast(cls, text: str, *, alert: bool = False) -> Reply:
        return cls([Toast(text, alert)])
