"""The real DingTalk runtime (Stream connection, relay) against the DingTalk emulator.

Each test gets a fresh emulator, a fresh database (SQLite file, or PostgreSQL on that
leg) seeded with the test roster, and ``DingTalkRuntime`` connected to the emulator's
gateway. People are the emulator's organisation members; their staff ids are the names'
pinyin. At the end no request the runtime made may have been refused for its shape.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.config import Settings
from bot.context import AppContext
from bot.dingtalk.runtime import DingTalkRuntime
from models.tables import Person
from sandbox.dingtalk import DingTalkSandbox
from sandbox.dingtalk.records import Sent
from services.clock import FixedClock
from services.operations.schedule import run_all
from services.policy_loading import load_pack
from services.roster import invites
from tests.factories import Roster, seed_roster

STAFF = {
    "王芳": "wangfang",
    "李强": "liqiang",
    "张伟": "zhangwei",
    "刘洋": "liuyang",
    "陈静": "chenjing",
    "赵敏": "zhaomin",
    "孙磊": "sunlei",
    "周建国": "zhoujianguo",
    "吴海": "wuhai",
}
TEMPLATE = "zhucun-card.schema"


@dataclass
class DingTalkHarness:
    box: DingTalkSandbox
    ctx: AppContext
    runtime: DingTalkRuntime
    clock: FixedClock
    roster: Roster
    task: asyncio.Task[None]

    async def invite(self, name: str) -> str:
        async with await self.ctx.uow() as uow:
            person = await uow.session.get(Person, self.roster.people[name].id)
            assert person is not None
            issued = await invites.issue(uow.session, person, self.clock.now())
            await uow.commit()
        return issued.token

    async def say(
        self, staff: str, text: str, *, contains: str | None = None, group: str | None = None
    ) -> Sent:
        """Say something to the robot; the first answer (in that chat) after it."""
        mark = len(self.box.sent)
        await self.box.say(staff, text, group=group)
        where = group or staff
        return await self.box.wait_for(
            lambda m: m.to == where and (contains is None or contains in m.text), after=mark
        )

    async def register(self, name: str) -> str:
        """A roster person sends 绑定 <code> to the robot and is greeted by name."""
        staff = STAFF[name]
        token = await self.invite(name)
        greeting = await self.say(staff, f"绑定 {token}", contains="您好")
        assert name in greeting.text
        return staff

    async def tick(self) -> dict[str, int]:
        settings = self.ctx.settings
        counts = await run_all(
            await self.ctx.sessions(), load_pack(settings.policy), self.clock.now(), settings.zone
        )
        assert self.runtime.relay is not None
        self.runtime.relay.wake()
        return counts


def dingtalk_settings(box: DingTalkSandbox, database_url: str, **more: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        dingtalk_client_id=box.client_id,
        dingtalk_client_secret=box.client_secret,
        dingtalk_api_url=box.base_url,
        **more,
    )


async def start_dingtalk(
    database_url: str, *, card_template: str | None = None
) -> AsyncIterator[DingTalkHarness]:
    box = DingTalkSandbox()
    await box.start()
    for name, staff in STAFF.items():
        box.add_user(staff, name, mobile=None)
    box.add_user("stranger", "路人甲")
    clock = FixedClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    settings = dingtalk_settings(
        box,
        database_url,
        dingtalk_card_template_id=card_template,
        # Paced for a test, not for DingTalk: the pacing has tests of its own.
        dingtalk_per_chat_interval=0.05,
        dingtalk_group_per_minute=1200,
        dingtalk_global_per_second=200,
        relay_poll_interval=0.1,
        relay_max_backoff=0.2,
    )
    ctx = AppContext(settings=settings, clock=clock)
    async with await ctx.uow() as uow:
        roster = await seed_roster(uow.session, clock.now())
        await uow.commit()
    runtime = DingTalkRuntime(ctx)
    await runtime.prepare()
    task = asyncio.create_task(runtime.run())
    assert runtime.stream is not None
    await asyncio.wait_for(runtime.stream.connected.wait(), timeout=10)
    try:
        yield DingTalkHarness(box, ctx, runtime, clock, roster, task)
    finally:
        await runtime.stop()
        await asyncio.wait_for(task, timeout=10)
        await ctx.close()
        await box.stop()
    box.assert_no_violations()


@pytest.fixture
async def dingtalk(database_url: str) -> AsyncIterator[DingTalkHarness]:
    """Buttons as ActionCards (no card template configured)."""
    async for harness in start_dingtalk(database_url):
        yield harness


@pytest.fixture
async def dingtalk_cards(database_url: str) -> AsyncIterator[DingTalkHarness]:
    """Buttons as interactive cards (a card template configured)."""
    async for harness in start_dingtalk(database_url, card_template=TEMPLATE):
        yield harness
