"""Subcommands of ``zhucun``; each module has ``register(subparsers)``."""

from __future__ import annotations

from types import ModuleType

from bot.commands import calendar, db, invite, policy, roster, run

COMMANDS: list[ModuleType] = [run, db, roster, invite, policy, calendar]
