"""Updates per second through the real bot, against a bare aiogram echo bot, in one run.

    .venv/bin/python bench/throughput.py            # 5,000 /visit one-liners from 500 cadres
    .venv/bin/python bench/throughput.py --small    # 300 from 50, a few seconds
    .venv/bin/python bench/throughput.py --py-spy /path/to/py-spy   # also: where time goes

A county of 500 cadres (teams of 3 or 4 in 143 villages, 1,500 paired households, from
``bench/synthetic.py``) is bulk-written into a fresh SQLite file. The Bot API emulator
(``sandbox.telegram.emulator.BotApiSandbox``, spec checks on) runs in this process; each bot
runs in a child process of its own (the way Telegram and a bot are apart), so its memory is
its own:

A. the real runtime (``bot.telegram.runtime.BotRuntime``: middlewares, identity, handlers, the
   database FSM storage, the outbox relay beside polling), polling with
   ``handle_as_tasks=False`` as in production. The 500 cadres first register for real, each
   sending ``/start <token>`` of an invitation issued through ``services.roster.invites`` (those
   500 updates are timed too, as a warm-up). Then 5,000 updates
   ``/visit <code or name> 入户 一切正常`` (every cadre 10, alternately by household code and
   by the head's name, always one of their own households) are posted at once; the clock
   runs from the first post until ``sandbox.drain()`` (the bot confirmed the last update,
   having answered it): updates per second. Each must be answered: the day's first visit
   to a household saved, a repeat asked about (今天已走访过…, since a cadre has about three
   households and sends ten), checked in the replies and the database.
B. a bare aiogram ``Dispatcher`` with one handler, ``await message.answer(message.text)``,
   polling the same emulator the same way, fed the same 5,000 updates.

Prints both rates and A/B (the issue's aim: at least 0.5), the CPU seconds of the bot and
of the emulator in each phase (the emulator's spec checks are in every request's path),
and the bot's resident memory from ``/proc/<pid>/status``: VmRSS when idle (prepared,
polling, nothing sent yet) and VmHWM, the peak, after the load. With ``--py-spy`` both
processes are sampled during each phase (a separate, slower run: the figures printed with
it are not the ones to quote) and the samples are summarised by package and by stage.
Not a test: nothing here is asserted by the suite.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import json
import logging
import os
import platform
import pstats
import resource
import signal
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Only the standard library at the top: the echo bot's child process runs this file too, and
# its memory must be aiogram's alone (the roster generator pulls in pypinyin's dictionaries).
if TYPE_CHECKING:
    from synthetic import Shape, Synthetic

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # a Monday morning in 2026Q4, Beijing time
POLLING_TIMEOUT = 10
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
HERE = Path(__file__).resolve()


# --- the bots (child processes) --------------------------------------------------------------


class StatementLog:
    """In the runtime's child: every SQL statement, how often and how long (the time from
    SQLAlchemy handing it to the driver until the answer: the trip to aiosqlite's thread and
    SQLite's own work)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.compiled: dict[str, int] = {}  # compiled afresh: not from SQLAlchemy's cache

    def attach(self, sync_engine: Any) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine.default import CACHE_HIT

        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            conn.info.setdefault("bench_started", []).append(time.perf_counter())

        def after(
            conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, *args: Any
        ) -> None:
            started = conn.info["bench_started"].pop()
            key = " ".join(statement.split())[:70]
            self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - started
            self.counts[key] = self.counts.get(key, 0) + 1
            if context is not None and context.cache_hit != CACHE_HIT:
                self.compiled[key] = self.compiled.get(key, 0) + 1

        event.listen(sync_engine, "before_cursor_execute", before)
        event.listen(sync_engine, "after_cursor_execute", after)

    def summary(self) -> dict[str, Any]:
        ranked = sorted(self.counts.items(), key=lambda item: -item[1])
        return {
            "statements": sum(self.counts.values()),
            "seconds": sum(self.seconds.values()),
            "compiled": sum(self.compiled.values()),
            "top": [(key, n, self.seconds[key], self.compiled.get(key, 0)) for key, n in ranked],
        }


