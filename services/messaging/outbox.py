"""The outbox: messages to people other than the current sender (DESIGN.md, data flow 2).

A service that causes a message calls ``enqueue`` in the same transaction as the change, so
the message exists exactly when the change does. The dedup key makes a second enqueue of
the same thing (a sweep run twice, a re-delivered update) a no-op. The relay in ``bot/``
renders each row in the recipient's language and sends it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Update, and_, case, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import OutboxState
from models.tables import Person
from models.workflow import OutboxMessage
from services.roster.identity import set_bot_blocked

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """One message for ``enqueue_many``: the arguments ``enqueue`` takes one by one."""

    key: str
    chat_id: int
    template: str
    params: dict[str, Any]
    person_id: int | None = None
    is_group: bool = False
    ref: str | None = None


def _row(
    *,
    key: str,
    chat_id: int,
    template: str,
    params: dict[str, Any],
    now: datetime,
    person_id: int | None = None,
    is_group: bool = False,
    ref: str | None = None,
    document: tuple[str, bytes] | None = None,
    not_before: datetime | None = None,
) -> dict[str, Any]:
    return {
        "dedup_key": key,
        "chat_id": chat_id,
        "person_id": person_id,
        "is_group": is_group,
        "template": template,
        "params": json.dumps(params, ensure_ascii=False, sort_keys=True, default=str),
        "ref": ref,
        "document_name": document[0] if document else None,
        "document": document[1] if document else None,
        "state": OutboxState.PENDING,
        "attempts": 0,
        "not_before": not_before or now,
        "created_at": now,
        "last_error": "",
    }


def _insert_new(session: AsyncSession) -> Any:
    """INSERT .. ON CONFLICT (dedup_key) DO NOTHING in the session's own dialect (the engine
    the session really uses: session.bind is None for a session bound per table, and guessing
    "sqlite" there would build the wrong INSERT on PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(OutboxMessage.__table__).on_conflict_do_nothing(  # type: ignore[attr-defined]
        index_elements=["dedup_key"]
    )


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    chat_id: int,
    template: str,
    params: dict[str, Any],
    now: datetime,
    person_id: int | None = None,
    is_group: bool = False,
    ref: str | None = None,
    document: tuple[str, bytes] | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Add a message unless one with this dedup key exists. True when it was added."""
    values = _row(
        key=key,
        chat_id=chat_id,
        template=template,
        params=params,
        now=now,
        person_id=person_id,
        is_group=is_group,
        ref=ref,
        document=document,
        not_before=not_before,
    )
    result = await session.exec(_insert_new(session).values(**values))
    return bool(result.rowcount)


async def enqueue_many(
    session: AsyncSession, messages: Iterable[Message], *, now: datetime, batch: int = 2_000
) -> int:
    """``enqueue`` for a sweep's thousands of messages: one multi-row INSERT per batch
    instead of one statement per message (a national sweep queues hundreds of thousands),
    each row skipped when its dedup key exists. Returns how many were added."""
    added = 0
    pending: list[dict[str, Any]] = []

    async def flush() -> int:
        if not pending:
            return 0
        # RETURNING counts exactly the rows added: executemany's rowcount is not reported
        # by every driver, and a skipped conflict returns nothing.
        statement = _insert_new(session).returning(OutboxMessage.__table__.c.id)  # type: ignore[attr-defined]
        connection = await session.connection()
        result = await connection.execute(statement, pending)
        pending.clear()
        return len(result.all())

    for message in messages:
        pending.append(
            _row(
                key=message.key,
                chat_id=message.chat_id,
                template=message.template,
                params=message.params,
                now=now,
                person_id=message.person_id,
                is_group=message.is_group,
                ref=message.ref,
            )
        )
        if len(pending) >= batch:
            added += await flush()
    return added + await flush()


async def to_person(
    session: AsyncSession,
    person_id: int,
    *,
    key: str,
    template: str,
    params: dict[str, Any],
    now: datetime,
    ref: str | None = None,
    document: tuple[str, bytes] | None = None,
) -> bool:
    """A private message to a registered person. False when they cannot be reached
    (not registered, or they blocked the bot): the caller decides what that means."""
    person = await session.get(Person, person_id)
    if person is None or person.telegram_user_id is None or person.blocked_bot_at is not None:
        return False
    return await enqueue(
        session,
        key=key,
        chat_id=person.telegram_user_id,
        person_id=person_id,
        template=template,
        params=params,
        now=now,
        ref=ref,
        document=document,
    )


# ---------------------------------------------------------------------------- the relay's side
#
# How a row moves (all in short transactions of their own, none held across an HTTP call):
#
#   pending, not_before <= now            due: ``claim_due`` leases it to one relay by moving
#                                          not_before to now + lease (FOR UPDATE SKIP LOCKED
#                                          on PostgreSQL, a conditional UPDATE everywhere)
#   pending, sent_at NULL, leased          held by a relay, waiting for its pacing slot
#   pending, sent_at set                   in flight: ``mark_sending`` committed just before
#                                          the request went out
#   -> sent                                Telegram answered with the message
#   -> pending (not_before later)          a definite failure (429, 5xx, no connection):
#                                          ``mark_retry`` clears sent_at
#   -> dead                                Telegram refused it for good (400, 403)
#   -> uncertain                           no answer (a timeout), or the relay died while the
#                                          request was out: it may have arrived, so it is not
#                                          resent until an operator says so (``retry``)
#
# The lease doubles as a fencing token: every write a relay makes about a row it holds is
# conditional on not_before still being the value that relay set. A relay that stalled past
# its lease and lost the row to another relay therefore cannot send it a second time.

IN_FLIGHT_LOST = "no answer recorded: the relay stopped while the request was out"
BLOCKED_CASCADE = "not sent: the recipient blocked the bot (row #{row})"

_NOT_IN_FLIGHT = col(OutboxMessage.sent_at).is_(None)


def _change() -> Update:
    """A bulk UPDATE of outbox rows. The relay's short sessions hold no row objects to keep
    in step, so SQLAlchemy is spared evaluating the criteria against its identity map."""
    return update(OutboxMessage).execution_options(synchronize_session=False)


@dataclass(frozen=True)
class Claimed:
    """A row leased to one relay: everything needed to render and send it."""

    id: int
    chat_id: int
    person_id: int | None
    is_group: bool
    template: str
    params: dict[str, Any]
    ref: str | None
    document_name: str | None
    document: bytes | None
    attempts: int
    language: str | None  # the recipient's, when the row is for a person
    # Set while the row is still pending only when the text part of a two-part send (a
    # document whose text is too long for a caption) went out and the document did not yet.
    sent_message_id: int | None
    lease: datetime  # not_before as this relay left it: the fencing token


@dataclass(frozen=True)
class ProblemRow:
    """A dead or uncertain row, as ``zhucun outbox status`` lists it (no message text)."""

    id: int
    chat_id: int
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


def _ours(row_id: int, token: datetime) -> Any:
    return and_(
        col(OutboxMessage.id) == row_id,
        col(OutboxMessage.state) == OutboxState.PENDING,
        col(OutboxMessage.not_before) == token,
    )


async def abandon_stale_sends(session: AsyncSession, now: datetime) -> list[int]:
    """Rows whose request went out under a lease that expired with no outcome recorded (the
    relay died mid-send) become uncertain: they may have arrived, so they are not resent."""
    result = await session.exec(
        _change()
        .where(
            col(OutboxMessage.state) == OutboxState.PENDING,
            col(OutboxMessage.sent_at).is_not(None),
            col(OutboxMessage.not_before) <= now,
        )
        .values(state=OutboxState.UNCERTAIN, last_error=IN_FLIGHT_LOST)
        .returning(col(OutboxMessage.id))
    )
    ids = sorted(int(i) for i in result.scalars())
    if ids:
        log.warning("outbox rows %s were in flight when a relay stopped: now uncertain", ids)
    return ids


async def claim_due(
    session: AsyncSession,
    now: datetime,
    *,
    limit: int,
    lease: timedelta,
    per_chat: int = 0,
    per_group: int = 0,
    skip_chats: Collection[int] = (),
    due_by: datetime | None = None,
) -> list[Claimed]:
    """Lease up to ``limit`` due rows to the caller until ``now + lease``, oldest first.
    Due means due by ``due_by`` (default ``now``): one pass of a relay takes what was due
    when it began, not the rows it failed itself and put off.

    ``per_chat``/``per_group`` (0: no cap) bound how many rows of one private chat or group
    one claim takes, so a broadcast to one chat cannot crowd out everyone else; chats in
    ``skip_chats`` (the caller holds enough of theirs) are left alone. Commit right after:
    the lease is what keeps other relays off these rows.
    """
    if limit <= 0:
        return []
    due = and_(
        col(OutboxMessage.state) == OutboxState.PENDING,
        col(OutboxMessage.not_before) <= (due_by or now),
        _NOT_IN_FLIGHT,
    )
    if skip_chats:
        due = and_(due, col(OutboxMessage.chat_id).not_in(list(skip_chats)))
    still_due = due  # what the UPDATE re-checks: another claimer may have been first
    if per_chat > 0 or per_group > 0:
        ranked = (
            select(
                col(OutboxMessage.id).label("id"),
                col(OutboxMessage.is_group).label("is_group"),
                func.row_number()
                .over(
                    partition_by=col(OutboxMessage.chat_id),
                    order_by=(col(OutboxMessage.not_before), col(OutboxMessage.id)),
                )
                .label("rank"),
            )
            .where(due)
            .subquery()
        )
        cap = case(
            (ranked.c.is_group, per_group if per_group > 0 else limit),
            else_=per_chat if per_chat > 0 else limit,
        )
        due = and_(due, col(OutboxMessage.id).in_(select(ranked.c.id).where(ranked.c.rank <= cap)))
    # PostgreSQL locks the rows, skipping those another relay is claiming right now; the
    # LIMIT applies after the skipping, so concurrent relays take different rows rather than
    # none. SQLite compiles no locking clause; the conditional UPDATE below keeps it correct.
    locked = await session.exec(
        select(col(OutboxMessage.id))
        .where(due)
        .order_by(col(OutboxMessage.not_before), col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(locked)
    order = {row_id: n for n, row_id in enumerate(ids)}  # oldest first, as they were due
    # Writes only after the (slower) search: on SQLite the first write takes the database's
    # write lock, which is then held for milliseconds rather than for the whole search.
    await abandon_stale_sends(session, now)
    if not ids:
        return []
    until = now + lease
    claimed = await session.exec(
        _change()
        .where(col(OutboxMessage.id).in_(ids), still_due)
        .values(not_before=until)
        .returning(col(OutboxMessage.id))
    )
    got = [int(i) for i in claimed.scalars()]
    if not got:
        return []
    m = OutboxMessage
    # Plain columns, not ORM objects: a claim may return hundreds of rows, and building
    # objects for them would hold up the event loop the sends are paced on.
    connection = await session.connection()
    rows = await connection.execute(
        sa_select(
            col(m.id),
            col(m.chat_id),
            col(m.person_id),
            col(m.is_group),
            col(m.template),
            col(m.params),
            col(m.ref),
            col(m.document_name),
            col(m.document),
            col(m.attempts),
            col(Person.language),
            col(m.sent_message_id),
        )
        .outerjoin(Person, col(Person.id) == col(m.person_id))
        .where(col(m.id).in_(got))
    )
    out = [
        Claimed(
            id=cast(int, row_id),  # a primary key: never NULL
            chat_id=chat_id,
            person_id=person_id,
            is_group=is_group,
            template=template,
            params=json.loads(params or "{}"),
            ref=ref,
            document_name=document_name,
            document=document,
            attempts=attempts,
            language=language,
            sent_message_id=sent_message_id,
            lease=until,
        )
        for (
            row_id,
            chat_id,
            person_id,
            is_group,
            template,
            params,
            ref,
            document_name,
            document,
            attempts,
            language,
            sent_message_id,
        ) in rows
    ]
    out.sort(key=lambda c: order[c.id])
    return out


async def extend_leases(
    session: AsyncSession, held: Iterable[tuple[int, datetime]], until: datetime
) -> dict[int, datetime]:
    """Move the leases of rows still held (id, token) to ``until``. Returns the rows that
    are still the caller's; a row missing from the answer is no longer to be sent by it."""
    by_token: dict[datetime, list[int]] = {}
    for row_id, token in held:
        by_token.setdefault(token, []).append(row_id)
    kept: dict[int, datetime] = {}
    for token, ids in by_token.items():
        result = await session.exec(
            _change()
            .where(
                col(OutboxMessage.id).in_(ids),
                col(OutboxMessage.state) == OutboxState.PENDING,
                col(OutboxMessage.not_before) == token,
                _NOT_IN_FLIGHT,
            )
            .values(not_before=until)
            .returning(col(OutboxMessage.id))
        )
        kept.update((int(i), until) for i in result.scalars())
    return kept


