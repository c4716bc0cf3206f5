"""``zhucun db``: create and migrate the database."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli_language import t
from bot.commands.base import CliError, Subparsers, add
from bot.context import AppContext
from locales import N_


async def _upgrade(args: argparse.Namespace, ctx: AppContext) -> int:
    from models import migrate
    from models.db import create_engine

    engine = create_engine(ctx.settings.database_url)
    try:
        before = await migrate.current(engine)
        await migrate.upgrade(engine, args.revision)
        after = await migrate.current(engine)
    finally:
        await engine.dispose()
    print(t("database at {after} (was {before})", after=after, before=before or t("empty")))
    return 0


def _missing_file(url: str) -> Path | None:
    """The SQLite file the URL names, when it does not exist: opening it would create it."""
    from bot import backup

    try:
        database = backup.sqlite_file(url)
    except backup.BackupError:
        return None  # in memory, or unparsable: the engine says so
    return database if database is not None and not database.exists() else None


async def _current(args: argparse.Namespace, ctx: AppContext) -> int:
    from models import migrate
    from models.db import create_engine

    missing = _missing_file(ctx.settings.database_url)
    if missing is not None:
        raise CliError(
            t(
                "there is no database yet at {path}: `zhucun db upgrade` creates it "
                "(so does `zhucun run`)",
                path=missing,
            ),
            1,
        )
    engine = create_engine(ctx.settings.database_url)
    try:
        rev = await migrate.current(engine)
    finally:
        await engine.dispose()
    head = migrate.head()
    state = t("up to date") if rev == head else t("behind (head is {head})", head=head)
    print(t("database at {revision}: {state}", revision=rev or t("empty"), state=state))
    return 0


def register(sub: Subparsers) -> None:
    db = sub.add_parser(
        "db", help=t("database: upgrade, current"), description=t("Manage the database.")
    )
    dbsub = db.add_subparsers(dest="db_command", metavar=t("ACTION"), required=True)
    up = add(
        dbsub, "upgrade", _upgrade, N_("create the database or migrate it to the newest schema")
    )
    up.add_argument(
        "revision", nargs="?", default="head", help=t("target revision (default: head)")
    )
    add(dbsub, "current", _current, N_("show the database's schema revision"))
