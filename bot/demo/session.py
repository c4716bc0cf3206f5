"""The demo world: the built-in Bot API emulator, the real runtime polling it, a database of
its own holding the demo county, and everyone registered through a real invitation link but
one newcomer (``county.NEWCOMER``), whose link is kept for the tour, or you, to open.

The database is deleted and made again at every start, so every demo begins from the same
county at the same instant (``START``, a Monday morning in Ganzhou). Time then moves only
when told (``advance``): the clock is a ``FixedClock``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.config import Settings
from bot.context import AppContext
from bot.demo import county
from bot.demo.sweeps import NO_SCHEDULE, SweepReport, known_sweeps, schedule_runner
from bot.relay.loop import Relay
from bot.telegram.runtime import BotRuntime
from models.workflow import OutboxMessage
from sandbox.telegram.chats import FakeGroup
from sandbox.telegram.emulator import BotApiSandbox
from sandbox.telegram.errors import SandboxTimeout
from sandbox.telegram.users import FakeUser
from services.clock import FixedClock
from services.messaging import outbox_status
from services.policy_loading import load_pack
from services.roster import invites

log = logging.getLogger(__name__)

START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Beijing, a Monday
DEFAULT_DB = Path("data/demo.db")
DEFAULT_OUT = Path("demo-output")
BOT_USERNAME = "zhucun_demo_bot"
ZONE = ZoneInfo("Asia/Shanghai")  # the demo county is in Ganzhou
COUNTY_GROUP = "赣县区驻村工作群"


_COUNTED = [
    ("townships", "个乡镇"),
    ("villages", "个村"),
    ("cadres", "名驻村干部"),
    ("approver_posts", "个审批岗位"),
    ("households", "户农户"),
    ("pairings", "对结对"),
]


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class DemoWorld:
    """Start it, talk through ``users``/``groups``, ``settle()`` after each step, stop it."""

    def __init__(
        self, db: Path = DEFAULT_DB, out: Path = DEFAULT_OUT, *, policy: str = "ganzhou-2021"
    ) -> None:
        self.db = db
        self.out = out
        self.policy = policy
        self.clock = FixedClock(START)
        self.people = {p.name: p for p in county.people()}
        self.users: dict[str, FakeUser] = {}
        self.groups: dict[str, FakeGroup] = {}
        # Message dates in the emulator follow the demo's clock, not the wall clock.
        self.sandbox = BotApiSandbox(
            bot_username=BOT_USERNAME, clock=lambda: self.clock.now().timestamp()
        )
        self.ctx: AppContext | None = None
        self.runtime: BotRuntime | None = None
        self._task: asyncio.Task[None] | None = None
        self.roster_path = out / "花名册_赣县区.xlsx"
        self.invitation: str | None = None  # the newcomer's token, for ``/start <token>``
        self.zone = ZONE

    def local_now(self) -> datetime:
        return self.clock.now().astimezone(self.zone)

    def label(self, name: str) -> str:
        """``刘洋（乡镇党委 · 江口镇）``"""
        return f"{name}（{'，'.join(self.people[name].labels)}）"

    def chat_name(self, chat_id: int) -> str:
        for group in self.groups.values():
            if group.chat_id == chat_id:
                return f"群「{group.title}」"
        for name, user in self.users.items():
            if user.chat_id == chat_id:
                return self.label(name)
        return str(chat_id)

    async def start(self, say: Callable[[str], None] = lambda _: None) -> None:
        await self._open_emulator()
        _remove_database(self.db)
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite+aiosqlite:///{self.db}",
            policy=self.policy,
            timezone=ZONE.key,
            # One machine, one emulator: no need to wait a second between two messages.
            relay_per_chat_interval=0.05,
            relay_poll_interval=0.2,
            **self._channel_settings(),
        )
        self.ctx = AppContext(settings=settings, clock=self.clock)
        say(f"数据库 database: {self.db}（每次启动重新创建 recreated at every start）")
        county.write_workbook(self.roster_path)
        async with await self.ctx.uow() as uow:
            result = await county.import_county(uow.session, self.roster_path, self.clock.now())
            await uow.commit()
        made = "、".join(
            f"{result.counts[k].created} {name}" for k, name in _COUNTED if k in result.counts
        )
        say(f"花名册已写入并导入 roster written and imported: {self.roster_path}（{made}）")
        await self._start_bot()
        await self._register_everyone()
        say(self._make_groups())
        # A deployment that had been running would have done its 09:00 sweep already
        # (last month's sheets, this year's training notices): do it now, so moving the
        # clock later brings what is new then, not a backlog from before the demo began.
        report = await self.run_sweeps()
        await self.settle()
        sent = sum(v for v in report.counts.values() if v > 0)
        say(f"09:00 的定时任务已运行（{sent} 项，未显示） the 09:00 sweep already ran")

    # ------------------------------------------------ what a channel's demo world changes

    async def _open_emulator(self) -> None:
        await self.sandbox.start()

    def _channel_settings(self) -> dict[str, Any]:
        return {
            "bot_token": self.sandbox.token,
            "bot_api_url": self.sandbox.base_url,
            "bot_username": BOT_USERNAME,
        }

    async def _start_bot(self) -> None:
        assert self.ctx is not None
        self.runtime = BotRuntime(self.ctx)
        await self.runtime.prepare()
        self._task = asyncio.create_task(self.runtime.run_polling(polling_timeout=1))

    def _make_groups(self) -> str:
        self.groups[COUNTY_GROUP] = self.sandbox.group(COUNTY_GROUP)
        newcomer, token = county.NEWCOMER, self.invitation
        return (
            f"{len(self.users) - 1} 人已通过邀请链接注册 registered through invitation links；"
            f"{newcomer}尚未注册 not registered yet：试试 try /as {newcomer}，再发送 then "
            f"/start {token}（打开邀请链接即发送这一行 what opening the invitation link sends）；"
            f"已建群「{COUNTY_GROUP}」（尚未绑定 not bound yet）"
        )

    def _relay(self) -> Relay | None:
        return self.runtime.relay if self.runtime is not None else None

    async def _invitations(self) -> list[tuple[str, str]]:
        """(name, invitation token) for each person on the roster."""
        assert self.ctx is not None
        async with await self.ctx.uow() as uow:
            tokens = []
            for name in self.people:
                person = await invites.person_by_phone(uow.session, self.people[name].phone)
                tokens.append((name, (await invites.issue(uow.session, person, START)).token))
            await uow.commit()
        return tokens

    async def _check_registered(self, channel: str = "telegram", *, but: str = "") -> None:
        assert self.ctx is not None
        async with await self.ctx.uow() as uow:
            people = await invites.unregistered_people(uow.session, channel)
            missing = [p.name for p in people if p.name != but]
        if missing:
            raise SandboxTimeout(f"not registered: {', '.join(missing)}")

    async def _register_everyone(self) -> None:
        """What ``zhucun invite`` and opening the link do, for each person on the roster but
        the newcomer, who has the link and has not opened it yet."""
        for name, token in await self._invitations():
            user = self.sandbox.user(first_name=name, language_code="zh-hans")
            self.users[name] = user
            if name == county.NEWCOMER:
                self.invitation = token
            else:
                await user.send(f"/start {token}")
        await self.settle(timeout=60)
        await self._check_registered(but=county.NEWCOMER)

    async def _emulator_busy(self) -> str | None:
        """What the emulator still waits for from the bot (None: nothing)."""
        if self.sandbox.pending_updates():
            return f"{self.sandbox.pending_updates()} update(s) not handled yet"
        calls = [c.method for c in self.sandbox.calls if c.method != "getUpdates" and not c.done]
        if calls:
            return f"Bot API calls unanswered: {', '.join(calls)}"
        return None

    async def _busy(self) -> str | None:
        """What the bot is still doing (None: nothing; every update handled, every call
        answered, nothing due in the outbox)."""
        assert self.ctx is not None
        busy = await self._emulator_busy()
        if busy is not None:
            return busy
        relay = self._relay()
        if relay is not None and (relay.held or relay.in_flight):
            return f"the relay holds {relay.held} and sends {relay.in_flight} message(s)"
        async with await self.ctx.uow() as uow:
            status = await outbox_status.status(uow.session, self.clock.now(), limit=1)
        if status.due or status.in_flight:
            return f"the outbox has {status.due} due and {status.in_flight} in flight"
        return None

    async def settle(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has handled everything and the outbox has nothing due."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        quiet = 0
        while quiet < 3:  # three looks in a row, 50 ms apart
            busy = await self._busy()
            quiet = quiet + 1 if busy is None else 0
            if self._task is not None and self._task.done():
                self._task.result()  # polling crashed: say why
                raise RuntimeError("the bot stopped polling")
            if busy is not None and loop.time() > deadline:
                raise SandboxTimeout(f"the bot was still busy after {timeout:.0f}s: {busy}")
            await asyncio.sleep(0.05)

    async def run_sweeps(self) -> SweepReport:
        """What the scheduler's tick does, as of the demo clock: every sweep, then the relay
        is woken so what they queued goes out now."""
        assert self.ctx is not None
        pack = load_pack(self.ctx.settings.policy)
        now, zone = self.clock.now(), self.zone
        runner = schedule_runner()
        if runner is not None:
            report = SweepReport(dict(await runner(await self.ctx.sessions(), pack, now, zone)))
        else:
            report = SweepReport(
                await known_sweeps(await self.ctx.uow(), pack, now, zone), note=NO_SCHEDULE
            )
        relay = self._relay()
        if relay is not None:
            relay.wake()
        return report

    async def advance(self, to: datetime) -> SweepReport:
        """Move the clock to ``to``, run the sweeps, and wait for what they sent."""
        self.clock.set(to)
        report = await self.run_sweeps()
        await self.settle()
        return report

    async def outbox_rows(self) -> dict[tuple[int, int], int]:
        """(chat, message id) → outbox row id, for every message the relay sent."""
        assert self.ctx is not None
        async with await self.ctx.uow() as uow:
            rows = await uow.session.exec(
                select(OutboxMessage.chat_id, OutboxMessage.sent_message_id, OutboxMessage.id)
            )
            # The sandbox is Telegram's: its chat and message ids are integers.
            return {(int(c), int(m)): i for c, m, i in rows if m is not None and i is not None}

    async def _stop_bot(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()

    async def stop(self) -> None:
        await self._stop_bot()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except Exception as exc:  # shutting down: report, do not mask the real outcome
                log.warning("polling ended with %s", type(exc).__name__)
        if self.ctx is not None:
            await self.ctx.close()
        await self._close_emulator()

    async def _close_emulator(self) -> None:
        await self.sandbox.stop()