async def _serve_stdin(log: StatementLog | None, profile_to: str | None) -> None:
    """Commands from the parent, a line each: "reset" and "report" (answered with one JSON
    line on stdout); end of input means stop. With ``profile_to``, cProfile watches the
    event loop's thread from reset to report and its statistics are written there."""
    loop = asyncio.get_running_loop()
    profiler = cProfile.Profile() if profile_to else None
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        if line.strip() == "reset":
            if log is not None:
                log.seconds.clear()
                log.counts.clear()
            if profiler is not None:
                profiler.enable()
        elif line.strip() == "report":
            if profiler is not None and profile_to:
                profiler.disable()
                profiler.dump_stats(profile_to)
            print(json.dumps(log.summary() if log is not None else {}), flush=True)


async def child_runtime(
    api: str, db: str, token: str, profile_to: str | None, relay: bool = True
) -> None:
    """The real runtime. ``relay=False`` (an ablation, not production): the outbox relay
    still runs, but never claims, so it never touches the database."""
    from bot.config import Settings
    from bot.context import AppContext
    from bot.telegram.runtime import BotRuntime
    from services.clock import FixedClock

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=token,
        bot_api_url=api,
        database_url=f"sqlite+aiosqlite:///{db}",
        bot_username=None,
        log_level="WARNING",
    )
    if not relay:
        from bot.relay.loop import Relay

        async def no_claim(self: Relay, as_of: datetime | None = None) -> int:
            return 0

        Relay._claim = no_claim  # type: ignore[method-assign]
    ctx = AppContext(settings=settings, clock=FixedClock(NOW))
    log = StatementLog()
    log.attach((await ctx.engine()).sync_engine)
    runtime = BotRuntime(ctx)
    await runtime.prepare()
    task = asyncio.create_task(runtime.run_polling(polling_timeout=POLLING_TIMEOUT))
    print("READY", flush=True)
    await _serve_stdin(log, profile_to)
    await runtime.stop()
    await task
    await ctx.close()


async def child_echo(api: str, token: str, profile_to: str | None, db: str | None) -> None:
    """The bare echo bot; with ``db``, each update also commits one row (the inbox's) in a
    transaction of its own first, as a floor for what a database costs per update."""
    from aiogram import Bot, Dispatcher
    from aiogram.client.default import DefaultBotProperties
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.enums import ParseMode
    from aiogram.types import Message, Update

    # The same client settings as bot.telegram.runtime.build_bot.
    session = AiohttpSession(api=TelegramAPIServer.from_base(api))
    bot = Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    dp = Dispatcher()
    log: StatementLog | None = None
    if db is None:

        @dp.message()
        async def echo(message: Message) -> None:
            await message.answer(message.text or "")

    else:
        from models.db import create_engine, session_factory
        from services.messaging.inbox import record_delivery

        engine = create_engine(f"sqlite+aiosqlite:///{db}")
        log = StatementLog()
        log.attach(engine.sync_engine)
        sessions = session_factory(engine)

        @dp.message()
        async def echo_with_row(message: Message, event_update: Update) -> None:
            async with sessions() as db_session:
                await record_delivery(
                    db_session, "telegram", str(event_update.update_id), datetime.now(UTC)
                )
                await db_session.commit()
            await message.answer(message.text or "")

    await bot.get_me()
    await bot.delete_webhook(drop_pending_updates=False)
    task = asyncio.create_task(
        dp.start_polling(
            bot,
            handle_as_tasks=False,
            polling_timeout=POLLING_TIMEOUT,
            allowed_updates=dp.resolve_used_update_types(),
            handle_signals=False,
            close_bot_session=False,
        )
    )
    print("READY", flush=True)
    await _serve_stdin(log, profile_to)
    await dp.stop_polling()
    await task
    await bot.session.close()


