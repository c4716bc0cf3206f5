"""Who the sender is, and whether the bot can reach them."""

from __future__ import annotations

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Person
from services.clock import FixedClock
from services.roster.identity import identify, set_bot_blocked
from tests.factories import Roster, seed_roster


@pytest.fixture
async def roster(session: AsyncSession, clock: FixedClock) -> Roster:
    return await seed_roster(session, clock.now())


async def test_a_cadre_is_known_with_their_posting_in_one_look(
    session: AsyncSession, roster: Roster
) -> None:
    wang = roster.people["王芳"]
    assert wang.telegram_user_id is None
    wang.telegram_user_id = 7001
    session.add(wang)
    await session.flush()
    who = await identify(session, 7001)
    assert who is not None and who.cadre is not None
    assert (who.cadre.village, who.cadre.township, who.cadre.county) == (
        "下寨村",
        "江口镇",
        "赣县区",
    )
    assert who.cadre.unit and not who.blocked_bot
    assert await identify(session, 7002) is None


async def test_blocking_is_set_once_and_cleared_once(
    session: AsyncSession, roster: Roster, clock: FixedClock
) -> None:
    wang = roster.people["王芳"]
    wang.telegram_user_id = 7001
    session.add(wang)
    await session.flush()
    assert await set_bot_blocked(session, 7001, blocked=True, now=clock.now())
    assert not await set_bot_blocked(session, 7001, blocked=True, now=clock.now())
    person = await session.get(Person, wang.id)
    assert person is not None and person.blocked_bot_at == clock.now()
    who = await identify(session, 7001)
    assert who is not None and who.blocked_bot
    assert await set_bot_blocked(session, 7001, blocked=False, now=clock.now())
    assert not await set_bot_blocked(session, 7001, blocked=False, now=clock.now())
    assert not await set_bot_blocked(session, 9999, blocked=True, now=clock.now())  # a stranger
