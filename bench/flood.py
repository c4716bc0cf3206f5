"""Flood control under load: does everyone else keep their answer time while one sender
floods the bot with 50 messages a second?

    .venv/bin/python bench/flood.py               # 10 s of flood, 12 people asking meanwhile
    .venv/bin/python bench/flood.py --seconds 3   # a quick look

The real ``zhucun run`` (its own process, polling the Bot API emulator, SQLite) serves the
demo county. Twelve registered cadres each send /whoami every second and time the answer,
first in calm, then while a stranger, and then a registered cadre, send 50 messages a second.
Prints the others' median and 95th-percentile answer times in each phase and their ratio
to calm, and what became of the flood: handled, or dropped before any database work (the
bot's log counts those). Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the suite's chaos world

from sandbox.telegram.users import FakeUser
from tests.e2e.chaos_world import Chaos, ChaosPlan


async def _ask(chaos: Chaos, user: FakeUser, seconds: float, times: list[float]) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        sent = await user.send("/whoami")
        await chaos.sandbox.wait_for_message(user.chat_id, after=sent["message_id"], timeout=60)
        times.append(time.monotonic() - started)
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


async def _flood(user: FakeUser, seconds: float, rate: float) -> int:
    sent, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        await user.send(f"刷屏 {sent}")
        sent += 1
        await asyncio.sleep(1 / rate)
    return sent


def _figures(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return {"answers": len(times), "median ms": round(statistics.median(ordered) * 1000, 1),
            "p95 ms": round(p95 * 1000, 1)}  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--people", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        plan = ChaosPlan(f"sqlite+aiosqlite:///{work / 'flood.db'}", work,
                         cadres=args.people + 1, kills=0)  # fmt: skip
        chaos = Chaos(plan)
        await chaos.sandbox.start()
        try:
            await chaos._world()
            (bot,) = await chaos._processes()
            await bot.start()
            people = [w.user for w in chaos.cadres]
            flooding_cadre, askers = people[0], people[1:]
            stranger = chaos.sandbox.user(first_name="陌")
            calm: list[float] = []
            await _ask(chaos, askers[0], 3.0, [])  # the bot is up and warm
            await asyncio.gather(*(_ask(chaos, u, args.seconds, calm) for u in askers))
            rows = {"calm": _figures(calm)}
            for name, flooder in (("stranger floods", stranger), ("cadre floods", flooding_cadre)):
                times: list[float] = []
                results = await asyncio.gather(
                    _flood(flooder, args.seconds, 50.0),
                    *(_ask(chaos, u, args.seconds, times) for u in askers),
                )
                await asyncio.sleep(2.0)
                figures = _figures(times)
                figures["flood sent"] = results[0]
                figures["told to slow down"] = sum(
                    "太快" in m.text for m in chaos.sandbox.sent(flooder)
                )
                figures["median vs calm"] = round(
                    figures["median ms"] / rows["calm"]["median ms"], 2
                )
                rows[name] = figures
            await bot.stop()
            dropped = (work / "bot.log").read_text(errors="replace").count("its sender floods")
        finally:
            await chaos.sandbox.stop()
    for name, figures in rows.items():
        print(json.dumps({"phase": name, **figures}, ensure_ascii=False))
    print(json.dumps({"flood updates dropped before the database": dropped}))


if __name__ == "__main__":
    asyncio.run(main())
