"""Showing the DingTalk demo chat: every message the emulator recorded, in the order it
arrived, headed ``【钉钉】王芳 ← 驻村助手``; Markdown as plain text, an ActionCard's buttons
numbered (``[1 提交] [2 取消]``), a file as ``📎 name`` (saved under the output folder). The
same plain notice to many people is shown once, with the others named."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.demo.console import Console
from bot.demo.dingtalk import DingTalkWorld
from sandbox.dingtalk import Sent

_BOLD = re.compile(r"\*\*")
_LINK = re.compile(r"\[([^\]]*)\]\((dtmd://[^)\s]+)\)")  # a tappable link: its label


@dataclass
class DingTalkBlock:
    chat: str
    group: bool
    lines: list[str]
    buttons: str
    signature: str | None  # equal signatures are folded into one block
    others: list[str] = field(default_factory=list)


def button_line(buttons: list[tuple[str, str]]) -> str:
    return " ".join(f"[{n} {label}]" for n, (label, _) in enumerate(buttons, 1))


def plain_markdown(text: str) -> list[str]:
    text = _LINK.sub(r"\1", _BOLD.sub("", text))
    return [line.rstrip() for line in text.splitlines()]


class DingTalkTranscript(Console):
    """Reads ``box.sent`` from where it last stopped and prints it."""

    def __init__(
        self,
        world: DingTalkWorld,
        out: Path,
        *,
        stream: TextIO | None = None,
        rich: bool | None = None,
    ) -> None:
        super().__init__(out, stream=stream, rich=rich)
        self.world = world
        self._cursor = 0

    def skip_to_now(self) -> None:
        self._cursor = len(self.world.box.sent)

    def flush(self, outbox_rows: Mapping[tuple[int, int], int] | None = None) -> None:
        sent = self.world.box.sent
        blocks: list[DingTalkBlock] = []
        folded: dict[str, DingTalkBlock] = {}
        while self._cursor < len(sent):
            block = self._block(sent[self._cursor])
            self._cursor += 1
            if block.signature is not None:
                if block.signature in folded:
                    folded[block.signature].others.append(block.chat)
                    continue
                folded[block.signature] = block
            blocks.append(block)
        for block in blocks:
            self._render(block)

    def _block(self, s: Sent) -> DingTalkBlock:
        group = s.to in self.world.group_ids.values()
        if s.msg_key == "sampleFile":
            name = str(s.params.get("fileName") or "file")
            stored = self.world.box.media.get(str(s.params.get("mediaId")))
            line = f"📎 {name}"
            if stored is not None:
                line += f" → 已保存 saved to {self._save(name, stored[1])}"
            lines = [line]
        else:
            lines = plain_markdown(s.text) or [""]
        plain = not (group or s.buttons or s.msg_key == "sampleFile")
        return DingTalkBlock(
            chat=self.world.chat_name(s.to),
            group=group,
            lines=lines,
            buttons=button_line(s.buttons),
            signature="\n".join(lines) if plain else None,
        )

    def _render(self, b: DingTalkBlock) -> None:
        head = f"【钉钉】{b.chat} ← 驻村助手 · {self.world.local_now():%m-%d %H:%M}"
        lines = list(b.lines)
        if b.others:
            names = "、".join(b.others)
            lines.append(f"（同样的消息也发给了 {len(b.others)} 人 also sent to: {names}）")
        if self._console is None:
            self._print(f"\n┌─ {head}")
            for line in lines:
                self._print(f"│ {line}")
            if b.buttons:
                self._print(f"│ {b.buttons}")
            self._print("└─")
            return
        from rich.panel import Panel
        from rich.text import Text

        body = Text("\n".join(lines))
        if b.buttons:
            body.append("\n\n" + b.buttons, style="bold cyan")
        border = "magenta" if b.group else "bright_blue"
        self._console.print(Panel(body, title=head, title_align="left", border_style=border))
