"""``zhucun db``: create and migrate the database."""

from __future__ import annotations

import argparse

from bot.commands.base import Subparsers, add
from bot.context import AppContext


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
    print(f"database at {after} (was {before or 'empty'})")
    return 0


async def _current(args: argparse.Namespace, ctx: AppContext) -> int:
    from models import migrate
    from models.db import create_engine

    engine = create_engine(ctx.settings.database_url)
    try:
        rev = await migrate.current(engine)
    finally:
        await engine.dispose()
    head = migrate.head()
    state = "up to date" if rev == head else f"behind (head is {head})"
    print(f"database at {rev or 'empty'}: {state}")
    return 0


def register(sub: Subparsers) -> None:
    db = sub.add_parser("db", help="database: upgrade, current", description="Manage the database.")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = add(dbsub, "upgrade", _upgrade, "create the database or migrate it to the newest schema")
    up.add_argument("revision", nargs="?", default="head", help="target revision (default: head)")
    add(dbsub, "current", _current, "show the database's schema revision")
