"""Two webhook replicas and one worker on one PostgreSQL database, for real.

The replicas are separate processes (``replica_main`` below), each with its own
dispatcher, bot session and engine. A tiny round-robin proxy in this test stands for the
load balancer: it is the URL the Bot API emulator pushes to, and it sends every fifth
update to the *other* replica a second time after the first answered, as Telegram does
when it did not hear the answer. The worker (scheduler ticks and the one outbox relay)
runs in the test process.

Twenty cadres register with their invitations, ask /whoami, ask for leave in one line
and press 提交, all at once. Then: both replicas handled updates; every update was
recorded once in the inbox and answered once; every outbox row (the approvers' cards)
was sent exactly once; nothing went wrong, nothing secret was logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
from asyncio.subprocess import Process
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func
from sqlmodel import select

from bot.config import Settings
from bot.context import AppContext
from bot.relay.replies import RODE_WEBHOOK
from bot.telegram.webhook import WebhookServer
from bot.telegram.webhook_config import SECRET_HEADER
from bot.worker import Worker
from models.enums import OutboxState, TeamRole, UnitLevel
from models.tables import Cadre, InboxEntry, Person
from models.workflow import OutboxMessage
from sandbox.telegram.emulator import BotApiSandbox
from sandbox.telegram.users import FakeUser
from services.clock import FixedClock
from services.roster import invites
from tests.factories import Roster, seed_roster

pytestmark = pytest.mark.postgresql_only

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
SECRET = "replicas-share-one_secret"
PATH = "/telegram"
CADRES = 20
WAIT = 60.0  # seconds: a bound on a hang, never a measured expectation
REPLICA = "from tests.pg.test_replicas import replica_main; replica_main()"
EXTRA = "赵钱孙李周吴郑冯陈褚卫蒋沈韩杨朱秦"  # surnames of the cadres added to the roster
SORRY = "处理时出了问题"  # from the apology for an update that failed


# ------------------------------------------------------------------ one replica (a process)


def replica_main() -> None:
    """``python -c "<REPLICA>" NOW``: a webhook replica configured from the environment.
    Prints {"port": ...} once listening and {"ready": true} once the webhook is set;
    stops on SIGTERM."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    asyncio.run(_replica(datetime.fromisoformat(sys.argv[1])))


async def _replica(now: datetime) -> None:
    ctx = AppContext(Settings(), clock=FixedClock(now))
    server = WebhookServer(ctx, host="127.0.0.1", port=0)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await server.start()
    print(json.dumps({"port": server.port}), flush=True)
    try:
        await server.wait_ready(timeout=WAIT)
        print(json.dumps({"ready": True}), flush=True)
        await stop.wait()
    finally:
        await server.stop()
        await ctx.close()


@dataclass
class Replica:
    process: Process
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def line(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), WAIT)
        assert raw, "the replica exited"
        result: dict[str, Any] = json.loads(raw)
        return result

    async def metrics(self, http: aiohttp.ClientSession) -> dict[str, float]:
        return await scrape(http, self.url)

    async def stop(self) -> str:
        """SIGTERM, then its log (stderr)."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(self.process.communicate(), WAIT)
        return err.decode()


async def scrape(http: aiohttp.ClientSession, base: str) -> dict[str, float]:
    """The samples of a server's /metrics."""
    async with http.get(f"{base}/metrics") as resp:
        assert resp.status == 200
        body = await resp.text()
    return {
        name: float(value)
        for name, value in (
            line.split() for line in body.splitlines() if line and not line.startswith("#")
        )
    }


async def start_replicas(env: dict[str, str], count: int) -> list[Replica]:
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            REPLICA,
            NOW.isoformat(),
            env=env,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(count)
    ]
    replicas = []
    for process in processes:
        replica = Replica(process, 0)
        replica.port = int((await replica.line())["port"])
        replicas.append(replica)
    return replicas


# ------------------------------------------------------------------ the load balancer


