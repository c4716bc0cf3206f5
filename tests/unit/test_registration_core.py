"""Registration and /whoami through the core on any channel: DingTalk's 绑定 <token>
arrives as /start <token>, and no text names a messenger the person is not on."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import Channel
from models.tables import ChannelAccount
from services.clock import FixedClock
from services.roster import invites
from tests.core_requests import Private
from tests.factories import seed_roster


async def test_dingtalk_start_with_the_token_registers_and_greets(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await seed_roster(session, clock.now())
    issued = await invites.issue(session, roster.people["王芳"], clock.now())
    chat = Private(session, clock, "staff123", channel=Channel.DINGTALK)
    # What bot/dingtalk/incoming.py makes of "绑定 <token>".
    answer = await chat.said(f"/start {issued.token}")
    assert "王芳，您好！您已登记为：" in answer
    account = (
        await session.exec(
            select(ChannelAccount).where(col(ChannelAccount.channel) == Channel.DINGTALK)
        )
    ).one()
    assert (account.person_id, account.external_id, account.chat_id) == (
        roster.people["王芳"].id,
        "staff123",
        "staff123",
    )

    whoami = await chat.said("/whoami")
    assert "钉钉账号：staff123" in whoami and "Telegram" not in whoami

    # Someone else's invitation on an account already registered: no messenger named.
    other = await invites.issue(session, roster.people["李强"], clock.now())
    refused = await chat.said(f"/start {other.token}")
    assert refused == "这个账号已登记给名册上的另一个人。"


async def test_whoami_on_telegram_names_telegram(session: AsyncSession, clock: FixedClock) -> None:
    roster = await seed_roster(session, clock.now())
    issued = await invites.issue(session, roster.people["李强"], clock.now())
    chat = Private(session, clock, "6001", channel=Channel.TELEGRAM)
    assert "李强，您好" in await chat.said(f"/start {issued.token}")
    assert "Telegram账号：6001" in await chat.said("/whoami")
