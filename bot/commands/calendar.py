"""Placeholder: being written."""

from __future__ import annotations

from bot.commands.base import Subparsers


def register(sub: Subparsers) -> None:
    return None
