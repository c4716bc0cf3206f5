"""The alembic stairway: every revision upgrades and downgrades cleanly, one step at a time,
and the newest schema is exactly what the models declare. Both on every backend the suite
runs on (``empty_database_url``: SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from models import migrate
from models.db import create_engine


async def test_stairway_up_and_down_every_revision(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    revisions = migrate.revisions()
    assert revisions, "no migrations found"
    previous: list[str] = ["base"]
    for rev in revisions:
        await migrate.upgrade(engine, rev)
        assert await migrate.current(engine) == rev
        await migrate.downgrade(engine, previous[-1] if previous[-1] != "base" else "base")
        await migrate.upgrade(engine, rev)
        previous.append(rev)
    await migrate.downgrade(engine, "base")
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    assert set(tables) <= {"alembic_version"}
    await engine.dispose()


async def test_models_match_migrations(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    await migrate.upgrade(engine)

    def diff(conn: Connection) -> list[Any]:
        # Types too: a String(40) model over a VARCHAR(20) column fails only on PostgreSQL.
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, SQLModel.metadata)

    async with engine.connect() as conn:
        changes = await conn.run_sync(diff)
    await engine.dispose()
    assert changes == [], f"models and migrations differ; write a migration: {changes}"