@dataclass
class RoundRobin:
    """Forwards each push to the next replica; every ``again``-th one is then sent to
    the other replica too (a re-delivery), whose answer is kept for the test to check."""

    targets: list[str] = field(default_factory=list)
    again: int = 5
    forwarded: Counter[str] = field(default_factory=Counter)
    redelivered: list[tuple[int, int, str]] = field(default_factory=list)  # id, status, body
    lost_replies: int = 0  # replies that rode in a first answer Telegram did not hear
    _n: int = 0
    _http: aiohttp.ClientSession | None = None

    async def handle(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        headers = {"Content-Type": "application/json"}
        if SECRET_HEADER in request.headers:
            headers[SECRET_HEADER] = request.headers[SECRET_HEADER]
        n, self._n = self._n, self._n + 1
        first = self.targets[n % len(self.targets)]
        async with self._http.post(first, data=body, headers=headers) as resp:
            status, answer = resp.status, await resp.read()
            content_type = resp.headers.get("Content-Type", "application/json")
        self.forwarded[first] += 1
        if n % self.again == self.again - 1 and status == 200:
            # Telegram delivers an update again only when it did not hear the answer: the
            # first answer (and a reply riding in it) is lost, the second is what it gets.
            other = self.targets[(n + 1) % len(self.targets)]
            if answer.strip() and "method" in json.loads(answer):
                self.lost_replies += 1
            async with self._http.post(other, data=body, headers=headers) as resp:
                status, answer = resp.status, await resp.read()
                self.redelivered.append((json.loads(body)["update_id"], status, answer.decode()))
        return web.Response(status=status, body=answer, headers={"Content-Type": content_type})

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        app = web.Application()
        app.router.add_post(PATH, self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        async with aiohttp.ClientSession() as http:
            self._http = http
            try:
                yield f"http://127.0.0.1:{runner.addresses[0][1]}{PATH}"
            finally:
                await runner.cleanup()


# ------------------------------------------------------------------ the roster


async def seed(ctx: AppContext) -> tuple[Roster, list[str]]:
    """The test roster plus cadres enough for ``CADRES`` in the team; their names."""
    now = ctx.clock.now()
    async with await ctx.uow() as uow:
        roster = await seed_roster(uow.session, now)
        names = [n for n in roster.cadres]
        for i, surname in enumerate(EXTRA[: CADRES - len(names)]):
            name = f"{surname}{'一二三四五六七八九十'[i % 10]}{'明亮'[i // 10]}"
            person = Person(name=name, phone=f"137{i:08d}", created_at=now, updated_at=now)
            uow.session.add(person)
            await uow.session.flush()
            assert person.id is not None and roster.team.id is not None
            assert roster.unit.id is not None
            uow.session.add(
                Cadre(
                    person_id=person.id,
                    team_id=roster.team.id,
                    team_role=TeamRole.MEMBER,
                    is_leader=False,
                    unit_id=roster.unit.id,
                    dispatch_level=UnitLevel.CITY,
                    term_start=date(2025, 6, 1),
                    term_end=date(2027, 5, 31),
                )
            )
            roster.people[name] = person
            names.append(name)
        await uow.commit()
    return roster, names


async def invite(ctx: AppContext, roster: Roster, name: str) -> str:
    async with await ctx.uow() as uow:
        person = await uow.session.get(Person, roster.people[name].id)
        assert person is not None
        issued = await invites.issue(uow.session, person, ctx.clock.now())
        await uow.commit()
    return issued.token


# ------------------------------------------------------------------ the test


async def test_two_replicas_and_a_worker_handle_every_update_once(database_url: str) -> None:
    sandbox = BotApiSandbox()
    await sandbox.start()
    clock = FixedClock(NOW)
    settings = Settings(
        _env_file=None,
        bot_token=sandbox.token,
        bot_api_url=sandbox.base_url,
        database_url=database_url,
        relay_per_chat_interval=0.05,  # twenty cards to one approver, quickly
    )
    ctx = AppContext(settings=settings, clock=clock)
    roster, names = await seed(ctx)
    balancer = RoundRobin()
    worker = Worker(ctx, own_relay=True)
    replicas: list[Replica] = []
    logs: list[str] = []
    async with balancer.serving() as public_url, aiohttp.ClientSession() as http:
        env = {
            "PATH": "/usr/bin:/bin",
            "ZHUCUN_BOT_TOKEN": sandbox.token,
            "ZHUCUN_BOT_API_URL": sandbox.base_url,
            "ZHUCUN_DATABASE_URL": database_url,
            "ZHUCUN_WEBHOOK_URL": public_url,
            "ZHUCUN_WEBHOOK_SECRET": SECRET,
        }
        worker_task: asyncio.Task[None] | None = None
        try:
            replicas = await start_replicas(env, 2)
            balancer.targets = [f"{r.url}{PATH}" for r in replicas]
            for replica in replicas:
                assert await replica.line() == {"ready": True}
            await worker.prepare()
            worker_task = asyncio.create_task(worker.run())

            liu = sandbox.user(first_name="洋")
            sent = await liu.send(f"/start {await invite(ctx, roster, '刘洋')}")
            await sandbox.wait_for_message(liu, contains="您好", after=sent["message_id"])
            tokens = {name: await invite(ctx, roster, name) for name in names}
            users = await asyncio.wait_for(
                asyncio.gather(*(_cadre(sandbox, name, tokens[name]) for name in names)), WAIT
            )
            updates = 1 + 4 * len(users)  # /start, /whoami, /leave, 提交 each

            # The cards go out through the worker's relay.
            await _wait_for(lambda: _all_sent(ctx), "every outbox row sent")
            await sandbox.drain()
            per_replica = [await r.metrics(http) for r in replicas]
        finally:
            await worker.stop()
            if worker_task is not None:
                await worker_task
            for replica in replicas:
                logs.append(await replica.stop())
            await sandbox.stop()

    async with await ctx.uow() as uow:
        inbox = (await uow.session.exec(select(func.count()).select_from(InboxEntry))).one()
        rows = (await uow.session.exec(select(OutboxMessage))).all()
    await ctx.close()

    # Both replicas served, every update was recorded once, re-deliveries changed nothing.
    handled = [m["zhucun_updates_handled_total"] for m in per_replica]
    assert all(h > 0 for h in handled), handled
    assert sum(handled) == updates + len(balancer.redelivered)
    assert all(m["zhucun_update_errors_total"] == 0 for m in per_replica)
    assert inbox == updates
    assert balancer.redelivered and all(
        status == 200 and json.loads(body) == {} for _, status, body in balancer.redelivered
    )
    assert sandbox.pending_updates() == 0

    # Each message and press was answered once; the approvers' cards came once each. A
    # reply that rode in a lost answer came again through the relay, marked as late.
    rows = [r for r in rows if r.last_error != RODE_WEBHOOK]  # rode in an answer heard
    rows_by_chat = Counter(int(r.chat_id) for r in rows)
    late = Counter(int(r.chat_id) for r in rows if r.template == "reply")
    assert balancer.lost_replies > 0 and sum(late.values()) == balancer.lost_replies
    for user in users:
        messages = sandbox.sent(user)
        assert not [m for m in messages if SORRY in m.text], [m.text for m in messages]
        # Greeting, /whoami, the leave's summary, "已送…": four (a lost one came late
        # through the outbox), plus the chat's other outbox rows.
        assert len(messages) == 4 + rows_by_chat[user.chat_id] - late[user.chat_id], [
            m.text for m in messages
        ]
        assert sum(m.text.startswith("（补发）") for m in messages) == late[user.chat_id]
    cards = [r for r in rows if r.template.startswith("leave")]
    assert len(cards) == CADRES
    assert all(r.state == OutboxState.SENT for r in rows), Counter(r.state for r in rows)
    sent_ids = Counter((int(r.chat_id), int(r.sent_message_id or 0)) for r in rows)
    assert max(sent_ids.values()) == 1
    for chat_id, message_id in sent_ids:
        assert message_id in {m.message_id for m in sandbox.sent(chat_id)}
    assert worker.relay is not None and worker.relay.counts.sent == len(rows)
    delivered = {chat for chat in rows_by_chat}
    for chat in delivered:  # nothing beyond the direct answers and the rows, anywhere
        direct = 1 if chat == liu.chat_id else 4
        assert len(sandbox.sent(chat)) == direct + rows_by_chat[chat] - late[chat]

    sandbox.assert_no_violations()
    sandbox.assert_callbacks_answered()
    for log in logs:
        assert "Traceback" not in log, log
        assert sandbox.token.split(":")[1] not in log and SECRET not in log


async def _cadre(sandbox: BotApiSandbox, name: str, token: str) -> FakeUser:
    """One cadre's whole session: register, /whoami, one-line leave, 提交."""
    user = sandbox.user(first_name=name[-1])
    sent = await user.send(f"/start {token}")
    await sandbox.wait_for_message(user, contains="您好", after=sent["message_id"], timeout=WAIT)
    sent = await user.send("/whoami")
    await sandbox.wait_for_message(user, contains=name, after=sent["message_id"], timeout=WAIT)
    sent = await user.send("/leave 12-01 12-03 事假 家中有事")
    summary = await sandbox.wait_for_message(user, after=sent["message_id"], timeout=WAIT)
    assert summary.buttons() == [["提交", "取消"]], summary.text
    await user.press(summary, "提交")
    await sandbox.wait_for_message(user, contains="已送", after=summary.message_id, timeout=WAIT)
    return user


async def _all_sent(ctx: AppContext) -> bool:
    async with await ctx.uow() as uow:
        rows = (await uow.session.exec(select(OutboxMessage.state))).all()
    return bool(rows) and all(state != OutboxState.PENDING for state in rows)


async def _wait_for(check: Any, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not await check():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


# ------------------------------------------------------------------ a retry racing the original


async def test_the_same_update_at_two_replicas_at_once_is_handled_once_silently(
    database_url: str,
) -> None:
    """Telegram re-sends an update it did not hear answered; behind a load balancer the
    re-delivery can reach the other replica while the first is still handling it."""
    sandbox = BotApiSandbox()
    await sandbox.start()
    servers: list[WebhookServer] = []
    contexts: list[AppContext] = []
    try:
        for _ in range(2):
            settings = Settings(
                _env_file=None,
                bot_token=sandbox.token,
                bot_api_url=sandbox.base_url,
                database_url=database_url,
                webhook_url="http://127.0.0.1:9/telegram",  # Telegram's side is not used here
                webhook_secret=SECRET,
            )
            ctx = AppContext(settings=settings, clock=FixedClock(NOW))
            server = WebhookServer(ctx, host="127.0.0.1", port=0)
            contexts.append(ctx)
            servers.append(server)
            await server.start()
            await server.wait_ready(timeout=WAIT)
        wang = sandbox.user(first_name="芳")
        answers = []
        async with aiohttp.ClientSession() as http:

            async def post(server: WebhookServer, update: dict[str, Any]) -> str:
                async with http.post(
                    f"http://127.0.0.1:{server.port}{PATH}",
                    json=update,
                    headers={SECRET_HEADER: SECRET},
                ) as resp:
                    assert resp.status == 200
                    return await resp.text()

            for n in range(10):
                update = {
                    "update_id": 700_000 + n,
                    "message": {
                        "message_id": n + 1,
                        "date": 1_790_000_000,
                        "chat": {"id": wang.chat_id, "type": "private", "first_name": "芳"},
                        "from": wang.as_user_dict(),
                        "text": "/help",
                        "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                    },
                }
                answers.append(await asyncio.gather(*(post(s, update) for s in servers)))
            metrics = [await scrape(http, f"http://127.0.0.1:{s.port}") for s in servers]
        async with await contexts[0].uow() as uow:
            inbox = (await uow.session.exec(select(func.count()).select_from(InboxEntry))).one()
        assert inbox == 10
        for pair in answers:  # one replica answered, the other stood aside
            assert sorted(json.loads(a).get("method", "") for a in pair) == ["", "sendMessage"]
        assert sandbox.sent(wang) == []  # no apology for a failure that did not happen
        assert sum(m["zhucun_update_errors_total"] for m in metrics) == 0
    finally:
        for server in servers:
            await server.stop()
        for ctx in contexts:
            await ctx.close()
        await sandbox.stop()
