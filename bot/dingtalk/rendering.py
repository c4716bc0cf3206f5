"""The core's texts (Telegram-flavoured HTML: ``<b>``, entities) as DingTalk messages.

DingTalk's robot messages are plain text or its Markdown dialect. Buttons become an
interactive card when a card template is configured, else an ActionCard whose buttons
are ``dtmd://dingtalkclient/sendMessage`` links: tapping one sends its answer into the
chat as the person's own message. Either way the text says how to answer by typing,
so a button is never the only way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

from bot.text_limits import shorten_html, visible_length
from handlers.core.views import Button, Keyboard

# DingTalk's ActionCard keys by how many vertical buttons it has (sampleActionCard..5).
ACTION_CARD_MAX = 5
TITLE_LIMIT = 30
# A robot's Markdown text may be 5,000 characters, and a send's msgParam 15,000 bytes (CJK
# is three bytes in UTF-8): the body stays within 4,000, leaving room for the line saying
# how to answer by typing, the title and the buttons.
MARKDOWN_LIMIT = 4000


class _Markdown(HTMLParser):
    def __init__(self, plain: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.plain = plain
        self.out: list[str] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.plain:
            return
        if tag in {"b", "strong"}:
            self.out.append("**")
        elif tag in {"i", "em"}:
            self.out.append("*")
        elif tag == "code":
            self.out.append("`")
        elif tag == "a":
            self._href = dict(attrs).get("href")
            self.out.append("[")

    def handle_endtag(self, tag: str) -> None:
        if self.plain:
            return
        if tag in {"b", "strong"}:
            self.out.append("**")
        elif tag in {"i", "em"}:
            self.out.append("*")
        elif tag == "code":
            self.out.append("`")
        elif tag == "a":
            self.out.append(f"]({self._href or ''})")

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def plain(html: str) -> str:
    """The text without markup: for previews, titles and voice confirmations."""
    parser = _Markdown(plain=True)
    parser.feed(html)
    parser.close()
    return unescape("".join(parser.out))


def markdown(html: str) -> str:
    """DingTalk Markdown: bold stays bold, and every line break is kept (a bare newline
    would run lines together). At most ``MARKDOWN_LIMIT`` characters, cut with "…"."""
    text = _markdown(html)
    limit = visible_length(html, len)
    while len(text) > MARKDOWN_LIMIT and limit > 1:
        # Markup and line breaks add characters: cut the source's visible text in the
        # proportion the result is over, again if need be.
        limit = min(limit - 1, limit * MARKDOWN_LIMIT // len(text))
        text = _markdown(shorten_html(html, limit, len))
    return text


def _markdown(html: str) -> str:
    parser = _Markdown(plain=False)
    parser.feed(html)
    parser.close()
    text = "".join(parser.out)
    return "  \n".join(text.split("\n"))


def title_of(html: str) -> str:
    """A message's title (DingTalk shows it in the chat list): its first line, short."""
    first = plain(html).strip().split("\n", 1)[0].strip()
    return first[:TITLE_LIMIT] or "驻村助手"


def _flat(buttons: Keyboard) -> list[Button]:
    return [b for row in buttons for b in row]


@dataclass(frozen=True)
class Choice:
    """One button as the chat knows it: what it says, what it does, what typing it is."""

    label: str
    payload: str
    typed: str  # the text that answers it (its label, or its number)


def choices(buttons: Keyboard) -> list[Choice]:
    """The buttons, each with the text that answers it: the label itself when every label
    is distinct, else its number."""
    flat = _flat(buttons)
    labels = [b.label.strip() for b in flat]
    numbered = len(set(labels)) != len(labels) or len(flat) > ACTION_CARD_MAX
    return [
        Choice(b.label, b.payload, str(n) if numbered else b.label.strip())
        for n, b in enumerate(flat, 1)
    ]


def how_to_type(options: list[Choice]) -> str:
    """The line under a message with buttons saying how to answer without them."""
    if not options:
        return ""
    if all(c.typed.isdigit() for c in options):
        listed = "  \n".join(f"{c.typed}. {c.label}" for c in options)
        return f"{listed}  \n\n回复数字即可选择。"
    said = "、".join(f"「{c.typed}」" for c in options)
    return f"也可直接回复{said}。"


def send_message_link(text: str) -> str:
    """A link that, tapped in DingTalk, sends ``text`` into the chat as the person."""
    return "dtmd://dingtalkclient/sendMessage?content=" + quote(text, safe="")


def action_card(html: str, options: list[Choice]) -> tuple[str, dict[str, str]]:
    """msgKey and msgParam of an ActionCard whose buttons send their typed answer."""
    text = markdown(html) + "\n\n" + how_to_type(options)
    shown = options[:ACTION_CARD_MAX]
    if len(shown) == 1:
        return "sampleActionCard", {
            "title": title_of(html),
            "text": text,
            "singleTitle": shown[0].label,
            "singleURL": send_message_link(shown[0].typed),
        }
    param = {"title": title_of(html), "text": text}
    for n, choice in enumerate(shown, 1):
        param[f"actionTitle{n}"] = choice.label
        param[f"actionURL{n}"] = send_message_link(choice.typed)
    return f"sampleActionCard{len(shown)}", param


def card_params(html: str, options: list[Choice]) -> dict[str, str]:
    """An interactive card's variables (every value a string, as DingTalk requires): the
    template shows ``markdown`` and a button per entry of ``buttons``, whose callback
    carries the entry's ``payload``."""
    return {
        "title": title_of(html),
        "markdown": markdown(html) + "\n\n" + how_to_type(options),
        "buttons": json.dumps(
            [{"text": c.label, "payload": c.payload} for c in options], ensure_ascii=False
        ),
    }


def markdown_message(html: str) -> tuple[str, dict[str, str]]:
    return "sampleMarkdown", {"title": title_of(html), "text": markdown(html)}


def webhook_body(msg_key: str, param: dict[str, str]) -> dict[str, Any] | None:
    """The same message for a ``sessionWebhook`` (which takes no interactive cards)."""
    if msg_key == "sampleMarkdown":
        return {"msgtype": "markdown", "markdown": {"title": param["title"], "text": param["text"]}}
    if msg_key == "sampleText":
        return {"msgtype": "text", "text": {"content": param["content"]}}
    if msg_key == "sampleActionCard":
        return {"msgtype": "actionCard", "actionCard": dict(param)}
    if msg_key.startswith("sampleActionCard"):
        buttons = []
        n = 1
        while f"actionTitle{n}" in param:
            buttons.append({"title": param[f"actionTitle{n}"], "actionURL": param[f"actionURL{n}"]})
            n += 1
        return {
            "msgtype": "actionCard",
            "actionCard": {
                "title": param["title"],
                "text": param["text"],
                "btnOrientation": "0",
                "btns": buttons,
            },
        }
    return None
