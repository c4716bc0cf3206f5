"""DingTalk's robot messages and card callbacks as the core's ``Incoming`` events.

A private chat's address is the person's staff id (that is where one-to-one robot messages
go); a group's is its ``conversationId`` (the openConversationId group sends take).
Commands arrive as text, with or without their slash: ``请假 12-01`` is not a command but
``leave 12-01`` and ``/leave 12-01`` are, and so is ``绑定 <code>`` (registration).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from handlers.core.events import ChatKind, EventKind, Incoming, MessageRef, Photo, split_command
from models.enums import Channel

CHANNEL: str = Channel.DINGTALK
TOPIC_MESSAGE = "/v1.0/im/bot/messages/get"
TOPIC_CARD = "/v1.0/card/instances/callback"
# Chinese words that stand for a command, typed as the first word of a message.
WORD_COMMANDS = {"绑定": "start"}


@dataclass(frozen=True)
class Frame:
    """What a robot message carries beside the event: where to reply cheaply, and what
    a voice message was heard to say."""

    message_id: str
    session_webhook: str | None
    webhook_expires_ms: int
    voice: str | None = None  # recognised speech ("" when DingTalk heard nothing)
    voice_message: bool = False
    sent_at: float | None = None  # createAt: when the person sent it (seconds, epoch)


def command_of(text: str, commands: frozenset[str]) -> tuple[str | None, str]:
    """The command a text is, with its arguments: ``/leave 12-01``, ``leave 12-01`` and
    ``绑定 <code>`` are; ``请假`` is not. Any whitespace ends the name (a phone's keyboard
    may put a full-width space or a new line there)."""
    if text.startswith("/"):
        return split_command(text)
    parts = text.split(maxsplit=1)
    if not parts:
        return None, ""
    head, rest = parts[0], parts[1] if len(parts) > 1 else ""
    if head in WORD_COMMANDS:
        return WORD_COMMANDS[head], rest.strip()
    name = head.lower()
    if name.isascii() and name in commands:
        return name, rest.strip()
    return None, ""


def from_message(data: dict[str, Any], commands: frozenset[str]) -> tuple[Incoming, Frame] | None:
    """A robot message (topic ``/v1.0/im/bot/messages/get``); None for what is not ours
    to answer (another robot's, or a kind the core has no use for)."""
    staff = str(data.get("senderStaffId") or "")
    if not staff:
        return None  # someone outside the organisation: DingTalk gives no staff id
    group = str(data.get("conversationType")) == "2"
    chat_id = str(data.get("conversationId") or "") if group else staff
    kind = str(data.get("msgtype") or "")
    content = data.get("content") if isinstance(data.get("content"), dict) else {}
    assert isinstance(content, dict)
    text, photo, voice = "", None, None
    if kind == "text":
        text = str((data.get("text") or {}).get("content") or "")
    elif kind == "picture":
        code = str(content.get("downloadCode") or "")
        photo = Photo(code, code, None, 0, 0) if code else None
    elif kind == "audio":
        voice = str(content.get("recognition") or "").strip()
        text = voice
    elif kind == "richText":
        parts = content.get("richText") or []
        text = "".join(str(p.get("text", "")) for p in parts if isinstance(p, dict))
        pics = [p for p in parts if isinstance(p, dict) and p.get("downloadCode")]
        if pics:
            code = str(pics[0]["downloadCode"])
            photo = Photo(code, code, None, 0, 0)
    else:
        return None
    # In a group the text keeps the space the @-mention left.
    text = text.strip()
    command, args = command_of(text, commands)
    incoming = Incoming(
        channel=CHANNEL,
        kind=EventKind.MESSAGE,
        chat_id=chat_id,
        chat_kind=ChatKind.GROUP if group else ChatKind.PRIVATE,
        user_id=staff,
        text=text if command is None or text.startswith("/") else "/" + text,
        command=command,
        args=args,
        photo=photo,
        chat_title=str(data.get("conversationTitle") or ""),
    )
    frame = Frame(
        message_id=str(data.get("msgId") or ""),
        session_webhook=data.get("sessionWebhook") or None,
        webhook_expires_ms=int(data.get("sessionWebhookExpiredTime") or 0),
        voice=voice,
        voice_message=kind == "audio",
        sent_at=_seconds(data.get("createAt")),
    )
    return incoming, frame


def _seconds(millis: object) -> float | None:
    try:
        return int(str(millis)) / 1000 if millis is not None else None
    except ValueError:  # a frame from outside: no timestamp rather than a failure
        return None


def from_card(data: dict[str, Any]) -> Incoming | None:
    """A press on an interactive card (topic ``/v1.0/card/instances/callback``). The
    card's buttons carry the core's payload in their callback parameters."""
    user = str(data.get("userId") or "")
    try:
        content = json.loads(data.get("content") or "{}")
    except ValueError:
        return None
    private = content.get("cardPrivateData") if isinstance(content, dict) else None
    params = private.get("params") if isinstance(private, dict) else None
    payload = params.get("payload") if isinstance(params, dict) else None
    if not user or not isinstance(payload, str):
        return None
    space = str(data.get("spaceId") or "")
    group = str(data.get("spaceType") or "").upper() == "IM_GROUP" and bool(space)
    card = str(data.get("outTrackId") or "")
    return Incoming(
        channel=CHANNEL,
        kind=EventKind.PRESS,
        chat_id=space if group else user,
        chat_kind=ChatKind.GROUP if group else ChatKind.PRIVATE,
        user_id=user,
        payload=payload,
        origin=MessageRef(card, payloads=(payload,), from_bot=True),
    )