async def release(
    session: AsyncSession, held: Iterable[tuple[int, datetime]], now: datetime
) -> int:
    """Give held rows back (a relay stopping cleanly): due again at once for whoever runs."""
    count = 0
    for row_id, token in held:
        result = await session.exec(
            _change().where(_ours(row_id, token), _NOT_IN_FLIGHT).values(not_before=now)
        )
        count += result.rowcount
    return count


async def mark_sending(
    session: AsyncSession, row_id: int, token: datetime, now: datetime, lease: timedelta
) -> datetime | None:
    """Record that the request is about to go out; commit before sending. Returns the new
    token (the in-flight lease), or None when the row is no longer this relay's to send.
    The lease must outlast the request timeout, or another relay would call it abandoned."""
    until = now + lease
    result = await session.exec(
        _change()
        .where(_ours(row_id, token), _NOT_IN_FLIGHT)
        .values(
            sent_at=now,
            not_before=until,
            attempts=col(OutboxMessage.attempts) + 1,
        )
    )
    return until if result.rowcount else None


async def mark_sent(session: AsyncSession, row_id: int, message_id: int, now: datetime) -> None:
    """Telegram answered with the message. A confirmed send wins over any earlier verdict."""
    await session.exec(
        _change()
        .where(
            col(OutboxMessage.id) == row_id,
            col(OutboxMessage.state) != OutboxState.SENT,
        )
        .values(
            state=OutboxState.SENT,
            sent_at=now,
            sent_message_id=message_id,
            last_error="",
        )
    )


