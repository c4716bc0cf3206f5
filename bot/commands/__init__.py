"""Subcommands of ``zhucun``; each module has ``register(subparsers)``."""

from __future__ import annotations

from types import ModuleType

from bot.commands import audit, calendar, db, invite, outbox, policy, report, roster, run

COMMANDS: list[ModuleType] = [run, db, roster, invite, report, audit, policy, calendar, outbox]
