"""PostgreSQL databases for the test suite.

``ZHUCUN_TEST_POSTGRES_URL`` names a maintenance database on a server the tests may create
databases on (CI: ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``).

How a test gets a database, and why so:

- Once per test session, a *working database* is created and migrated to head by the real
  migrations. Every test that needs a database at head gets it, and after the test it is
  emptied: the sessions the test left are ended, every row is deleted (children first),
  every sequence is restarted. The next test therefore sees exactly what a fresh copy would
  show: the newest schema, no rows, ids from 1. If a test left the schema anything but head
  (it migrated or altered it), the database is dropped instead and the next test gets a new
  one.
- Emptying costs about 20 ms. A fresh copy per test (``CREATE DATABASE ... TEMPLATE``) was the
  first design and was measured at 0.4-0.6 s a test on the CI machine (PostgreSQL fsyncs
  the whole copied catalog), which would have doubled the suite; so only tests that need a
  database with no tables at all (the migration stairway) get a new one.
- Every name carries this process's id and a random suffix, so two test runs against one
  server never touch each other's databases, and the session drops what it made.

The API is synchronous: it is called from plain (sync) fixtures, and each call runs its
coroutine on a loop of its own in a worker thread, so no connection outlives the loop it
was made on and no test's event loop is involved.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from models import migrate
from models.db import create_engine

ENV = "ZHUCUN_TEST_POSTGRES_URL"
CONNECT_TIMEOUT = 5  # seconds: an unreachable server is skipped, not waited on

T = TypeVar("T")


def configured_url() -> str | None:
    """The maintenance database URL from the environment, or None (SQLite only)."""
    return os.environ.get(ENV, "").strip() or None


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on a fresh event loop in a worker thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PostgresServer:
    """This test session's databases on one PostgreSQL server."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql":
            raise ValueError(f"{ENV} must be a postgresql:// URL, not {parsed.drivername}")
        self._url = parsed.set(drivername="postgresql+asyncpg")
        self.shown = self._url.render_as_string(hide_password=True)
        self.prefix = f"zt_{os.getpid()}_{secrets.token_hex(3)}"
        self._checked = False
        self._problem: str | None = None
        self._version = 0
        self._working: str | None = None
        self._made: set[str] = set()

    # -- reachability -------------------------------------------------------------------

    def unreachable(self) -> str | None:
        """Why the server cannot be used (a skip reason), or None. Checked once."""
        if not self._checked:
            self._checked = True
            try:
                self._version = run_sync(self._server_version())
            except Exception as exc:  # refused, timed out, auth failed: all mean skip
                self._problem = (
                    f"PostgreSQL at {self.shown} ({ENV}) is not reachable: "
                    f"{type(exc).__name__}: {exc}"
                )
        return self._problem

    async def _server_version(self) -> int:
        conn = await self._connect(None)
        try:
            return int(await conn.fetchval("SHOW server_version_num"))
        finally:
            await conn.close()

    # -- databases ----------------------------------------------------------------------

    def url_for(self, name: str) -> str:
        """A SQLAlchemy URL (postgresql+asyncpg) for one of the server's databases."""
        return self._url.set(database=name).render_as_string(hide_password=False)

    def lend(self) -> str:
        """The name of the working database: at head, no rows. Give it back with
        ``give_back`` after the test."""
        if self._working is None:
            name = self.create_empty()
            run_sync(self._migrate(self.url_for(name)))
            self._working = name
        return self._working

    def give_back(self, name: str) -> None:
        """Empty the working database for the next test, or drop it if the test changed
        its schema (or emptying it failed)."""
        try:
            kept = run_sync(self._empty(name))
        except Exception:
            kept = False
        if not kept:
            self._working = None
            self.drop(name)

    def create_empty(self) -> str:
        """A new database with no tables. Returns its name; ``drop`` it after use."""
        name = f"{self.prefix}_{secrets.token_hex(4)}"
        run_sync(self._admin(f"CREATE DATABASE {_quote(name)}"))
        self._made.add(name)
        return name

    def drop(self, name: str) -> None:
        run_sync(self._drop(name))
        self._made.discard(name)

    def cleanup(self) -> None:
        """Drop every database this session made."""
        for name in sorted(self._made):
            self.drop(name)
        self._working = None

    # -- the work -----------------------------------------------------------------------

    async def _connect(self, database: str | None) -> asyncpg.Connection:
        url = self._url.set(drivername="postgresql")  # asyncpg's DSN has no "+driver"
        if database is not None:
            url = url.set(database=database)
        dsn = url.render_as_string(hide_password=False)
        return await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)

    async def _admin(self, sql: str) -> None:
        conn = await self._connect(None)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    @staticmethod
    async def _migrate(url: str) -> None:
        engine = create_engine(url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    async def _empty(self, name: str) -> bool:
        """Delete every row and restart every sequence. False when the schema is no longer
        the head the models declare (the caller then drops the database)."""
        conn = await self._connect(name)
        try:
            # Whatever the test left open (an engine not disposed, a child process) goes
            # first, so no lock it held can block the deletes.
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            tables = {
                r["tablename"]
                for r in await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            }
            ordered = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
            if tables != {*ordered, "alembic_version"}:
                return False
            version = await conn.fetchval("SELECT version_num FROM alembic_version")
            if version != migrate.head():
                return False
            sequences = [
                r["name"]
                for r in await conn.fetch(
                    "SELECT format('%I.%I', schemaname, sequencename) AS name"
                    " FROM pg_sequences WHERE schemaname = 'public'"
                )
            ]
            async with conn.transaction():
                for table in ordered:  # children before parents: no foreign key objects
                    await conn.execute(f"DELETE FROM {_quote(table)}")
                for sequence in sequences:
                    await conn.execute("SELECT setval($1::regclass, 1, false)", sequence)
            return True
        finally:
            await conn.close()

    async def _drop(self, name: str) -> None:
        conn = await self._connect(None)
        try:
            if self._version >= 130000:
                await conn.execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")
            else:  # before 13: end the sessions still connected, then drop
                await conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = $1 AND pid <> pg_backend_pid()",
                    name,
                )
                await conn.execute(f"DROP DATABASE IF EXISTS {_quote(name)}")
        finally:
            await conn.close()
