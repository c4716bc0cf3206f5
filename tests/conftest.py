"""Fixtures shared by every test: a real database, migrated by the real migrations.

Every test that uses a database (``engine``, ``sessions``, ``session``, ``database_url``,
``empty_database_url``, or a fixture built on them such as the e2e ``harness``) runs once per
backend, and its id says which: ``test_x[sqlite]``, ``test_x[postgresql]``.

- SQLite always.
- PostgreSQL when ``ZHUCUN_TEST_POSTGRES_URL`` names a maintenance database on a server the
  tests may create databases on (``.ci/run`` sets it when the local server answers). If that
  server cannot be reached, the postgresql variants are skipped, with the reason.

Markers: ``sqlite_only`` (a test about SQLite itself: never run on PostgreSQL) and
``postgresql_only`` (a test about PostgreSQL itself, e.g. locking: skipped unless PostgreSQL
is configured).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from models import migrate
from models.db import create_engine, session_factory
from services.clock import FixedClock
from services.messaging import templates
from tests.pg.server import ENV, PostgresServer, configured_url

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: run on SQLite only, never on PostgreSQL")
    config.addinivalue_line(
        "markers", f"postgresql_only: run on PostgreSQL only (skipped unless {ENV} is set)"
    )
    # Every message any test enqueues is checked against its template's declared shape.
    templates.checking = True


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give every test that needs a database one variant per backend."""
    if "backend" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("postgresql_only"):
        backends = [POSTGRESQL]
    elif metafunc.definition.get_closest_marker("sqlite_only") or configured_url() is None:
        backends = [SQLITE]
    else:
        backends = [SQLITE, POSTGRESQL]
    metafunc.parametrize("backend", backends, indirect=True, ids=backends)


@pytest.fixture(autouse=True)
def no_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line speaks English under an English locale (bot/cli_language.py): the
    tests run as on a server with none set, whatever the developer's terminal says."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer | None]:
    """This session's PostgreSQL server (None when not configured); its databases are
    dropped when the session ends."""
    url = configured_url()
    if url is None:
        yield None
        return
    server = PostgresServer(url)
    try:
        yield server
    finally:
        server.cleanup()  # connects only if the session made a database


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql``: which database this variant of the test runs on.
    Skips the postgresql variant when the server is not configured or not reachable."""
    name: str = getattr(request, "param", SQLITE)
    if name == POSTGRESQL:
        server: PostgresServer | None = request.getfixturevalue("postgres")
        if server is None:
            pytest.skip(f"PostgreSQL only: set {ENV} to run it")
        problem = server.unreachable()
        if problem is not None:
            pytest.skip(problem)
    return name


@pytest.fixture(scope="session")
def sqlite_at_head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head once per session by the real migrations, which each
    SQLite test's database starts as a copy of: the migrations themselves are walked up and
    down by the migration tests, and running them for every test cost minutes."""
    path = tmp_path_factory.mktemp("template") / "head.db"

    async def build() -> None:
        eng = create_engine(f"sqlite+aiosqlite:///{path}")
        await migrate.upgrade(eng)
        async with eng.connect() as conn:  # one file, no -wal beside it
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        await eng.dispose()

    # In a thread of its own: the first test to ask may be running an event loop already.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, build()).result()
    return path


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database of this test's backend, for code that opens its own engines (the
    app, a second process, a second connection).

    PostgreSQL: the session's working database, at head and empty (emptied again after
    the test; see ``tests/pg/server.py``). ``engine`` is on this same database.
    SQLite: a new file under ``tmp_path``, a copy of the session's database at head
    (``sqlite_at_head``). Note that on SQLite ``engine`` is a different, in-memory database.
    """
    if backend == SQLITE:
        tmp_path: Path = request.getfixturevalue("tmp_path")
        shutil.copyfile(request.getfixturevalue("sqlite_at_head"), tmp_path / "test.db")
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    name = server.lend()
    try:
        yield server.url_for(name)
    finally:
        server.give_back(name)


@pytest.fixture
def empty_database_url(backend: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database with no tables at all (for the migration tests). SQLite: in memory, so
    each engine made from it starts empty."""
    if backend == SQLITE:
        yield "sqlite+aiosqlite:///:memory:"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    name = server.create_empty()
    try:
        yield server.url_for(name)
    finally:
        server.drop(name)


@pytest.fixture
async def engine(backend: str, request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    """A database at the newest schema.

    SQLite: in memory, one connection shared by every session (as the tests always had).
    PostgreSQL: this test's own database (``database_url``), a pool of real connections.
    """
    if backend == SQLITE:
        eng = create_engine("sqlite+aiosqlite:///:memory:")
        template = request.getfixturevalue("sqlite_at_head")
        async with eng.connect() as conn:  # the pool's one connection: fill it from the copy
            raw = await conn.get_raw_connection()
            async with aiosqlite.connect(template) as source:
                await source.backup(raw.driver_connection)
    else:
        eng = create_engine(request.getfixturevalue("database_url"))
    yield eng
    await eng.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as s:
        yield s


@pytest.fixture
def clock() -> FixedClock:
    """2026-11-23 09:00 Beijing time (a Monday)."""
    return FixedClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
