"""Chats and the messages in them: private chats, groups, and the bot's sent messages."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from sandbox.telegram.records import StoredFile

if TYPE_CHECKING:
    from sandbox.telegram.users import FakeUser


class Chat:
    """A chat's messages; users' and the bot's share one id sequence, as on Telegram."""

    def __init__(self, chat_id: int, chat_type: str) -> None:
        self.id = chat_id
        self.type = chat_type
        self._ids = itertools.count(1)
        self.messages: dict[int, dict[str, Any]] = {}  # everything in the chat, by id
        self.sent: dict[int, SentMessage] = {}  # the bot's messages
        self.deleted: set[int] = set()

    def next_message_id(self) -> int:
        return next(self._ids)

    def as_dict(self) -> dict[str, Any]:
        raise NotImplementedError


class PrivateChat(Chat):
    """The bot's chat with one user, under the user's own id."""

    def __init__(self, user: FakeUser) -> None:
        super().__init__(user.id, "private")
        self.user = user

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.user.first_name}
        if self.user.last_name:
            out["last_name"] = self.user.last_name
        if self.user.username:
            out["username"] = self.user.username
        return out


class FakeGroup(Chat):
    """A group or supergroup the bot is in; users join it by writing or via :meth:`add`."""

    def __init__(
        self, chat_id: int, title: str, chat_type: str, username: str | None, bot_is_admin: bool
    ) -> None:
        super().__init__(chat_id, chat_type)
        self.title = title
        self.username = username
        self.bot_is_admin = bot_is_admin
        self.members: dict[int, str] = {}  # user id -> ChatMember status
        # Set when the group was upgraded to a supergroup: sends here are refused with it.
        self.migrated_to: int | None = None

    @property
    def chat_id(self) -> int:
        return self.id

    def add(self, user: FakeUser, status: str = "member") -> None:
        """Set a user's status: creator, administrator, member, restricted, left or kicked."""
        self.members[user.id] = status

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": self.type, "title": self.title}
        if self.username:
            out["username"] = self.username
        return out

    def __repr__(self) -> str:
        return f"<FakeGroup {self.id} {self.title!r}>"


class SentMessage:
    """A message the bot sent; ``raw`` always holds the current state, edits included."""

    def __init__(self, raw: dict[str, Any], *, source: str | None, parse_mode: str | None) -> None:
        self.raw = raw
        self.source = source  # text or caption exactly as the bot sent it (HTML included)
        self.parse_mode = parse_mode
        self.keyboard: dict[str, Any] | None = None  # a reply keyboard sent with it, if any
        self.file: StoredFile | None = None
        self.edits: list[dict[str, Any]] = []  # earlier versions of raw, oldest first
        self.deleted = False

    @property
    def message_id(self) -> int:
        return int(self.raw["message_id"])

    @property
    def chat_id(self) -> int:
        return int(self.raw["chat"]["id"])

    @property
    def text(self) -> str:
        """Visible text (or caption) after entity parsing; empty for media without caption."""
        return str(self.raw.get("text", self.raw.get("caption", "")))

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        markup = self.raw.get("reply_markup")
        return markup if isinstance(markup, dict) else None

    @property
    def document(self) -> dict[str, Any] | None:
        doc = self.raw.get("document")
        return doc if isinstance(doc, dict) else None

    @property
    def content(self) -> bytes | None:
        """Bytes of an uploaded document or photo."""
        return self.file.content if self.file else None

    @property
    def file_name(self) -> str | None:
        return self.file.file_name if self.file else None

    def buttons(self) -> list[list[str]]:
        """Texts of the current inline keyboard, row by row."""
        return [[b["text"] for b in row] for row in self._rows()]

    def button_data(self) -> list[list[str | None]]:
        return [[b.get("callback_data") for b in row] for row in self._rows()]

    def _rows(self) -> list[list[dict[str, Any]]]:
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard", [])
        return rows if isinstance(rows, list) else []

    def __repr__(self) -> str:
        text = self.text if len(self.text) <= 60 else self.text[:59] + "…"
        return f"<SentMessage chat={self.chat_id} id={self.message_id} {text!r}>"
