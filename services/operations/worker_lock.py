"""Only one worker ticks: a PostgreSQL advisory lock held for the life of one connection.

Several processes may run (a rolling restart, a second replica started by mistake); the one
holding the lock runs the scheduler's ticks, the others stand by and try again now and
then. The sweeps are safe to run twice (dedup keys), so the lock saves work and noise, not
correctness.

The lock belongs to the database session, not to a transaction: take it on a connection
kept open for as long as the worker ticks, and ``release`` it (or really close that
connection) to hand over. Never give the connection back to a pool while it holds the lock:
the pool keeps the server session open, so the lock would stay taken by nobody in
particular. A ``NullPool`` engine, or ``release`` before closing, avoids that.

SQLite has no such lock and needs none: a SQLite deployment runs one worker by rule (one
process writes the file), so there the answer is always yes.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# One 64-bit key for the whole application (the bytes of "zhucun-w" as a signed integer).
# Advisory locks are per database, so deployments on different databases never collide.
WORKER_LOCK_KEY = int.from_bytes(b"zhucun-w", "big", signed=True)
_HI, _LO = (WORKER_LOCK_KEY >> 32) & 0xFFFFFFFF, WORKER_LOCK_KEY & 0xFFFFFFFF

# PostgreSQL counts a session's holds of an advisory lock and needs as many unlocks, so a
# connection that already holds the lock answers yes without taking it a second time: one
# ``release`` then always frees it. (A bigint key shows in pg_locks split in two halves.)
_TRY = text(
    """
    SELECT CASE
        WHEN EXISTS (
            SELECT 1 FROM pg_locks
            WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
              AND classid = CAST(:hi AS oid) AND objid = CAST(:lo AS oid) AND objsubid = 1
        ) THEN true
        ELSE pg_try_advisory_lock(:key)
    END
    """
)


def _postgresql(connection: AsyncConnection) -> bool:
    return connection.dialect.name == "postgresql"


async def try_worker_lock(connection: AsyncConnection) -> bool:
    """Take the worker lock on this connection if nobody else holds it; never waits. True
    when this connection holds it now (asking again while holding it is True, and still
    needs only one ``release``).

    Commits the connection's transaction, so the connection then idles outside one (an
    open transaction would hold back vacuum for as long as the worker runs).
    """
    if not _postgresql(connection):
        return True
    got = await connection.scalar(_TRY, {"key": WORKER_LOCK_KEY, "hi": _HI, "lo": _LO})
    await connection.commit()
    return bool(got)


async def release(connection: AsyncConnection) -> bool:
    """Give the worker lock back. True when this connection held it."""
    if not _postgresql(connection):
        return True
    held = await connection.scalar(
        text(
            "SELECT pg_advisory_unlock(:key) FROM pg_locks"
            " WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted"
            " AND classid = CAST(:hi AS oid) AND objid = CAST(:lo AS oid) AND objsubid = 1"
        ),
        {"key": WORKER_LOCK_KEY, "hi": _HI, "lo": _LO},
    )
    await connection.commit()
    return bool(held)
