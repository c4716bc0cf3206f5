"""Shared pieces for subcommands."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from bot.cli_language import t
from bot.context import AppContext

Handler = Callable[[argparse.Namespace, AppContext], Awaitable[int | None]]
# argparse keeps the subparsers action's class private; this is its public face.
Subparsers = Any


class CliError(Exception):
    """A problem the person at the terminal can fix; printed as one line."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add(sub: Subparsers, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
    """A subcommand; ``help_text`` is a msgid (``N_``), shown in the command line's language."""
    words = t(help_text)
    parser: argparse.ArgumentParser = sub.add_parser(name, help=words, description=words)
    parser.set_defaults(handler=handler)
    return parser
