"""Bring a database to the newest schema (or any revision) from inside the program."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def head() -> str:
    head_rev = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head_rev is not None
    return head_rev


async def in_migration_transaction(engine: AsyncEngine, run: Callable[[Connection], None]) -> None:
    """Run ``run`` (alembic's work) in one transaction.

    On SQLite, foreign keys are off meanwhile, as SQLite's own procedure for altering a
    table prescribes: a batch migration copies a table and drops the old one, and with
    foreign keys on that drop fails for any table other rows refer to (people, cadres ...).
    Before the commit every reference is checked, so a migration cannot leave one dangling.
    The pragma only takes effect outside a transaction, hence before ``begin``.
    """
    async with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await conn.commit()
        try:
            async with conn.begin():
                await conn.run_sync(run)
                if sqlite:
                    dangling = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                    if dangling:
                        raise RuntimeError(
                            f"the migration left {len(dangling)} references dangling, "
                            f"e.g. (table, rowid, parent, key) {tuple(dangling[0])}"
                        )
        finally:
            if sqlite:
                await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                await conn.commit()


async def _with_connection(engine: AsyncEngine, fn: str, target: str) -> None:
    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        getattr(command, fn)(cfg, target)

    await in_migration_transaction(engine, run)


async def upgrade(engine: AsyncEngine, target: str = "head") -> None:
    await _with_connection(engine, "upgrade", target)


async def downgrade(engine: AsyncEngine, target: str) -> None:
    await _with_connection(engine, "downgrade", target)


async def current(engine: AsyncEngine) -> str | None:
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(read)


async def ensure_migrated(engine: AsyncEngine) -> bool:
    """Upgrade to head if the database is behind. Returns True when it migrated."""
    if await current(engine) == head():
        return False
    await upgrade(engine)
    return True
