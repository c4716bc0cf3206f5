"""People's accounts on the messengers: which account is whose, and whether the bot can
write to someone on a channel (they have an account there and have not blocked the bot)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import Channel
from models.tables import ChannelAccount, Person

TELEGRAM: str = Channel.TELEGRAM


def _preferred(account: Any) -> Any:
    """``account`` (a ChannelAccount entity or alias) is its person's preferred one: not
    blocked, and no other unblocked account of theirs was bound later. A person registered
    on two messengers is written to on the one they bound last: a cadre who moves to
    DingTalk gets their notices there from then on."""
    other = aliased(ChannelAccount)
    later = (col(other.created_at) > account.created_at) | (
        (col(other.created_at) == account.created_at) & (col(other.id) > account.id)
    )
    return and_(
        account.blocked_at.is_(None),
        ~exists().where(
            col(other.person_id) == account.person_id,
            col(other.blocked_at).is_(None),
            later,
        ),
    )


def reachable_on(channel: str | None = None, person_id: Any = None) -> Any:
    """The join condition to the account the bot writes to a person on: ``person_id`` is
    the column holding the person's id (default ``Person.id``). An inner join with it
    keeps only people who can be written to, as ``outbox.to_person`` decides. Without a
    ``channel``, their preferred account (see ``_preferred``)."""
    owner = col(Person.id) if person_id is None else person_id
    if channel is None:
        return and_(col(ChannelAccount.person_id) == owner, _preferred(ChannelAccount))
    return and_(
        col(ChannelAccount.person_id) == owner,
        col(ChannelAccount.channel) == channel,
        col(ChannelAccount.blocked_at).is_(None),
    )


def _newest_first() -> tuple[Any, ...]:
    # Unblocked before blocked, then the latest bound: the first is the one to write on.
    return (
        col(ChannelAccount.blocked_at).is_not(None),
        col(ChannelAccount.created_at).desc(),
        col(ChannelAccount.id).desc(),
    )


async def account_of(
    session: AsyncSession, person_id: int, channel: str | None = None
) -> ChannelAccount | None:
    """Their account on ``channel``; without one, the account to write to them on (their
    preferred, or when every one is blocked the latest, which ``reachable`` refuses)."""
    query = select(ChannelAccount).where(col(ChannelAccount.person_id) == person_id)
    if channel is not None:
        query = query.where(col(ChannelAccount.channel) == channel)
    return (await session.exec(query.order_by(*_newest_first()).limit(1))).first()


async def account_by_external_id(
    session: AsyncSession, channel: str, external_id: str
) -> ChannelAccount | None:
    return (
        await session.exec(
            select(ChannelAccount).where(
                col(ChannelAccount.channel) == channel,
                col(ChannelAccount.external_id) == external_id,
            )
        )
    ).first()


async def accounts_of(
    session: AsyncSession, person_ids: Iterable[int], channel: str | None = None
) -> dict[int, ChannelAccount]:
    """The accounts of these people, by person id, in one query (on ``channel``, or the
    one to write to each on, as ``account_of``); people without one are missing."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    query = select(ChannelAccount).where(col(ChannelAccount.person_id).in_(ids))
    if channel is not None:
        query = query.where(col(ChannelAccount.channel) == channel)
    found: dict[int, ChannelAccount] = {}
    for account in (await session.exec(query.order_by(*_newest_first()))).all():
        found.setdefault(account.person_id, account)
    return found


def reachable(account: ChannelAccount | None) -> bool:
    return account is not None and account.blocked_at is None


async def reachable_people(
    session: AsyncSession, person_ids: Iterable[int], channel: str | None = None
) -> set[int]:
    """Which of these people the bot can write to (on ``channel``, or on any)."""
    found = await accounts_of(session, person_ids, channel)
    return {person_id for person_id, a in found.items() if reachable(a)}


async def bind(
    session: AsyncSession,
    person_id: int,
    *,
    channel: str,
    external_id: str,
    chat_id: str,
    now: datetime,
) -> ChannelAccount:
    """Make this the person's account on ``channel``, replacing the one they had there (a
    re-registration moves them to a new account). The caller has checked the account is
    nobody else's."""
    account = await account_of(session, person_id, channel)
    if account is None:
        account = ChannelAccount(
            person_id=person_id,
            channel=channel,
            external_id=external_id,
            chat_id=chat_id,
            created_at=now,
        )
    elif account.external_id != external_id:
        # Another account altogether: whatever the old one refused says nothing of it.
        account.external_id, account.chat_id, account.blocked_at = external_id, chat_id, None
        account.created_at = now
    session.add(account)
    await session.flush()
    return account


async def set_blocked(session: AsyncSession, where: Any, *, blocked: bool, now: datetime) -> bool:
    """Mark the accounts matching ``where`` blocked (or not). True when that changed any."""
    changed = await session.exec(
        update(ChannelAccount)
        .where(
            where,
            col(ChannelAccount.blocked_at).is_(None)
            if blocked
            else col(ChannelAccount.blocked_at).is_not(None),
        )
        .values(blocked_at=now if blocked else None)
        .execution_options(synchronize_session="fetch")
    )
    return bool(changed.rowcount)
