"""The relay's hold on outbox rows: claiming the due ones under a lease, keeping or giving
the lease back, and the conditions every later write about a held row is fenced by.

How a row moves (all in short transactions of their own, none held across an HTTP call):

  pending, not_before <= now             due: ``claim_due`` leases it to one relay by moving
                                         not_before to now + lease (FOR UPDATE SKIP LOCKED
                                         on PostgreSQL, a conditional UPDATE everywhere)
  pending, sent_at NULL, leased          held by a relay, waiting for its pacing slot
  pending, sent_at set                   in flight: ``mark_sending`` (outbox_outcomes)
                                         committed just before the request went out
  -> sent                                Telegram answered with the message
  -> pending (not_before later)          a definite failure (429, 5xx, no connection):
                                         ``mark_retry`` clears sent_at
  -> dead                                Telegram refused it for good (400, 403)
  -> pending again, or uncertain         no answer (a timeout), or the relay died while the
                                         request was out: it may have arrived. It is sent
                                         again unless its template is at most once (the
                                         caller names those); then it is uncertain and not
                                         resent until an operator says so
                                         (``outbox_status.retry``)

The lease doubles as a fencing token: every write a relay makes about a row it holds is
conditional on not_before still being the value that relay set. A relay that stalled past
its lease and lost the row to another relay therefore cannot send it a second time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Update, and_, case, false, func, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import Channel, OutboxState
from models.tables import Person
from models.workflow import OutboxMessage

log = logging.getLogger(__name__)

IN_FLIGHT_LOST = "no answer recorded: the relay stopped while the request was out"
IN_FLIGHT_RESENT = "the relay stopped while the request was out: sent again"

# A pending row whose request is not out right now: it may be leased, extended or released.
NOT_IN_FLIGHT = col(OutboxMessage.sent_at).is_(None)


def bulk_update() -> Update:
    """A bulk UPDATE of outbox rows. The relay's short sessions hold no row objects to keep
    in step, so SQLAlchemy is spared evaluating the criteria against its identity map."""
    return update(OutboxMessage).execution_options(synchronize_session=False)


def held_by(row_id: int, token: datetime) -> Any:
    """The fence on a write about a held row: still pending, and still under the lease
    ``token`` its relay set (another relay that took the row over set a different one)."""
    return and_(
        col(OutboxMessage.id) == row_id,
        col(OutboxMessage.state) == OutboxState.PENDING,
        col(OutboxMessage.not_before) == token,
    )


@dataclass(frozen=True)
class Claimed:
    """A row leased to one relay: everything needed to render and send it."""

    id: int
    chat_id: str
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
    sent_message_id: str | None
    lease: datetime  # not_before as this relay left it: the fencing token


async def abandon_stale_sends(
    session: AsyncSession, now: datetime, at_most_once: Collection[str] = ()
) -> list[int]:
    """Rows whose request went out under a lease that expired with no outcome recorded (the
    relay died mid-send) may have arrived. Those of an ``at_most_once`` template become
    uncertain and are not resent; every other is sent again (cards, decisions and reminders
    must arrive; their duplicate is harmless). Returns the ids made uncertain."""
    stale = and_(
        col(OutboxMessage.state) == OutboxState.PENDING,
        col(OutboxMessage.sent_at).is_not(None),
        col(OutboxMessage.not_before) <= now,
    )
    once = col(OutboxMessage.template).in_(list(at_most_once)) if at_most_once else false()
    result = await session.exec(
        bulk_update()
        .where(stale, once)
        .values(state=OutboxState.UNCERTAIN, last_error=IN_FLIGHT_LOST)
        .returning(col(OutboxMessage.id))
    )
    ids = sorted(int(i) for i in result.scalars())
    if ids:
        log.warning("outbox rows %s were in flight when a relay stopped: now uncertain", ids)
    again = await session.exec(
        bulk_update()
        .where(stale, ~once)
        .values(sent_at=None, not_before=now, last_error=IN_FLIGHT_RESENT)
        .returning(col(OutboxMessage.id))
    )
    resent = sorted(int(i) for i in again.scalars())
    if resent:
        log.warning("outbox rows %s were in flight when a relay stopped: sent again", resent)
    return ids


async def claim_due(
    session: AsyncSession,
    now: datetime,
    *,
    limit: int,
    lease: timedelta,
    per_chat: int = 0,
    per_group: int = 0,
    skip_chats: Collection[str] = (),
    due_by: datetime | None = None,
    channel: str = Channel.TELEGRAM,
    at_most_once: Collection[str] = (),
) -> list[Claimed]:
    """Lease up to ``limit`` due rows to the caller until ``now + lease``, oldest first.
    Due means due by ``due_by`` (default ``now``): one pass of a relay takes what was due
    when it began, not the rows it failed itself and put off.

    ``per_chat``/``per_group`` (0: no cap) bound how many rows of one private chat or group
    one claim takes, so a broadcast to one chat cannot crowd out everyone else; chats in
    ``skip_chats`` (the caller holds enough of theirs) are left alone. Only rows of
    ``channel`` are claimed: a relay sends on its own messenger, and chat ids of different
    channels are different chats. Commit right after: the lease is what keeps other relays
    off these rows.
    """
    if limit <= 0:
        return []
    due = and_(
        col(OutboxMessage.channel) == channel,
        col(OutboxMessage.state) == OutboxState.PENDING,
        col(OutboxMessage.not_before) <= (due_by or now),
        NOT_IN_FLIGHT,
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
    await abandon_stale_sends(session, now, at_most_once)
    if not ids:
        return []
    until = now + lease
    claimed = await session.exec(
        bulk_update()
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
            bulk_update()
            .where(
                col(OutboxMessage.id).in_(ids),
                col(OutboxMessage.state) == OutboxState.PENDING,
                col(OutboxMessage.not_before) == token,
                NOT_IN_FLIGHT,
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
            bulk_update().where(held_by(row_id, token), NOT_IN_FLIGHT).values(not_before=now)
        )
        count += result.rowcount
    return count
