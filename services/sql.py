"""SQL that SQLite and PostgreSQL spell differently."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession


def dialect_insert(session: AsyncSession, table: Any) -> PostgresInsert | SqliteInsert:
    """``insert(table)`` of the database the session talks to, for the ON CONFLICT clauses
    the generic INSERT lacks (``on_conflict_do_nothing``, ``on_conflict_do_update``).

    The dialect comes from ``session.get_bind()``, the engine the session really uses:
    ``session.bind`` is None for a session bound per table, and guessing "sqlite" there
    would build the wrong INSERT on PostgreSQL.
    """
    if session.get_bind().dialect.name == "postgresql":
        return postgres_insert(table)
    return sqlite_insert(table)
