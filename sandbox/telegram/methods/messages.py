"""The bot's messages: sending text, documents, photos and locations (and chat actions),
forwarding and copying; with the HTML formatting the edits share."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.telegram.chats import Chat, FakeGroup, SentMessage
from sandbox.telegram.errors import ApiError
from sandbox.telegram.methods.files import FileMethods
from sandbox.telegram.records import StoredFile, UploadedFile
from sandbox.telegram.spec.formatting import parse_html


def formatted(p: dict[str, Any], key: str) -> tuple[str, list[dict[str, Any]]]:
    """Visible text and entities of ``p[key]`` under the call's parse mode."""
    text = str(p.get(key, ""))
    mode = p.get("parse_mode")
    if isinstance(mode, str) and mode.lower() == "html":
        parsed = parse_html(text)
        return parsed.text, parsed.entities
    entities = p.get("caption_entities" if key == "caption" else "entities")
    return text, list(entities) if isinstance(entities, list) else []


def text_content(p: dict[str, Any], key: str) -> dict[str, Any]:
    """``p[key]`` as a message's text (or caption) and its entities."""
    text, entities = formatted(p, key)
    content: dict[str, Any] = {key: text}
    if entities:
        content["caption_entities" if key == "caption" else "entities"] = entities
    return content


class MessageMethods(FileMethods):
    """sendMessage, sendDocument, sendPhoto, sendLocation, sendChatAction, forwardMessage,
    copyMessage."""

    def _reply_target(self, chat: Chat, p: dict[str, Any]) -> dict[str, Any] | None:
        params = p.get("reply_parameters")
        if not isinstance(params, dict):
            return None
        target = chat
        if "chat_id" in params:
            target = self._chat(params["chat_id"])
        mid = params.get("message_id")
        if isinstance(mid, int) and mid in target.messages and mid not in target.deleted:
            return target.messages[mid]
        if params.get("allow_sending_without_reply"):
            return None
        raise ApiError(400, "Bad Request: message to be replied not found")

    def _bot_send(
        self,
        p: dict[str, Any],
        content: dict[str, Any],
        *,
        source_key: str | None = None,
        file: StoredFile | None = None,
    ) -> dict[str, Any]:
        chat = self._writable_chat(p["chat_id"])
        reply_to = self._reply_target(chat, p)
        markup = p.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            content["reply_markup"] = markup  # only inline keyboards belong to the message
        msg = self._new_message(chat, self._bot_user(), content, reply_to)
        sent = SentMessage(
            msg,
            source=p.get(source_key) if source_key else None,
            parse_mode=p.get("parse_mode"),
        )
        if isinstance(markup, dict) and "inline_keyboard" not in markup:
            sent.keyboard = markup
        sent.file = file
        chat.sent[msg["message_id"]] = sent
        return copy.deepcopy(msg)

    async def _send_message(
        self, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        content = text_content(p, "text")
        if isinstance(p.get("link_preview_options"), dict):
            content["link_preview_options"] = p["link_preview_options"]
        return self._bot_send(p, content, source_key="text")

    async def _send_document(
        self, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        self._writable_chat(p["chat_id"])  # fail before storing anything
        stored = self._resolve_input_file(p.get("document"), files, "document", "documents")
        content: dict[str, Any] = {"document": self._document_dict(stored)}
        if p.get("caption"):
            content.update(text_content(p, "caption"))
        return self._bot_send(p, content, source_key="caption", file=stored)

    async def _send_photo(
        self, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        self._writable_chat(p["chat_id"])
        stored = self._resolve_input_file(p.get("photo"), files, "photo", "photos")
        content: dict[str, Any] = {"photo": self._photo_sizes(stored.content, "jpg")}
        if p.get("caption"):
            content.update(text_content(p, "caption"))
        return self._bot_send(p, content, source_key="caption", file=stored)

    async def _send_location(
        self, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        location: dict[str, Any] = {"latitude": p["latitude"], "longitude": p["longitude"]}
        for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
            if key in p:
                location[key] = p[key]
        return self._bot_send(p, {"location": location})

    async def _send_chat_action(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        self._writable_chat(p["chat_id"])
        return True

    def _copied_content(self, raw: dict[str, Any]) -> dict[str, Any]:
        keys = ("text", "entities", "caption", "caption_entities", "photo", "document")
        return {k: copy.deepcopy(raw[k]) for k in (*keys, "location") if k in raw}

    async def _forward_message(
        self, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        source = self._chat(p["from_chat_id"])
        raw = self._message(source, p["message_id"], "message to forward not found")
        content = self._copied_content(raw)
        sender = raw.get("from", {})
        if isinstance(source, FakeGroup) and not sender:
            content["forward_origin"] = {
                "type": "chat",
                "date": raw["date"],
                "sender_chat": source.as_dict(),
            }
        else:
            content["forward_origin"] = {"type": "user", "date": raw["date"], "sender_user": sender}
        return self._bot_send(p, content)

    async def _copy_message(
        self, p: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, int]:
        source = self._chat(p["from_chat_id"])
        raw = self._message(source, p["message_id"], "message to copy not found")
        if "location" not in raw and not any(k in raw for k in ("text", "photo", "document")):
            raise ApiError(400, "Bad Request: message can't be copied")
        content = self._copied_content(raw)
        if "caption" in p and "text" not in raw:
            content.pop("caption_entities", None)
            content.update(text_content(p, "caption"))
        msg = self._bot_send(p, content)
        return {"message_id": msg["message_id"]}
