"""Registration links: single use, seven days, stored only as a hash."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import Role
from models.tables import Invite
from services.clock import FixedClock
from services.errors import DomainError
from services.roster import identity, invites
from tests.factories import seed_roster, telegram_chat, telegram_user


async def test_issue_and_redeem(session: AsyncSession, clock: FixedClock) -> None:
    roster = await seed_roster(session, clock.now())
    issued = await invites.issue(session, roster.people["王芳"], clock.now())
    assert invites.TOKEN_PATTERN.match(issued.token) and len(issued.token) <= 64
    stored = (await session.exec(select(Invite))).one()
    assert stored.token_hash == invites.hash_token(issued.token)
    assert issued.token not in stored.token_hash  # only the hash is kept

    person = await invites.redeem(
        session, issued.token, **telegram_user(5001), language="zh", now=clock.now()
    )
    assert person.name == "王芳" and await telegram_chat(session, person) == "5001"
    who = await identity.identify(session, "telegram", "5001")
    assert who is not None
    assert who.roles == {Role.CADRE, Role.TEAM_LEADER}
    assert who.cadre is not None and who.cadre.village == "下寨村"


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("forged", "invite_invalid"),
        ("malformed", "invite_invalid"),
        ("reused", "invite_used"),
        ("expired", "invite_expired"),
        ("superseded", "invite_invalid"),
        ("account_taken", "account_taken"),
    ],
)
async def test_refused(session: AsyncSession, clock: FixedClock, case: str, code: str) -> None:
    roster = await seed_roster(session, clock.now())
    issued = await invites.issue(session, roster.people["李强"], clock.now())
    token, user_id = issued.token, 6001
    if case == "forged":
        token = invites.new_token()
    elif case == "malformed":
        token = "a" * 65
    elif case == "reused":
        await invites.redeem(session, token, **telegram_user(6000), language="zh", now=clock.now())
    elif case == "expired":
        clock.advance(invites.INVITE_TTL + timedelta(seconds=1))
    elif case == "superseded":
        await invites.issue(session, roster.people["李强"], clock.now())
    elif case == "account_taken":
        other = await invites.issue(session, roster.people["张伟"], clock.now())
        await invites.redeem(
            session, other.token, **telegram_user(user_id), language="zh", now=clock.now()
        )
    with pytest.raises(DomainError) as err:
        await invites.redeem(
            session, token, **telegram_user(user_id), language="zh", now=clock.now()
        )
    assert err.value.code == code


async def test_approver_roles_and_language(session: AsyncSession, clock: FixedClock) -> None:
    roster = await seed_roster(session, clock.now())
    issued = await invites.issue(session, roster.people["刘洋"], clock.now())
    await invites.redeem(
        session, issued.token, **telegram_user(7001), language="en", now=clock.now()
    )
    who = await identity.identify(session, "telegram", "7001")
    assert who is not None
    assert who.roles == {Role.APPROVER}
    assert who.language == "en"
    assert who.posts[0].place == "江口镇"
    assert who.masked_phone == "139****0001"
    assert await identity.identify(session, "telegram", "999") is None


async def test_unregistered_people_and_phone_lookup(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await seed_roster(session, clock.now())
    assert len(await invites.unregistered_people(session)) == 9
    assert (await invites.person_by_phone(session, "+86 138-0000-0001")).name == "王芳"
    with pytest.raises(DomainError):
        await invites.person_by_phone(session, "13700000000")
    issued = await invites.issue(session, roster.people["王芳"], clock.now())
    await invites.redeem(session, issued.token, **telegram_user(1), language="zh", now=clock.now())
    assert len(await invites.unregistered_people(session)) == 8
