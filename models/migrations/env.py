"""Alembic environment. Runs on a connection handed over by ``models.migrate``,
or, from the alembic command line, on ``ZHUCUN_DATABASE_URL``."""

from __future__ import annotations

import asyncio
import os
from typing import Any, Literal

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import models.registry  # noqa: F401
from models.enum_type import StrEnumType
from models.types import UTCDateTime

config = context.config
target_metadata = SQLModel.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Write our column types as the plain types they store, so a migration never
    depends on today's Python enums."""
    if type_ == "type" and isinstance(obj, StrEnumType):
        return f"sa.String(length={getattr(obj.impl, 'length', 40)})"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_from_url(url: str) -> None:
    from models.db import create_engine
    from models.migrate import in_migration_transaction

    async def go() -> None:
        engine = create_engine(url)
        await in_migration_transaction(engine, _run)
        await engine.dispose()

    asyncio.run(go())


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    _run_from_url(
        config.get_main_option("sqlalchemy.url")
        or os.environ.get("ZHUCUN_DATABASE_URL", "sqlite+aiosqlite:///data/zhucun.db")
    )