# --- measuring a child ---------------------------------------------------------------------


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def proc_cpu(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a process, all its threads."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS


def own_cpu() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


class Child:
    """A bot in a child process: started, measured, stopped."""

    def __init__(self, kind: str, api: str, db: Path, token: str, profile_to: Path | None) -> None:
        self.kind, self.api, self.db, self.token = kind, api, db, token
        self.profile_to = profile_to
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self) -> float:
        started = time.perf_counter()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(HERE),
            "--child",
            self.kind,
            "--api",
            self.api,
            "--db",
            str(self.db),
            "--token",
            self.token,
            *(["--profile-to", str(self.profile_to)] if self.profile_to else []),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 120)
        if line.strip() != b"READY":
            raise RuntimeError(f"the {self.kind} bot did not start: {line!r}")
        return time.perf_counter() - started

    async def command(self, line: str) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()
        if line != "report":
            return {}
        answer: dict[str, Any] = json.loads(await self.proc.stdout.readline())
        return answer

    def threads_cpu(self) -> tuple[float, float]:
        """CPU seconds (user + system) of the main thread, and of all the others."""
        main = other = 0.0
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            with open(task / "stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            seconds = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            if int(task.name) == self.pid:
                main += seconds
            else:
                other += seconds
        return main, other

    async def stop(self) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.close()
        await asyncio.wait_for(self.proc.wait(), 60)


class Sampler:
    """py-spy, recording one process in raw (collapsed-stack) form until stopped."""

    def __init__(self, exe: str | None, pid: int, out: Path) -> None:
        self.exe, self.pid, self.out = exe, pid, out
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Sampler:
        if self.exe:
            self.proc = await asyncio.create_subprocess_exec(
                self.exe,
                "record",
                "--pid",
                str(self.pid),
                "--rate",
                "200",
                "--format",
                "raw",
                "--gil",
                "--output",
                str(self.out),
                stdout=asyncio.subprocess.DEVNULL,
            )
            await asyncio.sleep(1.0)  # attached
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGINT)
            await asyncio.wait_for(self.proc.wait(), 60)


# --- reading py-spy's samples -------------------------------------------------------------

# py-spy names a frame "function (path:line)", the path relative to where it was imported from.
PACKAGES = [
    ("(aiosqlite/", "SQLite (aiosqlite thread)"),
    ("(sqlalchemy/", "SQLAlchemy"),
    ("(sqlmodel/", "SQLAlchemy"),
    ("(aiogram/", "aiogram"),
    ("(pydantic", "pydantic"),
    ("(aiohttp/", "aiohttp"),
    ("(yarl/", "aiohttp"),
    ("(multidict/", "aiohttp"),
    ("(asyncio/", "asyncio"),
    ("(selectors.py", "asyncio"),
    ("(json/", "json"),
    ("(copy.py", "copy (deepcopy)"),
    ("(rapidfuzz/", "name search libraries"),
    ("(pypinyin/", "name search libraries"),
    ("(babel/", "i18n"),
    ("(gettext.py", "i18n"),
    ("(sandbox/telegram/spec/", "emulator: Bot API spec checks"),
    ("(sandbox/telegram/", "emulator: sandbox"),
    ("(throughput.py", "bench harness"),
    ("(services/", "app: services/"),
    ("(handlers/", "app: handlers/"),
    ("(bot/", "app: bot/"),
    ("(models/", "app: models/"),
    ("(locales/", "app: locales/"),
    ("(threading.py", "threads"),
    ("(queue.py", "threads"),
]
EMULATOR_STAGES = [
    ("posting the updates (FakeUser.send)", "FakeUser.send"),
    ("HTTP server (aiohttp request handling)", "RequestHandler"),
    ("  one Bot API call (_process)", "BotApiSandbox._process"),
    ("    spec check (SpecChecker)", "SpecChecker."),
    ("    getUpdates", "_get_updates"),
    ("    sendMessage (incl. HTML parsing)", "_send_message"),
    ("  JSON response", "_json_response"),
    ("  reading the request", "_read_request"),
]


def summarise(path: Path, stages: list[tuple[str, str]], title: str) -> None:
    if not path.exists():
        print(f"  ({title}: no samples)")
        return
    by_package: collections.Counter[str] = collections.Counter()
    by_leaf: collections.Counter[str] = collections.Counter()
    by_stage: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        leaf = frames[-1]
        by_package[next((name for key, name in PACKAGES if key in leaf), "other")] += n
        by_leaf[leaf] += n
        for name, marker in stages:
            if any(marker in frame for frame in frames):
                by_stage[name] += n
    if not total:
        print(f"  ({title}: no samples)")
        return
    print(f"  {title}: {total:,} samples (200 a second, while it held the GIL)")
    print("    by package of the running frame:")
    for name, n in by_package.most_common(10):
        print(f"      {n / total:6.1%}  {name}")
    if stages:
        print("    by stage (inclusive):")
    for name, _ in stages:
        print(f"      {by_stage[name] / total:6.1%}  {name}")
    print("    the busiest frames:")
    for leaf, n in by_leaf.most_common(6):
        print(f"      {n / total:6.1%}  {leaf}")


