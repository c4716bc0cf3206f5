"""One-time registration links: issue, and redeem with ``/start <token>``.

Only a token's SHA-256 is stored, so a copy of the database cannot be used to register.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import ChannelAccount, Invite, Person
from services.errors import DomainError
from services.roster import accounts
from services.roster.accounts import TELEGRAM

INVITE_TTL = timedelta(days=7)
# Telegram deep-link payloads: at most 64 characters of A-Za-z0-9_-
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    # 32 random bytes → 43 URL-safe characters, inside Telegram's 64-character limit.
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class IssuedInvite:
    person_id: int
    name: str
    phone: str
    token: str
    expires_at: datetime


async def issue(session: AsyncSession, person: Person, now: datetime) -> IssuedInvite:
    """A fresh link for ``person``; earlier unused links for them stop working."""
    assert person.id is not None
    await session.exec(
        update(Invite)
        .where(col(Invite.person_id) == person.id)
        .where(col(Invite.used_at).is_(None))
        .where(col(Invite.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    token = new_token()
    invite = Invite(
        person_id=person.id,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + INVITE_TTL,
    )
    session.add(invite)
    await session.flush()
    return IssuedInvite(person.id, person.name, person.phone, token, invite.expires_at)


async def person_by_phone(session: AsyncSession, phone: str) -> Person:
    digits = re.sub(r"[\s-]", "", phone)
    digits = re.sub(r"^\+?86(?=1\d{10}$)", "", digits)
    person = (await session.exec(select(Person).where(Person.phone == digits))).first()
    if person is None:
        raise DomainError("person_unknown", phone=phone)
    return person


async def unregistered_people(session: AsyncSession, channel: str = TELEGRAM) -> list[Person]:
    """People without an account on ``channel`` (the one invitation links bind)."""
    bound = select(ChannelAccount.person_id).where(col(ChannelAccount.channel) == channel)
    result = await session.exec(
        select(Person).where(col(Person.id).not_in(bound)).order_by(col(Person.id))
    )
    return list(result.all())


async def redeem(
    session: AsyncSession,
    token: str,
    *,
    channel: str,
    external_id: str,
    chat_id: str,
    language: str,
    now: datetime,
) -> Person:
    """Bind the account on ``channel`` (its private chat ``chat_id``) to the invited person.
    Raises DomainError: ``invite_invalid`` (malformed or unknown), ``invite_used``,
    ``invite_expired``, ``account_taken`` (this account already belongs to someone else)."""
    if not TOKEN_PATTERN.match(token):
        raise DomainError("invite_invalid")
    invite = (
        await session.exec(select(Invite).where(Invite.token_hash == hash_token(token)))
    ).first()
    if invite is None or invite.revoked_at is not None:
        raise DomainError("invite_invalid")
    if invite.used_at is not None:
        raise DomainError("invite_used")
    if invite.expires_at <= now:
        raise DomainError("invite_expired")
    person = await session.get(Person, invite.person_id)
    assert person is not None
    holder = await accounts.account_by_external_id(session, channel, external_id)
    if holder is not None and holder.person_id != person.id:
        raise DomainError("account_taken")
    # Conditional update: of two racing redemptions of one token, exactly one succeeds.
    claimed = await session.exec(
        update(Invite)
        .where(col(Invite.id) == invite.id)
        .where(col(Invite.used_at).is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        raise DomainError("invite_used")
    assert person.id is not None
    await accounts.bind(
        session, person.id, channel=channel, external_id=external_id, chat_id=chat_id, now=now
    )
    await mark_registered(session, person, now, language)
    return person


async def mark_registered(
    session: AsyncSession, person: Person, now: datetime, language: str | None = None
) -> None:
    """What registering sets on the person, however their account was bound: when, and
    the language of the chat they registered from unless they chose one (None: unknown,
    the default until they choose)."""
    person.registered_at = now
    if person.language is None:
        person.language = language
    person.updated_at = now
    session.add(person)
    await session.flush()
