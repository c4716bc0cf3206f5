"""``zhucun run``: the bot (long polling), the outbox relay and the scheduler.

``--role all`` (the default) runs everything in one process. ``--role bot`` runs polling
and the relay; ``--role worker`` the scheduler's ticks and a relay (a relay must run
somewhere; two share the outbox safely). Of several workers only the one holding the
PostgreSQL worker lock ticks (bot/worker.py); an SQLite deployment runs one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from typing import TYPE_CHECKING

from bot.commands.base import CliError, Subparsers, add
from bot.context import AppContext

if TYPE_CHECKING:
    from bot.telegram.runtime import BotRuntime
    from bot.telegram.webhook import WebhookServer
    from bot.worker import Worker

NO_TOKEN = (
    "ZHUCUN_BOT_TOKEN is not set: put the token from @BotFather in the environment "
    "or in .env (see README, 'Running for real')"
)
ROLES = ("all", "bot", "worker")


async def _serve(
    runtime: BotRuntime | None, worker: Worker | None, webhook: WebhookServer | None = None
) -> None:
    """Run the parts until one of them ends (a stop, or a failure), then stop the other."""
    tasks = []
    if runtime is not None:
        tasks.append(asyncio.create_task(runtime.run_polling(), name="polling"))
    if webhook is not None:
        tasks.append(asyncio.create_task(webhook.run(), name="webhook"))
    if worker is not None:
        tasks.append(asyncio.create_task(worker.run(), name="worker"))
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    if worker is not None:
        await worker.stop()
    if runtime is not None:
        await runtime.stop()
    if webhook is not None:
        await webhook.stop()
    await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        task.result()  # a part that failed fails the command


async def _run(args: argparse.Namespace, ctx: AppContext) -> int:
    if ctx.settings.token is None:
        if args.role == "all":
            # No token: the offline demo, so a newcomer sees what the bot does at once.
            from bot.commands.demo import NO_TOKEN_BANNER, run_demo

            return await run_demo(ctx, None, banner=NO_TOKEN_BANNER)
        raise CliError(NO_TOKEN)  # every role sends: the relay runs in each
    # aiogram takes seconds to import; nobody should wait that long to hear "set the token".
    from aiogram.exceptions import TelegramBadRequest, TelegramUnauthorizedError
    from aiogram.utils.token import TokenValidationError

    from bot.telegram.runtime import BotRuntime
    from bot.telegram.webhook import WebhookServer
    from bot.telegram.webhook_config import WebhookConfigError
    from bot.worker import Worker

    logging.getLogger().setLevel(logging.INFO)
    await ctx.engine()  # create and migrate before the first update arrives
    runtime: BotRuntime | None = None
    worker: Worker | None = None
    webhook: WebhookServer | None = None
    try:
        if args.role in ("all", "bot") and ctx.settings.webhook_url:
            # Webhook mode (bot/telegram/webhook.py). Its replicas send no outbox: a worker does,
            # or this process itself with --role all.
            webhook = WebhookServer(ctx, run_relay=args.role == "all")
        elif args.role in ("all", "bot"):
            runtime = BotRuntime(ctx)
        if args.role == "worker":
            worker = Worker(ctx, own_relay=True)
    except TokenValidationError as exc:
        raise CliError(
            "ZHUCUN_BOT_TOKEN is malformed: expected 123456:ABC... from @BotFather"
        ) from exc
    except WebhookConfigError as exc:
        raise CliError(str(exc)) from exc

    async def stop() -> None:
        if worker is not None:
            await worker.stop()
        if runtime is not None:
            await runtime.stop()
        if webhook is not None:
            await webhook.stop()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(stop()))
    try:
        if runtime is not None:
            await runtime.prepare()
            if args.role == "all":  # the scheduler beside the bot: wake the bot's relay
                assert runtime.relay is not None
                worker = Worker(ctx, runtime.catalogs, wake=runtime.relay.wake)
        if webhook is not None and args.role == "all":
            worker = Worker(ctx, webhook.catalogs, wake=webhook.wake)
        if worker is not None:
            await worker.prepare()
        await _serve(runtime, worker, webhook)
    except TelegramUnauthorizedError as exc:
        raise CliError(
            "Telegram refused ZHUCUN_BOT_TOKEN (401 Unauthorized): check the token"
        ) from exc
    except TelegramBadRequest as exc:  # setWebhook refused the URL
        raise CliError(f"Telegram refused ZHUCUN_WEBHOOK_URL: {exc.message}") from exc
    finally:
        await stop()
    return 0


def register(sub: Subparsers) -> None:
    parser = add(
        sub,
        "run",
        _run,
        "run the bot (the default when zhucun is called with no command): polling, the "
        "outbox relay and the scheduler",
    )
    parser.add_argument(
        "--role",
        choices=ROLES,
        default="all",
        help="all: everything in one process (default); bot: polling and the relay; "
        "worker: the scheduler and the relay (one worker ticks at a time)",
    )
