"""Subcommands of ``zhucun``; each module has ``register(subparsers)``.

Building the parser imports every module here, so their top level imports only what the
arguments need: aiogram, SQLAlchemy, openpyxl and the services built on them are imported
inside the function that runs the command. Otherwise ``zhucun --help`` waits a second for
libraries it never uses (tests/unit/test_cli_imports.py holds the line).
"""

from __future__ import annotations

from types import ModuleType

from bot.commands import (
    audit,
    backup,
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
    backup,
    roster,
    invite,
    report,
    audit,
    policy,
    calendar,
    outbox,
    tick,
]
