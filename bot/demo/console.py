"""The demo console's own lines (notes, errors, what a person typed) and the base of every
channel's transcript: colour (rich) on a terminal; plain text when the output is not a
terminal, or ``NO_COLOR`` is set, or ``TERM=dumb``. Files the bot sends are saved under the
output folder."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO


def wants_rich(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return stream.isatty()


class Console:
    """Prints the console's lines; a channel's transcript adds ``flush`` (what the bot sent
    since the last look) and ``skip_to_now``."""

    def __init__(self, out: Path, *, stream: TextIO | None = None, rich: bool | None = None):
        self.out = out
        self.stream = stream or sys.stdout
        self.rich = wants_rich(self.stream) if rich is None else rich
        self._console: Any = None
        if self.rich:
            from rich.console import Console as RichConsole

            self._console = RichConsole(file=self.stream, highlight=False)
        self.saved: list[Path] = []
        self._names: dict[str, bytes] = {}  # saved file name -> content

    def skip_to_now(self) -> None:
        """Forget what the bot sent so far (start-up: registrations, menus)."""
        raise NotImplementedError

    def flush(self, outbox_rows: Mapping[tuple[int, int], int] | None = None) -> None:
        """Print what the bot sent since the last flush."""
        raise NotImplementedError

    def _emit(self, markup: str, plain: str) -> None:
        if self._console is not None:
            self._console.print(markup)
        else:
            self._print(plain)

    def note(self, text: str) -> None:
        """A line of the console itself (not the bot)."""
        self._emit(f"[dim]{escape(text)}[/dim]", f"· {text}")

    def error(self, text: str) -> None:
        self._emit(f"[bold red]✗ {escape(text)}[/bold red]", f"✗ {text}")

    def said(self, who: str, text: str) -> None:
        """Echo what a person sent, as the line they typed."""
        markup = f"\n[bold green]{escape(who)}[/bold green] [dim]›[/dim] {escape(text)}"
        self._emit(markup, f"\n{who} › {text}")

    def heading(self, text: str) -> None:
        self._emit(f"\n[bold reverse] {escape(text)} [/bold reverse]", f"\n=== {text} ===")

    def _line(self, text: str) -> None:
        self._emit(f"  [italic yellow]{escape(text)}[/italic yellow]", f"  {text}")

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def _save(self, name: str, content: bytes) -> Path:
        """Under the output folder; a different file of the same name gets ``-2``, ``-3``."""
        self.out.mkdir(parents=True, exist_ok=True)
        stem, dot, ext = name.rpartition(".")
        stem, ext = (stem, f".{ext}") if dot else (name, "")
        candidate, n = name, 1
        while candidate in self._names and self._names[candidate] != content:
            n += 1
            candidate = f"{stem}-{n}{ext}"
        self._names[candidate] = content
        path = self.out / candidate
        path.write_bytes(content)
        if path not in self.saved:
            self.saved.append(path)
        return path


def escape(text: str) -> str:
    """What the bot or a person wrote is not rich markup."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)
