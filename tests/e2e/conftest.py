"""The real runtime (aiogram polling over HTTP) against the Bot API emulator.

Each test gets a fresh emulator, a fresh database (an SQLite file; PostgreSQL too when
configured, see ``tests/conftest.py``) and a running bot. At the end every
Bot API call the bot made must have passed the spec check, and every button press must have
been answered.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.context import AppContext
from bot.telegram.runtime import BotRuntime
from models.tables import Person
from sandbox.telegram.chats import SentMessage
from sandbox.telegram.emulator import BotApiSandbox
from sandbox.telegram.users import FakeUser
from services.clock import FixedClock
from services.operations.schedule import run_all
from services.policy_loading import load_pack
from services.roster import invites
from tests.factories import Roster, seed_roster


@dataclass
class Harness:
    sandbox: BotApiSandbox
    ctx: AppContext
    runtime: BotRuntime
    clock: FixedClock
    roster: Roster
    task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """A new runtime on the same database, as a restarted process has."""
        self.runtime = BotRuntime(self.ctx)
        await self.runtime.prepare()
        self.task = asyncio.create_task(self.runtime.run_polling(polling_timeout=1))

    async def crashed(self) -> None:
        """After the running runtime died mid-update: what remains of it is stopped, and a
        new one starts on the same database."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task
        with contextlib.suppress(BaseException):
            await self.runtime.stop()
        await self.start()

    async def invite(self, name: str) -> str:
        """What ``zhucun invite <phone>`` does, for the person of that name: the token."""
        async with await self.ctx.uow() as uow:
            person = await uow.session.get(Person, self.roster.people[name].id)
            assert person is not None
            issued = await invites.issue(uow.session, person, self.clock.now())
            await uow.commit()
        return issued.token

    async def register(self, name: str, language_code: str = "zh-hans") -> FakeUser:
        """A roster person opens their invitation link and is greeted."""
        token = await self.invite(name)
        user = self.sandbox.user(first_name=name[-1], language_code=language_code)
        sent = await user.send(f"/start {token}")
        await self.sandbox.wait_for_message(
            user.chat_id,
            contains="您好" if language_code != "en" else "Hello",
            after=sent["message_id"],
        )
        return user

    async def tick(self) -> dict[str, int]:
        """What the worker's tick does: every sweep as of the clock, then wake the relay."""
        settings = self.ctx.settings
        counts = await run_all(
            await self.ctx.sessions(), load_pack(settings.policy), self.clock.now(), settings.zone
        )
        assert self.runtime.relay is not None
        self.runtime.relay.wake()
        return counts

    async def say(self, user: FakeUser, text: str, *, contains: str | None = None) -> SentMessage:
        """Send a message and return the bot's first answer to it."""
        sent = await user.send(text)
        return await self.sandbox.wait_for_message(
            user.chat_id, contains=contains, after=sent["message_id"]
        )


@pytest.fixture
async def sandbox() -> AsyncIterator[BotApiSandbox]:
    box = BotApiSandbox()  # checks every call against the project's spec (Bot API 10.1)
    await box.start()
    yield box
    await box.stop()


def settings_for(sandbox: BotApiSandbox, database: Path | str) -> Settings:
    """Settings for the bot under test. ``database``: an SQLite file (a Path), or a whole
    database URL (a str, e.g. the ``database_url`` fixture's PostgreSQL database)."""
    url = f"sqlite+aiosqlite:///{database}" if isinstance(database, Path) else database
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=sandbox.token,
        bot_api_url=sandbox.base_url,
        database_url=url,
        bot_username=None,
    )


@pytest.fixture
async def harness(sandbox: BotApiSandbox, database_url: str) -> AsyncIterator[Harness]:
    # database_url (tests/conftest.py) runs each e2e test once per backend: a fresh SQLite
    # file, and on the postgresql leg the session's PostgreSQL database, emptied per test.
    clock = FixedClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    ctx = AppContext(settings=settings_for(sandbox, database_url), clock=clock)
    async with await ctx.uow() as uow:
        roster = await seed_roster(uow.session, clock.now())
        await uow.commit()
    harness = Harness(sandbox, ctx, BotRuntime(ctx), clock, roster)
    await harness.start()
    try:
        yield harness
        await sandbox.drain()
    finally:
        await harness.runtime.stop()
        assert harness.task is not None
        await asyncio.wait_for(harness.task, timeout=10)
        await ctx.close()
    sandbox.assert_no_violations()
    sandbox.assert_callbacks_answered()


# The DingTalk runtime's harness (tests/e2e/dingtalk_world.py), for its tests.
from tests.e2e.dingtalk_world import dingtalk, dingtalk_cards  # noqa: E402, F401
