"""What the emulator keeps: messages the bot sent, cards, refusals; and the robot message
catalogue (msgKey -> msgParam fields) every send is checked against."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

SEND_MESSAGE_SCHEME = "dtmd://dingtalkclient/sendMessage"


class ApiError(Exception):
    """A refusal. New-API calls answer ``{code, message, requestid}`` with ``status``; old
    (oapi) calls answer HTTP 200 ``{errcode, errmsg}``. ``violation`` marks refusals of a
    badly shaped call, which the bot should never make (recorded in ``violations``)."""

    def __init__(self, status: int, code: str, message: str, *, violation: bool = False) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.violation = violation

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "requestid": request_id()}


def request_id() -> str:
    return uuid.uuid4().hex.upper()[:26]


@dataclass(frozen=True)
class Sent:
    """One message the bot sent, as the recipient would see it."""

    kind: str  # "oto" | "group" | "webhook" | "card"
    to: str  # staff id (private chats) or openConversationId (groups)
    msg_key: str  # msgKey, the webhook's msgtype, or the card's template id
    params: dict[str, Any]
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)
    out_track_id: str | None = None
    at: float = 0.0


@dataclass
class Card:
    """A card instance (card platform), by its outTrackId."""

    out_track_id: str
    template_id: str
    card_param_map: dict[str, str]
    space_type: str  # "IM_ROBOT" | "IM_GROUP"
    space_id: str  # staff id or openConversationId
    callback_type: str
    history: list[dict[str, str]] = field(default_factory=list)  # every full map, first included


def _action_card_fields(n: int) -> tuple[set[str], set[str]]:
    keys = {"title", "text"}
    for i in range(1, n + 1):
        keys |= {f"actionTitle{i}", f"actionURL{i}"}
    return keys, set()


# msgKey -> (required keys, optional keys), from the robot message-type catalogue (spec §6).
MSG_KEYS: dict[str, tuple[set[str], set[str]]] = {
    "sampleText": ({"content"}, set()),
    "sampleMarkdown": ({"title", "text"}, set()),
    "sampleImageMsg": ({"photoURL"}, set()),
    "sampleLink": ({"text", "title", "messageUrl"}, {"picUrl"}),
    "sampleActionCard": ({"title", "text", "singleTitle", "singleURL"}, set()),
    **{f"sampleActionCard{n}": _action_card_fields(n) for n in range(2, 6)},
    # Casing of buttonUrlN is uncertain (spec §6): both spellings are accepted.
    "sampleActionCard6": (
        {"title", "text", "buttonTitle1", "buttonTitle2"},
        {"buttonUrl1", "buttonUrl2", "buttonURL1", "buttonURL2"},
    ),
    "sampleAudio": ({"mediaId", "duration"}, set()),
    "sampleFile": ({"mediaId", "fileName", "fileType"}, set()),
    "sampleVideo": ({"duration", "videoMediaId", "videoType"}, {"picMediaId", "height", "width"}),
}


def check_msg_param(msg_key: str, raw: object) -> dict[str, Any]:
    """The decoded msgParam, or an ApiError (a violation) when it does not fit msgKey."""
    if msg_key not in MSG_KEYS:
        raise ApiError(400, "invalidParameter.msgKey", f"不支持的msgKey: {msg_key}", violation=True)
    if not isinstance(raw, str):
        raise ApiError(400, "invalidParameter.msgParam", "msgParam须为JSON字符串", violation=True)
    try:
        param = json.loads(raw)
    except ValueError as exc:
        raise ApiError(
            400, "invalidParameter.msgParam", "msgParam不是合法JSON", violation=True
        ) from exc
    if not isinstance(param, dict):
        raise ApiError(400, "invalidParameter.msgParam", "msgParam须为JSON对象", violation=True)
    required, optional = MSG_KEYS[msg_key]
    missing = required - param.keys()
    unknown = param.keys() - required - optional
    if msg_key == "sampleActionCard6" and not (
        {"buttonUrl1", "buttonUrl2"} <= param.keys() or {"buttonURL1", "buttonURL2"} <= param.keys()
    ):
        missing |= {"buttonUrl1", "buttonUrl2"}
    if missing or unknown:
        detail = f"missing {sorted(missing)}" if missing else f"unknown {sorted(unknown)}"
        raise ApiError(
            400, "invalidParameter.msgParam", f"msgParam与{msg_key}不符: {detail}", violation=True
        )
    bad = [k for k, v in param.items() if not isinstance(v, str)]
    if bad:
        raise ApiError(
            400, "invalidParameter.msgParam", f"msgParam值须为字符串: {bad}", violation=True
        )
    return param


_MD_LINK = re.compile(r"\[([^\]]*)\]\((dtmd://[^)\s]+)\)")


def markdown_buttons(text: str) -> list[tuple[str, str]]:
    """``[label](dtmd://...)`` links in markdown: tapping one sends a message."""
    return [(m.group(1), m.group(2)) for m in _MD_LINK.finditer(text)]


def msg_key_buttons(msg_key: str, param: dict[str, Any]) -> list[tuple[str, str]]:
    """Explicit buttons of an ActionCard msgKey, then dtmd links in its text."""
    buttons: list[tuple[str, str]] = []
    if msg_key == "sampleActionCard":
        buttons.append((param["singleTitle"], param["singleURL"]))
    elif msg_key == "sampleActionCard6":
        for i in (1, 2):
            url = param.get(f"buttonUrl{i}", param.get(f"buttonURL{i}", ""))
            buttons.append((param[f"buttonTitle{i}"], url))
    elif msg_key.startswith("sampleActionCard"):
        i = 1
        while f"actionTitle{i}" in param:
            buttons.append((param[f"actionTitle{i}"], param[f"actionURL{i}"]))
            i += 1
    text = param.get("text") or param.get("content") or ""
    return buttons + markdown_buttons(str(text))


def message_text(param: dict[str, Any]) -> str:
    """The human-readable text of a message or card."""
    for key in ("content", "text", "markdown", "msgContent", "title"):
        value = param.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def sent_message_content(url: str) -> str:
    """The text a tap on a ``dtmd://dingtalkclient/sendMessage?content=`` button sends."""
    if not url.startswith(SEND_MESSAGE_SCHEME):
        raise ValueError(f"not a send-message link: {url}")
    values = parse_qs(urlsplit(url).query).get("content")
    if not values:
        raise ValueError(f"send-message link without content: {url}")
    return values[0]
