"""The fuzz test's generator (tests/e2e/fuzz_world.py) at length: many hostile and unlucky
updates through the real runtime and the Bot API emulator, then what went wrong, counted.

    .venv/bin/python bench/fuzz.py                    # 20,000 updates, seed 17
    .venv/bin/python bench/fuzz.py --count 2000 --seed 5

One process: the emulator (spec checks on) and the bot (polling, handle_as_tasks=False as
in production, the outbox relay beside it) on a fresh SQLite file migrated by the real
migrations, seeded with the tests' roster (tests/factories.py). Prints the updates sent
by kind, presses made and answered, ERROR log lines, texts that told a person of a crash
or that nothing was saved, Bot API spec violations, household names in groups, and the
wall time per update, with the first few findings of each kind. Not a test: it prints,
it never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' world and roster

from sqlalchemy import func  # noqa: E402
from sqlmodel import select  # noqa: E402

from bot.context import AppContext  # noqa: E402
from bot.telegram.runtime import BotRuntime  # noqa: E402
from models import migrate  # noqa: E402
from models.db import create_engine  # noqa: E402
from models.presence import LocationReport, Recall, SpotCheck, Training, Trip  # noqa: E402
from models.workflow import LeaveRequest, Visit  # noqa: E402
from sandbox.telegram.emulator import BotApiSandbox  # noqa: E402
from services.clock import FixedClock  # noqa: E402
from tests.e2e import fuzz_checks, fuzz_world  # noqa: E402
from tests.e2e.conftest import Harness, settings_for  # noqa: E402
from tests.factories import seed_roster  # noqa: E402


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def database(folder: Path) -> str:
    url = f"sqlite+aiosqlite:///{folder / 'fuzz.db'}"
    engine = create_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    return url


async def main(args: argparse.Namespace) -> None:
    logs = Collect()
    logging.getLogger().addHandler(logs)
    logging.getLogger().setLevel(logging.WARNING)
    fuzz_world.silence_noisy_loggers()
    with tempfile.TemporaryDirectory() as folder:
        url = await database(Path(folder))
        async with BotApiSandbox() as sandbox:
            clock = FixedClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
            ctx = AppContext(settings=settings_for(sandbox, url), clock=clock)
            async with await ctx.uow() as uow:
                roster = await seed_roster(uow.session, clock.now())
                await uow.commit()
            runtime = BotRuntime(ctx)
            await runtime.prepare()
            task = asyncio.create_task(runtime.run_polling(polling_timeout=1))
            try:
                harness = Harness(sandbox, ctx, runtime, clock, roster)
                fuzzer = await fuzz_world.populate(harness, args.seed)
                started = time.perf_counter()
                await fuzz_world.run(fuzzer, args.count)
                await sandbox.drain(timeout=60)
                await fuzz_checks.settle(harness)
                wall = time.perf_counter() - started
                names = await fuzz_checks.paired_household_names(harness)
                saved = await saved_rows(harness)
            finally:
                await runtime.stop()
                await asyncio.wait_for(task, timeout=10)
                await ctx.close()
    found = fuzz_checks.findings(sandbox, logs.records, names)
    report(fuzzer.tally, sandbox, found, wall, args)
    print("saved: " + ", ".join(f"{n:,} {name}" for name, n in saved.items()))


async def saved_rows(harness: Harness) -> Counter[str]:
    """How deep the run went: what the flows it walked through saved."""
    out: Counter[str] = Counter()
    tables = [LeaveRequest, Visit, Trip, Training, Recall, SpotCheck, LocationReport]
    async with await harness.ctx.uow() as uow:
        for table in tables:
            count = (await uow.session.exec(select(func.count()).select_from(table))).one()
            out[table.__tablename__] = int(count)
    return out


def report(
    tally: fuzz_world.Tally,
    sandbox: BotApiSandbox,
    found: fuzz_checks.Findings,
    wall: float,
    args: argparse.Namespace,
) -> None:
    presses = len(sandbox.callbacks)
    answered = presses - len(sandbox.unanswered_callbacks())
    print(f"seed {args.seed}, SQLite")
    print(f"updates sent      {tally.sent:>8,}")
    for kind, n in tally.actions.most_common():
        print(f"  {kind:<16}{n:>8,}")
    print(f"presses answered  {answered:>8,} of {presses:,}")
    in_groups = sum(1 for m in sandbox.sent() if m.chat_id < 0)
    print(f"bot messages      {len(sandbox.sent()):>8,} ({in_groups:,} in groups)")
    for name, items in vars(found).items():
        print(f"{name:<18}{len(items):>8,}")
    print(f"wall              {wall:>8.1f} s, {1000 * wall / max(tally.sent, 1):.1f} ms per update")
    for name, items in found.problems().items():
        print(f"\nfirst {name}:")
        for item in items[: args.show]:
            print(f"  {item[:300]}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--show", type=int, default=5, help="findings shown of each kind")
    asyncio.run(main(parser.parse_args()))
