"""Changing the bot's messages after the fact: editing text, captions and inline keyboards,
and deleting."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from sandbox.telegram.chats import Chat, FakeGroup, SentMessage
from sandbox.telegram.errors import ApiError
from sandbox.telegram.methods.messages import formatted
from sandbox.telegram.records import UploadedFile
from sandbox.telegram.store import Store

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class EditMethods(Store):
    """editMessageText, editMessageCaption, editMessageReplyMarkup, deleteMessage(s)."""

    def _editable(self, p: dict[str, Any]) -> tuple[Chat, SentMessage]:
        if "inline_message_id" in p:
            raise ApiError(400, "Bad Request: inline messages are not emulated by the sandbox")
        if "chat_id" not in p or "message_id" not in p:
            raise ApiError(400, "Bad Request: chat_id and message_id are required")
        chat = self._chat(p["chat_id"])
        raw = self._message(chat, p["message_id"], "message to edit not found")
        sent = chat.sent.get(raw["message_id"])
        if sent is None:
            raise ApiError(400, "Bad Request: message can't be edited")
        return chat, sent

    def _apply_edit(self, sent: SentMessage, new: dict[str, Any]) -> dict[str, Any]:
        if all(
            (k not in sent.raw) if v is None else (sent.raw.get(k) == v) for k, v in new.items()
        ):
            raise ApiError(400, _NOT_MODIFIED)
        sent.edits.append(copy.deepcopy(sent.raw))
        for key, value in new.items():
            if value is None:
                sent.raw.pop(key, None)
            else:
                sent.raw[key] = value
        sent.raw["edit_date"] = self._now()
        return copy.deepcopy(sent.raw)

    @staticmethod
    def _inline_markup(p: dict[str, Any]) -> dict[str, Any] | None:
        markup = p.get("reply_markup")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            return markup
        return None

    async def _edit_message_text(
        self, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        _, sent = self._editable(p)
        if "text" not in sent.raw:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if not p.get("text"):
            raise ApiError(400, "Bad Request: message text is empty")
        text, entities = formatted(p, "text")
        new: dict[str, Any] = {
            "text": text,
            "entities": entities or None,
            "reply_markup": self._inline_markup(p),
        }
        result = self._apply_edit(sent, new)
        sent.source, sent.parse_mode = p.get("text"), p.get("parse_mode")
        return result

    async def _edit_message_caption(
        self, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        _, sent = self._editable(p)
        if "text" in sent.raw or "location" in sent.raw:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        text, entities = formatted(p, "caption")
        new: dict[str, Any] = {
            "caption": text or None,
            "caption_entities": entities or None,
            "reply_markup": self._inline_markup(p),
        }
        result = self._apply_edit(sent, new)
        sent.source, sent.parse_mode = p.get("caption"), p.get("parse_mode")
        return result

    async def _edit_message_reply_markup(
        self, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        _, sent = self._editable(p)
        return self._apply_edit(sent, {"reply_markup": self._inline_markup(p)})

    def _delete_one(self, chat: Chat, message_id: Any) -> None:
        raw = self._message(chat, message_id, "message to delete not found")
        from_bot = raw.get("from", {}).get("id") == self.bot_id
        if isinstance(chat, FakeGroup) and not from_bot and not chat.bot_is_admin:
            raise ApiError(400, "Bad Request: message can't be deleted")
        chat.deleted.add(raw["message_id"])
        if raw["message_id"] in chat.sent:
            chat.sent[raw["message_id"]].deleted = True

    async def _delete_message(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        self._delete_one(self._chat(p["chat_id"]), p["message_id"])
        return True

    async def _delete_messages(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        chat = self._chat(p["chat_id"])
        for mid in p["message_ids"]:
            with contextlib.suppress(ApiError):  # Telegram skips the ones it can't delete
                self._delete_one(chat, mid)
        return True
