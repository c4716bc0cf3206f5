"""``zhucun run``: the bot (long polling)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from bot.commands.base import CliError, Subparsers, add
from bot.context import AppContext

NO_TOKEN = (
    "ZHUCUN_BOT_TOKEN is not set: put the token from @BotFather in the environment "
    "or in .env (see README, 'Running for real')"
)


async def _run(args: argparse.Namespace, ctx: AppContext) -> int:
    if ctx.settings.token is None:
        raise CliError(NO_TOKEN)
    # aiogram takes seconds to import; nobody should wait that long to hear "set the token".
    from aiogram.exceptions import TelegramUnauthorizedError
    from aiogram.utils.token import TokenValidationError

    from bot.runtime import BotRuntime

    logging.getLogger().setLevel(logging.INFO)
    await ctx.engine()  # create and migrate before the first update arrives
    try:
        runtime = BotRuntime(ctx)
    except TokenValidationError as exc:
        raise CliError(
            "ZHUCUN_BOT_TOKEN is malformed: expected 123456:ABC... from @BotFather"
        ) from exc
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(runtime.stop()))
    try:
        await runtime.prepare()
        await runtime.run_polling()
    except TelegramUnauthorizedError as exc:
        raise CliError(
            "Telegram refused ZHUCUN_BOT_TOKEN (401 Unauthorized): check the token"
        ) from exc
    finally:
        await runtime.stop()
    return 0


def register(sub: Subparsers) -> None:
    add(sub, "run", _run, "run the bot (the default when zhucun is called with no command)")
