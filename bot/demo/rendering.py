"""Showing the demo chat in a terminal: what the bot sent, as a phone would show it.

Every Bot API call the bot made is read back from the emulator in the order it was made:
messages (and edits of them) become panels titled with the chat, inline buttons become
numbered choices, a callback's answer a one-line toast, a document is saved under the
output folder and its path printed. Colour and panels (rich) on a terminal; plain text when
the output is not a terminal, or ``NO_COLOR`` is set, or ``TERM=dumb``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.demo.console import Console
from sandbox.telegram.emulator import BotApiSandbox
from sandbox.telegram.records import RecordedCall

_SENDS = {"sendMessage", "sendDocument", "sendPhoto", "sendLocation", "copyMessage"}
_EDITS = {"editMessageText", "editMessageCaption"}
_STYLES = {
    "bold": "bold",
    "italic": "italic",
    "underline": "underline",
    "strikethrough": "strike",
    "code": "bold cyan",
    "pre": "cyan",
    "text_link": "underline blue",
    "blockquote": "italic",
    "spoiler": "reverse",
}


def _spans(text: str, entities: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
    """Entities (UTF-16 offsets) as (start, end, type) in Python string indices."""
    index = [0]  # UTF-16 unit count before each character
    for char in text:
        index.append(index[-1] + (2 if ord(char) > 0xFFFF else 1))
    at = {units: i for i, units in enumerate(index)}
    out = []
    for e in entities:
        start, end = e.get("offset", 0), e.get("offset", 0) + e.get("length", 0)
        if start in at and end in at:
            out.append((at[start], at[end], str(e.get("type"))))
    return out


@dataclass
class Block:
    """One message as shown: a panel."""

    chat: str
    when: str
    edited: bool
    group: bool
    text: str
    entities: list[dict[str, Any]]
    extra: list[str]
    buttons: str
    signature: tuple[bool, str] | None  # equal signatures are folded into one panel
    others: list[str] = field(default_factory=list)  # the same message went there too


class Transcript(Console):
    """Reads the emulator's calls from where it last stopped and prints them."""

    def __init__(
        self,
        sandbox: BotApiSandbox,
        out: Path,
        zone: ZoneInfo,
        chat_name: Callable[[int], str],
        *,
        stream: TextIO | None = None,
        rich: bool | None = None,
    ) -> None:
        super().__init__(out, stream=stream, rich=rich)
        self.sandbox = sandbox
        self.zone = zone
        self.chat_name = chat_name
        self._cursor = 0

    # ---------------------------------------------------------------- the bot

    def skip_to_now(self) -> None:
        self._cursor = len(self.sandbox.calls)

    def flush(self, outbox_rows: Mapping[tuple[int, int], int] | None = None) -> None:
        """Print every call made since the last flush. Replies made while handling the
        update come first, in call order; then what the relay sent, in outbox order
        (``outbox_rows``: (chat, message id) → row id), which is the same every run
        whatever the relay's concurrency. The same notice to many people is printed once,
        with the others named."""
        calls = self.sandbox.calls
        entries: list[tuple[tuple[int, int], Block | str]] = []
        while self._cursor < len(calls):
            call = calls[self._cursor]
            if call.method != "getUpdates" and not call.done:
                break  # keep the order: wait for this one
            self._cursor += 1
            shown = self._block(call)
            if shown is None:
                continue
            msg = call.result if call.method in _SENDS else None
            sent = (msg["chat"]["id"], msg["message_id"]) if isinstance(msg, dict) else None
            row = (outbox_rows or {}).get(sent) if sent else None
            entries.append(((0, self._cursor) if row is None else (1, row), shown))
        blocks: list[Block | str] = []
        folded: dict[tuple[bool, str], Block] = {}
        for _, shown in sorted(entries, key=lambda entry: entry[0]):
            if isinstance(shown, Block) and shown.signature is not None:
                if shown.signature in folded:
                    folded[shown.signature].others.append(shown.chat)
                    continue
                folded[shown.signature] = shown
            blocks.append(shown)
        for block in blocks:
            if isinstance(block, Block):
                self._render(block)
            else:
                self._line(block)

    def _block(self, call: RecordedCall) -> Block | str | None:
        """What one call shows: a message (a Block), a line, or nothing."""
        if call.method == "getUpdates" or not call.done:
            return None
        p = call.params
        if not call.ok:
            reason = (call.response or {}).get("description", "?")
            return f"✗ Bot API {call.method} refused: {reason}"
        if call.method in _SENDS or (call.method in _EDITS and isinstance(call.result, dict)):
            return self._message(call.result, call.method in _EDITS, p.get("reply_markup"))
        if call.method == "editMessageReplyMarkup":
            rows = (p.get("reply_markup") or {}).get("inline_keyboard") or []
            change = "按钮已更新 buttons updated" if rows else "按钮已收起 buttons removed"
            return f"({self._title(p.get('chat_id'))}: {change})"
        if call.method == "answerCallbackQuery" and p.get("text"):
            kind = "提示框 alert" if p.get("show_alert") else "提示 toast"
            return f"💬 {kind}: {p['text']}"
        if call.method in ("deleteMessage", "deleteMessages"):
            return f"({self._title(p.get('chat_id'))}: 一条消息已删除 a message was deleted)"
        return None

    def _title(self, chat_id: Any) -> str:
        try:
            return self.chat_name(int(chat_id))
        except (TypeError, ValueError):
            return str(chat_id)

    def _message(self, msg: dict[str, Any], edited: bool, markup: Any) -> Block:
        when = datetime.fromtimestamp(int(msg.get("date", 0)), UTC).astimezone(self.zone)
        text = str(msg.get("text", msg.get("caption", "")))
        entities = list(msg.get("entities", msg.get("caption_entities", [])))
        extra = self._attachments(msg)
        rows = (msg.get("reply_markup") or {}).get("inline_keyboard") or []
        if isinstance(markup, dict) and markup.get("keyboard"):
            keys = [b.get("text", "") for row in markup["keyboard"] for b in row]
            extra.append("⌨ " + "  ".join(f"[{k}]" for k in keys) + "  (/loc lat,lon)")
        chat_id = int(msg["chat"]["id"])
        group = chat_id < 0
        alike = not (group or extra or rows)  # only plain notices are worth folding
        return Block(
            chat=self._title(chat_id),
            when=f"{when:%m-%d %H:%M}",
            edited=edited,
            group=group,
            text=text,
            entities=entities,
            extra=extra,
            buttons=_button_line(rows),
            signature=(edited, text) if alike else None,
        )

    def _render(self, b: Block) -> None:
        head = f"驻村助手 → {b.chat} · {b.when}"
        if b.edited:
            head += " · 已更新 edited"
        extra = list(b.extra)
        if b.others:
            names = "、".join(o.split("（")[0] for o in b.others)
            extra.append(f"（同样的消息也发给了 {len(b.others)} 人 also sent to: {names}）")
        if self._console is None:
            self._print(f"\n┌─ {head}")
            for line in [*(b.text.splitlines() or [""]), *extra]:
                self._print(f"│ {line}")
            if b.buttons:
                self._print(f"│ {b.buttons}")
            self._print("└─")
            return
        from rich.panel import Panel
        from rich.text import Text

        body = Text(b.text)
        for start, end, kind in _spans(b.text, b.entities):
            if kind in _STYLES:
                body.stylize(_STYLES[kind], start, end)
        for line in extra:
            body.append("\n" + line, style="yellow")
        if b.buttons:
            body.append("\n\n" + b.buttons, style="bold cyan")
        border = "grey50" if b.edited else ("magenta" if b.group else "blue")
        self._console.print(Panel(body, title=head, title_align="left", border_style=border))

    def _attachments(self, msg: dict[str, Any]) -> list[str]:
        out = []
        doc = msg.get("document")
        if isinstance(doc, dict):
            stored = self.sandbox.files.get(str(doc.get("file_id")))
            name = str(doc.get("file_name") or "document")
            if stored is not None and stored.content is not None:
                path = self._save(name, stored.content)
                out.append(f"📎 {name} → 已保存 saved to {path}")
            else:
                out.append(f"📎 {name}")
        if msg.get("photo"):
            out.append("🖼（照片 photo）")
        location = msg.get("location")
        if isinstance(location, dict):
            out.append(f"📍 {location.get('latitude')}, {location.get('longitude')}")
        return out


def _button_line(rows: list[list[dict[str, Any]]]) -> str:
    flat = [b for row in rows for b in row]
    parts = []
    for number, button in enumerate(flat, start=1):
        label = str(button.get("text", ""))
        if "url" in button:
            label += f" ({button['url']})"
        parts.append(f"[{number}] {label}")
    return "   ".join(parts)
