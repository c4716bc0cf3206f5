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


async def test_a_half_finished_flow_survives_the_move_to_channel_keys(
    empty_database_url: str,
) -> None:
    """Conversations kept under aiogram's FSM keys are found by the core after the upgrade
    (and put back on the way down)."""
    from sqlalchemy import text

    engine = create_engine(empty_database_url)
    await migrate.upgrade(engine, "0005")
    rows = [
        ("fsm:42:42:default", "LeaveFlow:reason", '{"kind": "sick"}'),
        ("fsm:-1001:42:default", "RecallFlow:note", "{}"),
    ]
    async with engine.begin() as conn:
        for key, state, data in rows:
            await conn.execute(
                text(
                    "INSERT INTO conversation_states (key, state, data, updated_at) "
                    "VALUES (:key, :state, :data, CURRENT_TIMESTAMP)"
                ),
                {"key": key, "state": state, "data": data},
            )

    async def keys() -> dict[str, str]:
        async with engine.connect() as conn:
            found = await conn.execute(text("SELECT key, state FROM conversation_states"))
            return {key: state for key, state in found.all()}

    await migrate.upgrade(engine, "0006")
    assert await keys() == {
        "telegram:42:42": "LeaveFlow:reason",
        "telegram:-1001:42": "RecallFlow:note",
    }
    await migrate.downgrade(engine, "0005")
    assert await keys() == {key: state for key, state, _ in rows}
    await engine.dispose()
