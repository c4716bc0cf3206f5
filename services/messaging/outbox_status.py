"""The outbox as an operator sees it (``zhucun outbox``, ``zhucun doctor``, /metrics):
counts, the rows that failed and why, and putting failed rows back in the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import OutboxState
from models.tables import ChannelAccount
from models.workflow import OutboxMessage
from services.messaging.outbox_leases import NOT_IN_FLIGHT
from services.roster import accounts


@dataclass(frozen=True)
class ProblemRow:
    """A dead or uncertain row, as ``zhucun outbox status`` lists it (no message text)."""

    id: int
    channel: str
    chat_id: str
    is_group: bool
    person_id: int | None
    template: str
    ref: str | None
    attempts: int
    created_at: datetime
    attempted_at: datetime | None
    error: str


@dataclass(frozen=True)
class OutboxStatus:
    counts: dict[OutboxState, int]
    in_flight: int  # pending rows whose request is out right now
    due: int  # pending rows a relay could take now
    oldest_pending: datetime | None  # created_at of the oldest pending row
    oldest_pending_age: timedelta | None
    dead: list[ProblemRow]  # newest first, at most ``limit``
    uncertain: list[ProblemRow]


def _problem(row: OutboxMessage) -> ProblemRow:
    assert row.id is not None
    return ProblemRow(
        id=row.id,
        channel=row.channel,
        chat_id=row.chat_id,
        is_group=row.is_group,
        person_id=row.person_id,
        template=row.template,
        ref=row.ref,
        attempts=row.attempts,
        created_at=row.created_at,
        attempted_at=row.sent_at,
        error=row.last_error,
    )


async def status(session: AsyncSession, now: datetime, *, limit: int = 20) -> OutboxStatus:
    """Counts by state, the oldest pending row, and the latest dead and uncertain rows."""
    counts = {state: 0 for state in OutboxState}
    grouped = await session.exec(
        select(OutboxMessage.state, func.count()).group_by(col(OutboxMessage.state))
    )
    for state, count in grouped:
        counts[OutboxState(state)] = int(count)
    pending = col(OutboxMessage.state) == OutboxState.PENDING
    oldest = (await session.exec(select(func.min(OutboxMessage.created_at)).where(pending))).one()
    in_flight = (
        await session.exec(
            select(func.count()).where(pending, col(OutboxMessage.sent_at).is_not(None))
        )
    ).one()
    due = (
        await session.exec(
            select(func.count()).where(pending, NOT_IN_FLIGHT, col(OutboxMessage.not_before) <= now)
        )
    ).one()
    oldest_at = _aware(oldest)
    lists: dict[OutboxState, list[ProblemRow]] = {}
    for state in (OutboxState.DEAD, OutboxState.UNCERTAIN):
        rows = await session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.state) == state)
            .order_by(col(OutboxMessage.id).desc())
            .limit(limit)
        )
        lists[state] = [_problem(r) for r in rows]
    return OutboxStatus(
        counts=counts,
        in_flight=int(in_flight),
        due=int(due),
        oldest_pending=oldest_at,
        oldest_pending_age=(now - oldest_at) if oldest_at else None,
        dead=lists[OutboxState.DEAD],
        uncertain=lists[OutboxState.UNCERTAIN],
    )


def _aware(value: Any) -> datetime | None:
    # An aggregate bypasses the column type, so SQLite hands back naive UTC (or a string).
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def retry(
    session: AsyncSession,
    row_id: int | None = None,
    *,
    dead: bool = False,
    uncertain: bool = False,
    now: datetime,
) -> int:
    """Put rows back in the queue: one row by id (dead or uncertain), or every dead row,
    or every uncertain row. Returns how many.

    Retrying a row also clears the block on its person's account on the row's channel: an
    operator retrying means "they say they unblocked the bot"; if they did not, the next
    403 marks them again.
    Uncertain rows are never retried in bulk by accident: they may have arrived already.
    """
    if (row_id is None) == (not dead and not uncertain):
        raise ValueError("give a row id, or dead=True / uncertain=True")
    if row_id is not None:
        states = [OutboxState.DEAD, OutboxState.UNCERTAIN]
    else:
        states = [
            s for s, on in ((OutboxState.DEAD, dead), (OutboxState.UNCERTAIN, uncertain)) if on
        ]
    where: list[ColumnElement[bool]] = [col(OutboxMessage.state).in_(states)]
    if row_id is not None:
        where.append(col(OutboxMessage.id) == row_id)
    rows = list(await session.exec(select(OutboxMessage).where(*where)))
    people: dict[str, set[int]] = {}
    for r in rows:
        if r.person_id is not None and not r.is_group:
            people.setdefault(r.channel, set()).add(r.person_id)
    for row in rows:
        row.state = OutboxState.PENDING
        row.not_before = now
        row.sent_at = None
        row.attempts = 0  # backoff starts afresh; last_error stays until an outcome replaces it
        session.add(row)
    for channel, ids in people.items():
        on_channel = col(ChannelAccount.channel) == channel
        await accounts.set_blocked(
            session, on_channel & col(ChannelAccount.person_id).in_(ids), blocked=False, now=now
        )
    await session.flush()
    return len(rows)