async def mark_progress(
    session: AsyncSession,
    row_id: int,
    message_id: int,
    token: datetime,
    now: datetime,
    lease: timedelta,
) -> datetime | None:
    """The first part of a two-part send (the text, before its document) arrived; the row
    stays pending for the second part. Returns the new token, None if the row is lost."""
    until = now + lease
    result = await session.exec(
        _change()
        .where(_ours(row_id, token))
        .values(sent_message_id=message_id, sent_at=None, not_before=until)
    )
    return until if result.rowcount else None


async def mark_retry(session: AsyncSession, row_id: int, not_before: datetime, error: str) -> bool:
    """A definite failure (Telegram answered 429 or 5xx, or no connection was made): due
    again at ``not_before``."""
    result = await session.exec(
        _change()
        .where(
            col(OutboxMessage.id) == row_id,
            col(OutboxMessage.state) == OutboxState.PENDING,
        )
        .values(not_before=not_before, sent_at=None, last_error=error[:500])
    )
    return bool(result.rowcount)


async def retarget(session: AsyncSession, row_id: int, chat_id: int, now: datetime) -> bool:
    """The group became a supergroup with a new id: send the row there, at once."""
    result = await session.exec(
        _change()
        .where(
            col(OutboxMessage.id) == row_id,
            col(OutboxMessage.state) == OutboxState.PENDING,
        )
        .values(chat_id=chat_id, not_before=now, sent_at=None)
    )
    return bool(result.rowcount)


