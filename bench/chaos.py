"""Chaos and faults at a bigger scale than the suite's (tests/e2e/test_chaos.py): the real
``zhucun run`` process SIGKILLed and restarted, or a Bot API failing a share of its calls,
while cadres log visits and ask for leave and approvers approve.

    .venv/bin/python bench/chaos.py                       # the table's runs, on SQLite
    .venv/bin/python bench/chaos.py --postgres URL        # the same on PostgreSQL
    .venv/bin/python bench/chaos.py --cadres 4 --rounds 1 # a quick look

Prints one line per run: updates sent, kills, faults injected, then what was lost, doubled,
misled and given up (with reasons), and the harmless duplicates (a card sent again, a late
reply arriving twice). Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the suite's chaos world

from tests.e2e.chaos_world import ChaosPlan, describe, run_chaos


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", help="a PostgreSQL URL (its tables are replaced)")
    args = parser.parse_args()
    runs = [("kills", 10, 0.0, 0), ("faults 20%", 0, 0.2, 0), ("kills + faults 10%", 6, 0.1, 0)]
    if args.postgres:  # webhook replicas need a database they can share
        runs.append(("2 webhook replicas + worker, kills", 8, 0.0, 2))
    for name, kills, rate, replicas in runs:
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            url = args.postgres or f"sqlite+aiosqlite:///{work / 'chaos.db'}"
            if args.postgres:
                await _empty(url)
            plan = ChaosPlan(url, work, cadres=args.cadres, rounds=args.rounds, kills=kills,
                             fault_rate=rate, seed=len(name), wait=90.0,
                             replicas=replicas)  # fmt: skip
            report = await run_chaos(plan)
            print(json.dumps({"run": name, **describe(report)}, ensure_ascii=False), flush=True)
            for what in (*report.lost, *report.doubled, *report.misled):
                print("   ", what)


async def _empty(url: str) -> None:
    """A PostgreSQL database as the run needs it: every table gone (migrated afresh)."""
    from sqlalchemy import text

    from models.db import create_engine

    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