# --- the run -------------------------------------------------------------------------------


def _minus(after: tuple[float, float], before: tuple[float, float]) -> tuple[float, float]:
    return after[0] - before[0], after[1] - before[1]


@dataclass
class Phase:
    name: str
    updates: int
    wall: float
    bot_cpu: tuple[float, float]  # user, system seconds
    emulator_cpu: tuple[float, float]
    answered: int
    idle_rss_kb: int
    idle_hwm_kb: int
    peak_kb: int
    start_seconds: float
    threads: tuple[float, float]  # CPU seconds: the bot's main thread, its other threads
    sql: dict[str, Any]  # the runtime's statements (StatementLog.summary)

    @property
    def rate(self) -> float:
        return self.updates / self.wall


async def build_roster(shape: Shape, folder: Path) -> tuple[Path, Synthetic, list[str]]:
    """The roster in a fresh SQLite file; returns it with one invitation token per cadre."""
    from sqlmodel import col, select
    from synthetic import SqliteWriter, Synthetic

    from models import migrate
    from models.db import UnitOfWork, create_engine, session_factory
    from models.tables import Person
    from services.roster import invites

    db = folder / "bench.db"
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    await migrate.upgrade(engine)
    synthetic = Synthetic(shape)
    writer = SqliteWriter(str(db))
    for rows in synthetic.tables():
        writer.write(rows)
    writer.close()
    sessions = session_factory(engine)
    async with UnitOfWork(sessions) as uow:
        people = (
            await uow.session.exec(
                select(Person).where(col(Person.id) <= shape.cadres).order_by(col(Person.id))
            )
        ).all()
        tokens = [(await invites.issue(uow.session, person, NOW)).token for person in people]
        await uow.commit()
    await engine.dispose()
    return db, synthetic, tokens


