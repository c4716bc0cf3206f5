"""Who the sender is, and whether the bot can reach them."""

from __future__ import annotations

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.clock import FixedClock
from services.roster.accounts import TELEGRAM
from services.roster.identity import identify, set_bot_blocked
from tests.factories import Roster, bind_telegram, seed_roster, telegram_account


@pytest.fixture
async def roster(session: AsyncSession, clock: FixedClock) -> Roster:
    return await seed_roster(session, clock.now())


async def test_a_cadre_is_known_with_their_posting_in_one_look(
    session: AsyncSession, roster: Roster
) -> None:
    wang = roster.people["王芳"]
    assert await telegram_account(session, wang) is None
    bind_telegram(session, wang, 7001)
    await session.flush()
    who = await identify(session, TELEGRAM, "7001")
    assert who is not None and who.cadre is not None
    assert (who.cadre.village, who.cadre.township, who.cadre.county) == (
        "下寨村",
        "江口镇",
        "赣县区",
    )
    assert who.cadre.unit and not who.blocked_bot(TELEGRAM)
    assert who.accounts == {TELEGRAM: "7001"}
    assert await identify(session, TELEGRAM, "7002") is None
    assert await identify(session, "dingtalk", "7001") is None  # an id means nothing elsewhere


async def test_blocking_is_set_once_and_cleared_once(
    session: AsyncSession, roster: Roster, clock: FixedClock
) -> None:
    wang = roster.people["王芳"]
    bind_telegram(session, wang, 7001)
    await session.flush()
    now = clock.now()
    assert await set_bot_blocked(session, TELEGRAM, "7001", blocked=True, now=now)
    assert not await set_bot_blocked(session, TELEGRAM, "7001", blocked=True, now=now)
    account = await telegram_account(session, wang)
    assert account is not None and account.blocked_at == now
    who = await identify(session, TELEGRAM, "7001")
    assert who is not None and who.blocked_bot(TELEGRAM) and who.blocked_on == {TELEGRAM}
    assert await set_bot_blocked(session, TELEGRAM, "7001", blocked=False, now=now)
    assert not await set_bot_blocked(session, TELEGRAM, "7001", blocked=False, now=now)
    assert not await set_bot_blocked(session, TELEGRAM, "9999", blocked=True, now=now)  # a stranger
