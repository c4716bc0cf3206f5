"""What a command or the runtime needs, built once from the settings (the composition root)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.config import Settings
from services.clock import Clock, SystemClock

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
    from sqlmodel.ext.asyncio.session import AsyncSession

    from models.db import UnitOfWork


@dataclass
class AppContext:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    _engine: AsyncEngine | None = None
    _sessions: async_sessionmaker[AsyncSession] | None = None

    async def engine(self) -> AsyncEngine:
        """The database engine; the database is created and migrated on first use."""
        if self._engine is None:
            # Imported on first use: commands that never open the database (help, policy)
            # should not wait for SQLAlchemy and alembic to load.
            from models import migrate
            from models.db import create_engine

            engine = create_engine(self.settings.database_url)
            await migrate.ensure_migrated(engine)
            self._engine = engine
        return self._engine

    async def sessions(self) -> async_sessionmaker[AsyncSession]:
        if self._sessions is None:
            from models.db import session_factory

            self._sessions = session_factory(await self.engine())
        return self._sessions

    async def uow(self) -> UnitOfWork:
        from models.db import UnitOfWork

        return UnitOfWork(await self.sessions())

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
            self._sessions = None
