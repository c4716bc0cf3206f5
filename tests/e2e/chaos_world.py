"""Chaos: the real ``zhucun run`` process, SIGKILLed at random points and restarted, with
faults injected into the Bot API, while cadres and approvers work through the emulator.

Every cadre, at once with the others, logs visits and asks for leave (提交 pressed on the
summary), and their approver approves each request by typing ``同意 #N``. Afterwards the
database and the chats are compared with what was done:

  lost     an effect missing (a visit, a leave request, its decision), or a confirmation,
           approval card or decision notice that never arrived
  doubled  an effect recorded twice, or a card or decision notice delivered twice
  misled   anyone told "nothing was saved" about something that was saved
  given up outbox rows dead or uncertain, by reason

A confirmation the relay sent late says so (（补发）); one that arrived twice because a kill
cut its first send short is counted apart (``replies_twice``), not as doubled. Used by
tests/e2e/test_chaos.py (small, in CI) and bench/chaos.py (bigger, for the table).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from bot.config import Settings
from bot.context import AppContext
from bot.demo import county
from models.enums import LeaveState, OutboxState
from models.tables import ApproverPost, Cadre, ChannelAccount, Household, Pairing, Person
from models.workflow import LeaveRequest, OutboxMessage, Visit
from sandbox.telegram.chats import SentMessage
from sandbox.telegram.emulator import BotApiSandbox
from sandbox.telegram.errors import SandboxTimeout
from sandbox.telegram.users import FakeUser

NOTHING_SAVED = "没有保存"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
LATE = "（补发）"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ChaosPlan:
    database_url: str
    workdir: Path
    cadres: int = 6
    rounds: int = 2
    kills: int = 3
    fault_rate: float = 0.0  # share of sends, edits and press answers that fail or stall
    seed: int = 7
    replicas: int = 0  # 0: one process polling; n: n webhook replicas and a worker
    wait: float = 45.0  # how long a person waits for an answer before calling it lost


@dataclass
class ChaosReport:
    updates: int = 0
    kills: int = 0
    faults: int = 0
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    misled: list[str] = field(default_factory=list)
    given_up: Counter[str] = field(default_factory=Counter)
    replies_twice: int = 0
    cards_twice: int = 0
    webhook_answers: int = 0  # calls that rode in a webhook's answer (replicas at work)
    violations: list[str] = field(default_factory=list)
    unanswered_presses: int = 0
    seconds: float = 0.0

    def clean(self) -> bool:
        return not (
            self.lost
            or self.doubled
            or self.misled
            or self.given_up
            or self.violations
            or self.unanswered_presses
        )


class BotProcess:
    """``zhucun run`` as a process of its own: started, SIGKILLed, started again."""

    def __init__(
        self, env: dict[str, str], cwd: Path, log: Path, args: tuple[str, ...] = ()
    ) -> None:
        self.env, self.cwd, self.log, self.args = env, cwd, log, args
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", *self.args,
                env=self.env, cwd=self.cwd, stdout=out, stderr=out,
            )  # fmt: skip

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 20)
            except TimeoutError:
                await self.kill()


@dataclass
class Worker:
    name: str
    user: FakeUser
    households: list[str]


class Chaos:
    def __init__(self, plan: ChaosPlan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.sandbox = BotApiSandbox()
        self.report = ChaosReport()
        self.users: dict[str, FakeUser] = {}
        self.cadres: list[Worker] = []
        self.done = asyncio.Event()
        self.cards: list[tuple[FakeUser, str, str]] = []  # (approver, leave number, tag)
        self.faults: Any = None
        self.front: Any = None  # the replicas' load balancer (an aiohttp AppRunner)

    async def run(self) -> ChaosReport:
        started = time.monotonic()
        await self.sandbox.start()
        try:
            await self._world()
            bots = await self._processes()
            for bot in bots:
                await bot.start()
            # Kills go to the bots in turn (with replicas, never to the worker: a replica is
            # what a deployment runs several of).
            victims = bots[:-1] if self.plan.replicas else bots
            killer = asyncio.create_task(self._killer(victims))
            try:
                await asyncio.gather(*(self._cadre(w, n) for n, w in enumerate(self.cadres)))
            finally:
                self.done.set()
                await killer
            await self._settle()
            for bot in bots:
                await bot.stop()
            if self.front is not None:
                await self.front.cleanup()
            await self._check()
            self.report.faults = self.faults.count if self.faults is not None else 0
        finally:
            await self.sandbox.stop()
        self.report.seconds = time.monotonic() - started
        return self.report

    # ------------------------------------------------------------------ the world

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZHUCUN_")}
        env.update(
            ZHUCUN_DATABASE_URL=self.plan.database_url,
            ZHUCUN_BOT_TOKEN=self.sandbox.token,
            ZHUCUN_BOT_API_URL=self.sandbox.base_url,
            ZHUCUN_TIMEZONE="Asia/Shanghai",
            # Short holds, so a killed process's replies and sends come back within seconds.
            ZHUCUN_RELAY_LEASE_SECONDS="4",
            ZHUCUN_RELAY_REQUEST_TIMEOUT="3",
            ZHUCUN_RELAY_PER_CHAT_INTERVAL="0.05",
            ZHUCUN_RELAY_POLL_INTERVAL="0.3",
            ZHUCUN_RELAY_MAX_BACKOFF="2",
            ZHUCUN_BACKUP_KEEP="1",
        )
        return env

    async def _world(self) -> None:
        """The demo county in the database; every cadre and approver with Telegram."""
        ctx = AppContext(Settings(_env_file=None, database_url=self.plan.database_url))
        now = datetime.now(UTC)
        try:
            async with await ctx.uow() as uow:
                book = county.write_workbook(self.plan.workdir / "roster.xlsx")
                await county.import_county(uow.session, book, now)
                s = uow.session
                people = {p.id: p for p in (await s.exec(select(Person))).all()}
                approvers = {a.person_id for a in (await s.exec(select(ApproverPost))).all()}
                cadres = (await s.exec(select(Cadre).order_by(col(Cadre.id)))).all()
                chosen = cadres[: self.plan.cadres]
                for person_id in {c.person_id for c in chosen} | approvers:
                    person = people[person_id]
                    user = self.sandbox.user(first_name=person.name[-1])
                    self.users[person.name] = user
                    s.add(
                        ChannelAccount(
                            person_id=person_id, channel="telegram",
                            external_id=str(user.id), chat_id=str(user.chat_id),
                        )
                    )  # fmt: skip
                for cadre in chosen:
                    homes = await s.exec(
                        select(Household.code)
                        .join(Pairing, col(Pairing.household_id) == col(Household.id))
                        .where(Pairing.cadre_id == cadre.id, col(Pairing.ended_at).is_(None))
                    )
                    name = people[cadre.person_id].name
                    self.cadres.append(Worker(name, self.users[name], list(homes.all())))
                await uow.commit()
        finally:
            await ctx.close()
        if self.plan.fault_rate:
            self.faults = self.sandbox.fail_randomly(
                self.plan.fault_rate,
                ("sendMessage", "editMessageText", "answerCallbackQuery"),
                seed=self.plan.seed,
            )

    async def _processes(self) -> list[BotProcess]:
        """One ``zhucun run`` polling; or webhook replicas (``--role bot``) behind a
        round-robin front, and a ``--role worker`` that ticks and sends the outbox."""
        work, env = self.plan.workdir, self._env()
        if not self.plan.replicas:
            return [BotProcess(env, work, work / "bot.log")]
        ports = [_free_port() for _ in range(self.plan.replicas)]
        front = await self._front(ports)
        env["ZHUCUN_WEBHOOK_URL"] = front + "/telegram/webhook"
        env["ZHUCUN_WEBHOOK_SECRET"] = "chaos-secret"
        env["ZHUCUN_WEBHOOK_HOST"] = "127.0.0.1"
        replicas = []
        for n, port in enumerate(ports):
            own = {**env, "ZHUCUN_WEBHOOK_PORT": str(port)}
            replicas.append(BotProcess(own, work, work / f"bot{n}.log", ("--role", "bot")))
        return [*replicas, BotProcess(env, work, work / "worker.log", ("--role", "worker"))]

    async def _front(self, ports: list[int]) -> str:
        """What a load balancer does: each push to the next replica that answers."""
        from aiohttp import ClientError, ClientSession, web

        turn = [0]
        client = ClientSession()

        async def forward(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            for step in range(len(ports)):
                port = ports[(turn[0] + step) % len(ports)]
                try:
                    async with client.post(
                        f"http://127.0.0.1:{port}{request.path}", data=body,
                        headers={k: v for k, v in request.headers.items()
                                 if k.lower() in ("content-type", SECRET_HEADER.lower())},
                    ) as resp:  # fmt: skip
                        turn[0] += 1
                        return web.Response(
                            status=resp.status, body=await resp.read(),
                            content_type=resp.content_type,
                        )  # fmt: skip
                except ClientError:
                    continue
            return web.Response(status=502)

        app = web.Application()
        app.router.add_post("/{tail:.*}", forward)
        app.on_cleanup.append(lambda _: client.close())
        self.front = web.AppRunner(app)
        await self.front.setup()
        port = _free_port()
        await web.TCPSite(self.front, "127.0.0.1", port).start()
        return f"http://127.0.0.1:{port}"

    async def _killer(self, bots: list[BotProcess]) -> None:
        """Kills spread over the run at random moments, each followed by a restart; with
        several bots, each in turn."""
        for n in range(self.plan.kills):
            bot = bots[n % len(bots)]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.done.wait(), self.rng.uniform(1.5, 4.0))
            if self.done.is_set():
                return
            await bot.kill()
            self.report.kills += 1
            await asyncio.sleep(self.rng.uniform(0.1, 1.0))
            await bot.start()

    # ------------------------------------------------------------------ people at work

    async def _answer(
        self, user: FakeUser, after: int, pattern: str, what: str
    ) -> SentMessage | None:
        try:
            return await self.sandbox.wait_for_message(
                user.chat_id, contains=pattern, after=after, timeout=self.plan.wait
            )
        except SandboxTimeout:
            self.report.lost.append(what)
            return None

    async def _send(self, user: FakeUser, text: str) -> int:
        self.report.updates += 1
        return int((await user.send(text))["message_id"])

    async def _cadre(self, worker: Worker, n: int) -> None:
        user = worker.user
        day = date.today() + timedelta(days=20 + n % 5)
        for r in range(self.plan.rounds):
            tag = f"c{n}r{r}"
            home = worker.households[r % len(worker.households)]
            sent = await self._send(user, f"/visit {home} 电话 {tag}")
            answer = await self._answer(user, sent, "走访", f"visit {tag}: reply")
            if answer is not None and "仍要保存" in answer.text:
                # The household was visited earlier today (more rounds than households):
                # the cadre says yes, as one would.
                self.report.updates += 1
                await user.press(answer, "保存")
                await self._answer(user, answer.message_id - 1, "已保存走访", f"visit {tag}: saved")
            when = (day + timedelta(days=7 * r)).strftime("%m-%d")
            sent = await self._send(user, f"/leave {when} {when} 事假 {tag}")
            summary = await self._answer(user, sent, "提交", f"leave {tag}: summary")
            if summary is None:
                continue
            self.report.updates += 1
            await user.press(summary, "提交")
            sent_to = await self._answer(user, summary.message_id, "已送", f"leave {tag}: reply")
            if sent_to is None:
                continue
            found = re.search(r"#(\d+)", sent_to.text)
            approver = re.search(r"（([^（）]+)）审批", summary.text)
            if found is None or approver is None or approver.group(1) not in self.users:
                self.report.lost.append(f"leave {tag}: number or approver not shown")
                continue
            boss, number = self.users[approver.group(1)], found.group(1)
            await self._answer(boss, 0, f"#{number}", f"leave {tag}: card")
            self.cards.append((boss, number, tag))
            # A person reads the card before deciding; an approver typing a dozen decisions
            # a second would be (rightly) slowed down as a flood.
            await asyncio.sleep(self.rng.uniform(0.5, 3.0))
            said = await self._send(boss, f"同意 #{number}")
            told = await self._answer(boss, said, "批准", f"leave {tag}: approver told")
            if told is None:  # what they were told instead, to tell a fault from a rule
                heard = [m.text[:80] for m in self.sandbox.sent(boss) if m.message_id > said]
                self.report.lost.append(f"  (approver heard: {heard[:2]})")
            await self._answer(user, sent_to.message_id, "批准", f"leave {tag}: decision notice")

    async def _settle(self) -> None:
        """Until the outbox has nothing left to send (or the wait runs out)."""
        ctx = AppContext(Settings(_env_file=None, database_url=self.plan.database_url))
        try:
            for _ in range(int(self.plan.wait * 4)):
                async with await ctx.uow() as uow:
                    rows = await uow.session.exec(
                        select(OutboxMessage.id).where(OutboxMessage.state == OutboxState.PENDING)
                    )
                    if not rows.all():
                        return
                await asyncio.sleep(0.25)
        finally:
            await ctx.close()

    # ------------------------------------------------------------------ the reckoning

    async def _check(self) -> None:
        report = self.report
        ctx = AppContext(Settings(_env_file=None, database_url=self.plan.database_url))
        try:
            async with await ctx.uow() as uow:
                s = uow.session
                visits = Counter(v.notes for v in (await s.exec(select(Visit))).all())
                leaves = (await s.exec(select(LeaveRequest))).all()
                left = (
                    await s.exec(
                        select(OutboxMessage).where(
                            col(OutboxMessage.state).in_([OutboxState.DEAD, OutboxState.UNCERTAIN])
                        )
                    )
                ).all()
        finally:
            await ctx.close()
        by_reason = Counter(leave.reason for leave in leaves)
        for n in range(len(self.cadres)):
            for r in range(self.plan.rounds):
                tag = f"c{n}r{r}"
                seen = sum(count for note, count in visits.items() if note and tag in note)
                if seen != 1:
                    (report.lost if seen == 0 else report.doubled).append(f"visit {tag} x{seen}")
                asked = [x for x in leaves if x.reason == tag]
                if by_reason[tag] > 1:
                    report.doubled.append(f"leave {tag} x{by_reason[tag]}")
                if asked and any(x.state != LeaveState.APPROVED for x in asked):
                    report.lost.append(f"leave {tag}: not approved ({asked[0].state})")
        for row in left:
            report.given_up[f"{row.template}: {row.last_error[:60]}"] += 1
        for boss, number, tag in self.cards:
            cards = [
                m.text for m in self.sandbox.sent(boss) if f"#{number}" in m.text and m.buttons()
            ]
            if not cards:
                report.lost.append(f"leave {tag}: card")
            # The same card twice (not a reminder of it): harmless, the second answers 已处理.
            report.cards_twice += any(n > 1 for n in Counter(cards).values())
        for name, user in self.users.items():
            texts = [m.text for m in self.sandbox.sent(user)]
            if any(NOTHING_SAVED in t for t in texts):
                report.misled.append(name)
            # A late reply (（补发）) whose first send had in fact arrived.
            seen = set(texts)
            report.replies_twice += sum(
                1 for t in texts if t.startswith(LATE) and t[len(LATE) :].lstrip() in seen
            )
        report.webhook_answers = sum(1 for c in self.sandbox.calls if c.via == "webhook")
        report.violations = list(self.sandbox.violations)
        # A press whose answer the emulator failed on purpose was answered as far as the
        # bot could: Telegram stops the spinner by itself.
        tried = {
            str(c.params.get("callback_query_id"))
            for c in self.sandbox.calls_to("answerCallbackQuery")
        }
        report.unanswered_presses = sum(
            1 for cb in self.sandbox.unanswered_callbacks() if cb.id not in tried
        )


async def run_chaos(plan: ChaosPlan) -> ChaosReport:
    return await Chaos(plan).run()


def describe(report: ChaosReport) -> dict[str, Any]:
    return {
        "updates": report.updates,
        "kills": report.kills,
        "faults": report.faults,
        "lost": len(report.lost),
        "doubled": len(report.doubled),
        "misled": len(report.misled),
        "given up": dict(report.given_up),
        "replies twice": report.replies_twice,
        "cards twice": report.cards_twice,
        "seconds": round(report.seconds, 1),
    }
