"""Outbox relay throughput against the Bot API emulator enforcing Telegram's flood limits.

    .venv/bin/python bench/relay.py              # 10,000 rows to 1,000 chats and 20 groups
    .venv/bin/python bench/relay.py --rows 1000  # a quick check

Rows go round-robin to the chats (a broadcast), are sent by the real relay with its default
settings (Telegram's limits: 1 a second per chat, 20 a minute per group, 29 a second
overall) through the real aiogram client over HTTP to the emulator, which answers 429 to
any send beyond 1/s per chat, 20/min per group or 30/s overall. Prints the rate achieved
as a share of Telegram's 30-a-second ceiling, the 429s (there should be none) and the wall
time, and checks that every row arrived exactly once. Not a test: nothing here is asserted
by the suite, and the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import logging
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.relay.loop import Relay
from bot.relay.settings import RelaySettings
from bot.telegram.sender import TelegramSender
from handlers.notices import Rendered, notice
from locales import Catalogs, Translator
from models import migrate
from models.db import create_engine, session_factory
from sandbox.telegram.emulator import BotApiSandbox
from services.messaging import outbox

TELEGRAM_CEILING = 30.0  # messages a second, all chats together


@notice("bench.echo")
def _echo(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(f"{html.escape(params['text'])} · {t('Yes')}")


class RunningClock:
    """Wall time; the relay's database timestamps need nothing else here."""

    def now(self) -> datetime:
        return datetime.now(UTC)


async def bench(rows: int, chats: int, groups: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="zhucun-bench-"))
    engine = create_engine(f"sqlite+aiosqlite:///{folder / 'bench.db'}")
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    clock = RunningClock()
    async with BotApiSandbox() as sandbox:
        sandbox.enforce_rate_limits(
            per_chat_per_second=1, group_per_minute=20, global_per_second=int(TELEGRAM_CEILING)
        )
        targets = [(sandbox.user().chat_id, False) for _ in range(chats)]
        targets += [(sandbox.group(f"群{i}").chat_id, True) for i in range(groups)]
        async with sessions() as session:
            now = clock.now()
            for n in range(rows):
                chat_id, is_group = targets[n % len(targets)]
                await outbox.enqueue(
                    session,
                    key=f"bench:{n}",
                    chat_id=str(chat_id),
                    is_group=is_group,
                    template="bench.echo",
                    params={"text": f"row {n}"},
                    now=now,
                    channel="telegram",
                )
            await session.commit()

        bot = sandbox.make_bot()
        relay = Relay(sessions, TelegramSender(bot), Catalogs(), clock, RelaySettings())
        started = time.monotonic()
        task = asyncio.create_task(relay.run())
        last_report = started
        while True:
            done = relay.counts.sent + relay.counts.dead + relay.counts.uncertain
            if done >= rows:
                break
            await asyncio.sleep(0.5)
            if time.monotonic() - last_report >= 30:
                last_report = time.monotonic()
                print(f"  {done}/{rows} after {last_report - started:.0f} s", flush=True)
            if task.done():
                task.result()
        wall = time.monotonic() - started
        await relay.stop()
        await task
        await bot.session.close()

        sends = [c for c in sandbox.calls if c.method == "sendMessage"]
        delivered = [c for c in sends if c.ok]
        per_row = Counter(str(c.params["text"]).split(" · ")[0] for c in delivered)
        first, last = min(c.at for c in delivered), max(c.at for c in delivered)
        throttled = [c for c in sends if c.status == 429]
        # The margin under the overall limit: the shortest time in which 31 sends arrived
        # (31 within a second is what earns a 429).
        accepted = sorted(c.at for c in sends if c.status != 429)
        burst = int(TELEGRAM_CEILING) + 1
        tightest = min(
            (accepted[i + burst - 1] - accepted[i] for i in range(len(accepted) - burst + 1)),
            default=float("nan"),
        )
        span = last - first
        rate = (len(delivered) - 1) / span if span > 0 else float("nan")
    await engine.dispose()
    return {
        "rows": rows,
        "chats": chats,
        "groups": groups,
        "sent": relay.counts.sent,
        "dead": relay.counts.dead,
        "uncertain": relay.counts.uncertain,
        "retried": relay.counts.retried,
        "delivered": len(delivered),
        "duplicates": sum(n - 1 for n in per_row.values() if n > 1),
        "missing": rows - len(per_row),
        "429": len(throttled),
        "429_pacing": len(sandbox.rate_limited),
        "429_by_limit": dict(Counter(c.limited_by for c in sandbox.rate_limited)),
        "429_at_s": [round(c.at - first, 1) for c in throttled],
        "tightest_31_s": tightest,
        "wall_s": wall,
        "send_span_s": span,
        "rate": rate,
        "ratio": rate / TELEGRAM_CEILING,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=1_000, help="private chats")
    parser.add_argument("--groups", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    print(
        f"relay bench: {args.rows} rows to {args.chats} chats and {args.groups} groups; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}"
    )
    result = asyncio.run(bench(args.rows, args.chats, args.groups))
    print(
        f"sent {result['sent']} (delivered {result['delivered']}, duplicates "
        f"{result['duplicates']}, missing {result['missing']}, dead {result['dead']}, "
        f"uncertain {result['uncertain']}, retried {result['retried']})"
    )
    print(
        f"429 answers: {result['429']} (from the emulator's flood limits: "
        f"{result['429_pacing']}"
        + (f" {result['429_by_limit']} at {result['429_at_s']} s" if result["429"] else "")
        + ")"
    )
    print(
        f"tightest {TELEGRAM_CEILING + 1:.0f} consecutive sends took "
        f"{result['tightest_31_s']:.3f} s (under 1 s would earn a 429)"
    )
    print(
        f"wall {result['wall_s']:.1f} s; first to last send {result['send_span_s']:.1f} s; "
        f"{result['rate']:.2f} msg/s = {result['ratio']:.1%} of Telegram's "
        f"{TELEGRAM_CEILING:.0f}/s ceiling"
    )
    ok = result["duplicates"] == 0 and result["missing"] == 0 and result["429"] == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
