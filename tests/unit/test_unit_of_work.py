"""The unit of work rolls back unless committed, and what was read stays readable."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.db import UnitOfWork, hold_loaded_objects
from models.tables import County, Person


async def test_uncommitted_work_is_discarded(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with UnitOfWork(sessions) as uow:
        uow.session.add(County(name="赣县区"))
        await uow.session.flush()
    async with UnitOfWork(sessions) as uow:
        assert (await uow.session.exec(select(County))).all() == []


async def test_committed_work_stays_and_reads_outlive_the_block(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with UnitOfWork(sessions) as uow:
        uow.session.add(County(name="赣县区"))
        await uow.commit()
    async with UnitOfWork(sessions) as uow:
        county = (await uow.session.exec(select(County))).one()
    assert county.name == "赣县区"  # usable after the block closed the session


async def test_an_error_rolls_back(sessions: async_sessionmaker[AsyncSession]) -> None:
    now = datetime.now(UTC)
    with pytest.raises(RuntimeError):
        async with UnitOfWork(sessions) as uow:
            uow.session.add(
                Person(name="王芳", phone="13800000001", created_at=now, updated_at=now)
            )
            await uow.session.flush()
            raise RuntimeError("boom")
    async with UnitOfWork(sessions) as uow:
        assert (await uow.session.exec(select(Person))).all() == []


async def test_naive_timestamps_are_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with UnitOfWork(sessions) as uow:
        naive = datetime(2026, 11, 23, 9, 0)
        uow.session.add(
            Person(name="王芳", phone="13800000001", created_at=naive, updated_at=naive)
        )
        with pytest.raises(Exception, match="naive datetime"):
            await uow.session.flush()


async def test_timestamps_come_back_aware_utc(sessions: async_sessionmaker[AsyncSession]) -> None:
    moment = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    async with UnitOfWork(sessions) as uow:
        uow.session.add(
            Person(name="王芳", phone="13800000001", created_at=moment, updated_at=moment)
        )
        await uow.commit()
    async with UnitOfWork(sessions) as uow:
        person = (await uow.session.exec(select(Person))).one()
    assert person.created_at == moment and person.created_at.tzinfo is not None


async def test_an_updates_unit_of_work_reads_a_row_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """One chat update reads the sender's cadre row, lets it go, and the service asks for it
    again by id: held, the second ask is answered without a query."""
    async with UnitOfWork(sessions) as uow:
        uow.session.add(County(name="赣县区"))
        await uow.commit()
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    async with UnitOfWork(sessions) as uow:
        hold_loaded_objects(uow.session)
        engine = uow.session.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        try:
            county_id = (await uow.session.exec(select(County))).one().id
            gc.collect()  # nothing else refers to the row now
            assert (await uow.session.get(County, county_id)) is not None
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1
