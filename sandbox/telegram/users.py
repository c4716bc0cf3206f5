"""The people who talk to the bot: :class:`FakeUser`, the hands a test writes, presses
buttons and shares locations with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.telegram.chats import FakeGroup, SentMessage
from sandbox.telegram.spec.formatting import utf16_len

if TYPE_CHECKING:
    from sandbox.telegram.actors import Actors


class FakeUser:
    """A Telegram user who talks to the bot (in private or in a :class:`FakeGroup`)."""

    def __init__(
        self,
        sandbox: Actors,
        user_id: int,
        *,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
        started: bool,
    ) -> None:
        self._sandbox = sandbox
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.started = started  # has the user ever opened the chat with the bot?
        self.blocked = False

    @property
    def chat_id(self) -> int:
        return self.id

    def as_user_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        return out

    def block(self) -> None:
        """The user blocks the bot: sends to them fail with 403 until :meth:`unblock`. As
        Telegram does, the bot is told with a ``my_chat_member`` update (member -> kicked)
        when the user had a chat with it."""
        if not self.blocked and self.started:
            self._sandbox._private_member_change(self, "member", "kicked")
        self.blocked = True

    def unblock(self) -> None:
        """The user unblocks (restarts) the bot: ``my_chat_member`` kicked -> member."""
        if self.blocked and self.started:
            self._sandbox._private_member_change(self, "kicked", "member")
        self.blocked = False

    async def send(
        self,
        text: str,
        *,
        chat: FakeGroup | None = None,
        reply_to: SentMessage | dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Post a text message update; a leading ``/command`` gets its bot_command entity."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        if chat is None and text.split(maxsplit=1)[:1] == ["/start"]:
            self.started = True
        return self._sandbox._user_message(self, chat, content, reply_to)

    async def edit(self, message: dict[str, Any], text: str) -> dict[str, Any]:
        """Edit an earlier text message of this user; posts an ``edited_message`` update."""
        return self._sandbox._user_edit(self, message, text)

    async def press(self, message: SentMessage, button: str) -> str:
        """Press the inline button with this text (or exact callback_data); the query id."""
        if message.deleted:
            raise LookupError(f"{message!r} was deleted; its buttons can't be pressed")
        rows = message._rows()
        flat = [b for row in rows for b in row]
        found = next((b for b in flat if b.get("text") == button), None)
        if found is None:
            found = next((b for b in flat if b.get("callback_data") == button), None)
        if found is None:
            raise LookupError(
                f"no button {button!r} on {message!r}; it has {message.buttons() or 'none'}"
            )
        if "callback_data" not in found:
            kinds = sorted(set(found) - {"text", "style", "icon_custom_emoji_id"})
            raise LookupError(f"button {button!r} is not a callback button ({', '.join(kinds)})")
        return await self.press_data(message, str(found["callback_data"]))

    async def press_data(self, message: SentMessage, data: str) -> str:
        """Send a callback query with arbitrary (possibly forged) data for that message."""
        return self._sandbox._callback(self, message, data)

    async def share_location(
        self,
        latitude: float,
        longitude: float,
        *,
        chat: FakeGroup | None = None,
        forwarded_from: FakeUser | None = None,
        reply_to: SentMessage | dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        content: dict[str, Any] = {"location": {"latitude": latitude, "longitude": longitude}}
        if forwarded_from is not None:
            content["forward_origin"] = {
                "type": "user",
                "date": self._sandbox._now(),
                "sender_user": forwarded_from.as_user_dict(),
            }
        return self._sandbox._user_message(self, chat, content, reply_to)

    async def send_photo(
        self,
        *,
        caption: str | None = None,
        chat: FakeGroup | None = None,
        file_size: int = 54321,
        content: bytes | None = None,
        reply_to: SentMessage | dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Post a photo (as PhotoSize variants); ``content`` defaults to filler bytes."""
        data = content if content is not None else b"\xff\xd8\xff" + b"\0" * max(file_size - 3, 0)
        body: dict[str, Any] = {"photo": self._sandbox._photo_sizes(data, "jpg")}
        if caption is not None:
            body["caption"] = caption
        return self._sandbox._user_message(self, chat, body, reply_to)

    async def send_document(
        self,
        file_name: str,
        content: bytes,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        chat: FakeGroup | None = None,
        reply_to: SentMessage | dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        stored = self._sandbox._store_file(content, file_name, mime_type, "documents")
        body: dict[str, Any] = {"document": self._sandbox._document_dict(stored)}
        if caption is not None:
            body["caption"] = caption
        return self._sandbox._user_message(self, chat, body, reply_to)

    def __repr__(self) -> str:
        return f"<FakeUser {self.id} {self.first_name!r}>"