async def mark_dead(
    session: AsyncSession,
    row_id: int,
    reason: str,
    now: datetime,
    *,
    blocked: bool = False,
) -> list[int]:
    """Telegram refused the row for good. With ``blocked`` (a 403 for a private chat: the
    person blocked the bot or never started it) the person is marked so that ``to_person``
    stops enqueuing for them, and their other waiting rows die with it: nobody keeps trying.
    Returns the ids made dead."""
    row = await session.get(OutboxMessage, row_id)
    if row is None or row.state in (OutboxState.SENT, OutboxState.DEAD):
        return []
    row.state = OutboxState.DEAD
    row.sent_at = None
    row.last_error = reason[:500]
    session.add(row)
    dead = [row_id]
    if blocked and not row.is_group:
        # A private chat's id is the account's: whoever is registered with it is marked.
        await set_bot_blocked(session, row.chat_id, blocked=True, now=now)
        others = await session.exec(
            _change()
            .where(
                col(OutboxMessage.chat_id) == row.chat_id,
                col(OutboxMessage.state) == OutboxState.PENDING,
                col(OutboxMessage.id) != row_id,
                _NOT_IN_FLIGHT,
            )
            .values(state=OutboxState.DEAD, last_error=BLOCKED_CASCADE.format(row=row_id))
            .returning(col(OutboxMessage.id))
        )
        dead.extend(sorted(int(i) for i in others.scalars()))
    await session.flush()
    return dead


async def mark_uncertain(session: AsyncSession, row_id: int, error: str) -> None:
    """No answer: the message may have arrived. Kept out of the queue until ``retry``;
    sent_at keeps when the ambiguous attempt went out."""
    await session.exec(
        _change()
        .where(
            col(OutboxMessage.id) == row_id,
            col(OutboxMessage.state) == OutboxState.PENDING,
        )
        .values(state=OutboxState.UNCERTAIN, last_error=error[:500])
    )


def _problem(row: OutboxMessage) -> ProblemRow:
    assert row.id is not None
    return ProblemRow(
        id=row.id,
        chat_id=row.chat_id,
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
            select(func.count()).where(
                pending, _NOT_IN_FLIGHT, col(OutboxMessage.not_before) <= now
            )
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

    Retrying a row also clears ``blocked_bot_at`` of its person: an operator retrying means
    "they say they unblocked the bot"; if they did not, the next 403 marks them again.
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
    people = {r.person_id for r in rows if r.person_id is not None and not r.is_group}
    for row in rows:
        row.state = OutboxState.PENDING
        row.not_before = now
        row.sent_at = None
        row.attempts = 0  # backoff starts afresh; last_error stays until an outcome replaces it
        session.add(row)
    if people:
        await session.exec(
            update(Person)
            .where(col(Person.id).in_(people), col(Person.blocked_bot_at).is_not(None))
            .values(blocked_bot_at=None)
        )
    await session.flush()
    return len(rows)
