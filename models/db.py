"""Engine, sessions, the unit of work, and migrating the database on first use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import StaticPool
from sqlmodel.ext.asyncio.session import AsyncSession

import models.registry  # noqa: F401  (registers every table on the metadata)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url``; SQLite gets foreign keys and a busy timeout.

    An in-memory SQLite database lives as long as its one connection, so it is held
    in a StaticPool; a file's parent folder is created on the way.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            kwargs.setdefault("poolclass", StaticPool)
        else:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
    # Errors must not carry row values (names, phones) into logs.
    kwargs.setdefault("hide_parameters", True)
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if database not in ("", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


class UnitOfWork:
    """One transaction: rolled back unless ``commit()`` was called (cosmicpython, ch. 6)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self.session: AsyncSession

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            # Detach first, so what was read stays readable after the block (a report
            # built from rows read inside it), while anything uncommitted is discarded.
            self.session.expunge_all()
            await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


_HELD = "held_objects"


def hold_loaded_objects(session: AsyncSession) -> None:
    """For a short transaction that reads a few rows several times (one chat update: the
    sender's identity, then the service looking up the same cadre and household again):
    keep everything loaded in it referenced until the transaction ends. SQLAlchemy's
    identity map holds objects weakly, so a ``session.get()`` of a row read a moment ago and
    let go queried the database again. Not for sweeps, which read thousands of rows once."""
    session.info[_HELD] = []


@event.listens_for(Session, "loaded_as_persistent")
@event.listens_for(Session, "pending_to_persistent")
def _hold(session: Session, instance: object) -> None:
    held = session.info.get(_HELD)
    if held is not None:
        held.append(instance)


@event.listens_for(Session, "after_transaction_end")
def _let_go(session: Session, transaction: SessionTransaction) -> None:
    held = session.info.get(_HELD)
    if held and transaction.parent is None:
        held.clear()


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[UnitOfWork]:
    async with UnitOfWork(sessions) as uow:
        yield uow