def visit_texts(synthetic: Synthetic, cadres: int, updates: int) -> list[tuple[int, str]]:
    """(cadre index, text): every cadre in turn, one of their households, code or name."""
    own = [synthetic.households_of_cadre(c) for c in range(cadres)]
    out = []
    for k in range(updates):
        cadre = k % cadres
        households = own[cadre]
        household = households[(k // cadres) % len(households)]
        target = (
            synthetic.household_code(household) if k % 2 == 0 else synthetic.head_name(household)
        )
        out.append((cadre, f"/visit {target} 入户 一切正常"))
    return out


async def count_rows(db: Path) -> tuple[int, int]:
    """(registered cadres, visits) in the database."""
    from sqlmodel import func, select

    from models.db import UnitOfWork, create_engine, session_factory
    from models.tables import ChannelAccount
    from models.workflow import Visit

    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    async with UnitOfWork(session_factory(engine)) as uow:
        registered = (
            await uow.session.exec(select(func.count()).select_from(ChannelAccount))
        ).one()
        visits = (await uow.session.exec(select(func.count()).select_from(Visit))).one()
    await engine.dispose()
    return registered, visits


async def run_phase(
    name: str,
    kind: str,
    sandbox: Any,
    db: Path,
    posts: list[tuple[Any, str]],
    args: argparse.Namespace,
    folder: Path,
    warm_up: list[tuple[Any, str]] | None = None,
) -> Phase:
    profile_to = folder / f"{kind}-bot.pstats" if args.cprofile else None
    child = Child(kind, sandbox.base_url, db, sandbox.token, profile_to)
    start_seconds = await child.start()
    await asyncio.sleep(2.0)  # idle: polling, relay waiting
    idle = proc_status(child.pid)
    if warm_up:
        started = time.perf_counter()
        for user, text in warm_up:
            await user.send(text)
        await sandbox.drain(timeout=600)
        seconds = time.perf_counter() - started
        print(
            f"  warm-up: {len(warm_up):,} real registrations (/start <token>) in {seconds:.1f} s "
            f"= {len(warm_up) / seconds:.0f} updates/s"
        )
    calls_before = len(sandbox.calls)
    await child.command("reset")
    threads = child.threads_cpu()
    bot_cpu, emulator_cpu = proc_cpu(child.pid), own_cpu()
    async with (
        Sampler(args.py_spy, child.pid, folder / f"{kind}-bot.txt"),
        Sampler(args.py_spy, os.getpid(), folder / f"{kind}-emulator.txt"),
    ):
        started = time.perf_counter()
        for user, text in posts:
            await user.send(text)
        await sandbox.drain(timeout=3600)
        wall = time.perf_counter() - started
        bot_cpu = _minus(proc_cpu(child.pid), bot_cpu)
        emulator_cpu = _minus(own_cpu(), emulator_cpu)
        threads = _minus(child.threads_cpu(), threads)
    sql = await child.command("report")
    peak = proc_status(child.pid)
    await child.stop()
    replies = [c for c in sandbox.calls[calls_before:] if c.method == "sendMessage" and c.ok]
    if kind.startswith("runtime"):
        answered = sum(
            any(said in str(c.params.get("text", "")) for said in ("已保存走访", "今天已走访过"))
            for c in replies
        )
    else:
        answered = len(replies)
    return Phase(
        name=name,
        updates=len(posts),
        wall=wall,
        bot_cpu=bot_cpu,
        emulator_cpu=emulator_cpu,
        answered=answered,
        idle_rss_kb=idle["VmRSS"],
        idle_hwm_kb=idle["VmHWM"],
        peak_kb=peak["VmHWM"],
        start_seconds=start_seconds,
        threads=threads,
        sql=sql,
    )


def report(phase: Phase) -> None:
    per = 1000 / phase.updates
    bot, emulator = sum(phase.bot_cpu), sum(phase.emulator_cpu)
    print(
        f"{phase.name}: {phase.updates:,} updates in {phase.wall:.1f} s = {phase.rate:.1f} "
        f"updates/s; {phase.answered:,} answered as expected\n"
        f"  CPU: bot {bot:.1f} s = {bot * per:.2f} ms/update (system "
        f"{phase.bot_cpu[1] * per:.2f}), emulator and poster {emulator:.1f} s = "
        f"{emulator * per:.2f} ms/update (system {phase.emulator_cpu[1] * per:.2f})\n"
        f"  bot CPU by thread: main (event loop) {phase.threads[0] * per:.2f} ms/update, "
        f"others (aiosqlite's, SQLite itself) {phase.threads[1] * per:.2f} ms/update\n"
        f"  memory: idle VmRSS {phase.idle_rss_kb / 1024:.0f} MB (VmHWM so far "
        f"{phase.idle_hwm_kb / 1024:.0f} MB, started in {phase.start_seconds:.1f} s); "
        f"peak under load VmHWM {phase.peak_kb / 1024:.0f} MB"
    )
    if phase.sql:
        print(
            f"  SQL: {phase.sql['statements'] / phase.updates:.1f} statements/update "
            f"({phase.sql['compiled'] / phase.updates:.1f} compiled afresh, not from "
            f"SQLAlchemy's cache), {phase.sql['seconds'] * per:.2f} ms/update from handing "
            "each to the driver to its answer; the most frequent:"
        )
        for key, count, seconds, compiled in phase.sql["top"][:24]:
            if count * 10 >= phase.updates:
                fresh = f" (compiled afresh {compiled:,}x)" if compiled else ""
                print(
                    f"    {count / phase.updates:5.2f}/update {seconds * per:6.2f} ms/update  "
                    f"{key}{fresh}"
                )


async def bench(args: argparse.Namespace, folder: Path, samples: Path) -> None:
    from synthetic import Shape

    from sandbox.telegram.emulator import BotApiSandbox

    cadres, updates = (50, 300) if args.small else (args.cadres, args.updates)
    shape = Shape(
        counties=1,
        cadres=cadres,
        households=cadres * 3,
        visits=0,
        townships_per_county=max(1, cadres // 50),
        units_per_county=20,
        registered=0.0,
    )
    started = time.perf_counter()
    db, synthetic, tokens = await build_roster(shape, folder)
    print(
        f"roster: {cadres:,} cadres in {shape.villages:,} villages, {shape.households:,} "
        f"paired households, {len(tokens):,} invitations ({time.perf_counter() - started:.1f} s)"
    )
    texts = visit_texts(synthetic, cadres, updates)
    async with BotApiSandbox() as sandbox:
        users = [sandbox.user(first_name=synthetic.person_name(i + 1)[-1]) for i in range(cadres)]
        registrations = [(users[i], f"/start {token}") for i, token in enumerate(tokens)]
        posts = [(users[cadre], text) for cadre, text in texts]
        a = await run_phase(
            "A  real runtime", "runtime", sandbox, db, posts, args, samples, registrations
        )
        registered, visits = await count_rows(db)
        print(f"  database: {registered:,} people registered, {visits:,} visits saved")
        report(a)
        b = await run_phase("B  echo bot", "echo", sandbox, db, posts, args, samples)
        report(b)
        c = await run_phase("C  echo bot + one row", "db-echo", sandbox, db, posts, args, samples)
        report(c)
        if args.without_relay:
            r = await run_phase(
                "A' real runtime, relay never claiming", "runtime-no-relay", sandbox, db,
                posts, args, samples,
            )  # fmt: skip
            report(r)
            print(
                f"  A/A' = {a.rate / r.rate:.2f}: the relay's claims cost "
                f"{1 - a.rate / r.rate:.0%} of A's rate"
            )
        violations = len(sandbox.violations)
    print(
        f"\nA/B = {a.rate:.1f} / {b.rate:.1f} updates/s = {a.rate / b.rate:.2f} "
        f"(the issue's aim: at least 0.5); Bot API spec violations: {violations}"
    )
    print(
        f"(not in the issue) A/C = {a.rate / c.rate:.2f}: against an echo bot that also "
        f"commits one row per update; C/B = {c.rate / b.rate:.2f}"
    )
    print(
        f"memory, VmRSS idle / VmHWM under load: runtime {a.idle_rss_kb / 1024:.0f} / "
        f"{a.peak_kb / 1024:.0f} MB, echo bot {b.idle_rss_kb / 1024:.0f} / "
        f"{b.peak_kb / 1024:.0f} MB; the emulator's process peaked at "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    if args.cprofile:
        for kind in ("runtime", "echo", "db-echo"):
            print(f"\ncProfile of the {kind} bot's event loop thread (a slower, profiled run):")
            stats = pstats.Stats(str(samples / f"{kind}-bot.pstats"))
            stats.sort_stats("tottime").print_stats(args.cprofile_lines)
    if args.py_spy:
        print("\nwhere the time goes (py-spy; a profiled run, slower than the figures above):")
        for kind, title in (("runtime", "A"), ("echo", "B"), ("db-echo", "C")):
            summarise(samples / f"{kind}-bot.txt", [], f"{title}, the bot (holding the GIL)")
            summarise(samples / f"{kind}-emulator.txt", EMULATOR_STAGES, f"{title}, the emulator")


def machine() -> str:
    model = "?"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        ram = int(meminfo.readline().split()[1]) / 2**20
    return (
        f"{os.cpu_count()} CPUs ({model}), {ram:.0f} GiB RAM, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{time.strftime('%Y-%m-%d')}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="50 cadres, 300 updates")
    parser.add_argument("--cadres", type=int, default=500)
    parser.add_argument("--updates", type=int, default=5_000)
    parser.add_argument(
        "--without-relay",
        action="store_true",
        help="also run A with the relay never claiming (an ablation: what the relay costs)",
    )
    parser.add_argument("--py-spy", metavar="EXE", help="sample both processes with py-spy")
    parser.add_argument("--samples", metavar="DIR", help="keep py-spy's raw samples there")
    parser.add_argument(
        "--cprofile", action="store_true", help="profile each bot's event loop thread (cProfile)"
    )
    parser.add_argument("--cprofile-lines", type=int, default=25)
    parser.add_argument("--profile-to", help=argparse.SUPPRESS)
    parser.add_argument(
        "--child",
        choices=("runtime", "runtime-no-relay", "echo", "db-echo"),
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.child in ("runtime", "runtime-no-relay"):
        relay = args.child == "runtime"
        asyncio.run(child_runtime(args.api, args.db, args.token, args.profile_to, relay))
        return
    if args.child == "echo":
        asyncio.run(child_echo(args.api, args.token, args.profile_to, None))
        return
    if args.child == "db-echo":
        asyncio.run(child_echo(args.api, args.token, args.profile_to, args.db))
        return
    print(f"throughput bench: {machine()}")
    with tempfile.TemporaryDirectory(prefix="zhucun-throughput-") as folder:
        samples = Path(args.samples) if args.samples else Path(folder)
        samples.mkdir(parents=True, exist_ok=True)
        asyncio.run(bench(args, Path(folder), samples))


if __name__ == "__main__":
    main()
