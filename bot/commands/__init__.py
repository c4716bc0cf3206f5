"""Subcommands of ``zhucun``; each module has ``register(subparsers)``."""

from __future__ import annotations

from types import ModuleType

from bot.commands import (
    audit,
    calendar,
    db,
    demo,
    doctor,
    invite,
    outbox,
    policy,
    report,
    roster,
    run,
    tick,
)

COMMANDS: list[ModuleType] = [
    run,
    demo,
    doctor,
    db,
    roster,
    invite,
    report,
    audit,
    policy,
    calendar,
    outbox,
    tick,
]
