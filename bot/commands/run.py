"""``zhucun run``: every configured channel (Telegram by long polling or webhook, DingTalk
by its Stream connection), each with its outbox relay, and the scheduler, over one database.

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
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from bot.cli_language import t
from bot.commands.base import CliError, Subparsers, add
from bot.context import AppContext
from bot.logs import level_of
from locales import N_

if TYPE_CHECKING:
    from bot.telegram.runtime import BotRuntime

NO_TOKEN = N_(
    "ZHUCUN_BOT_TOKEN is not set: put the token from @BotFather in the environment "
    "or in .env (see README, 'Running for real')"
)
NO_DINGTALK_SECRET = N_(
    "ZHUCUN_DINGTALK_CLIENT_ID is set but ZHUCUN_DINGTALK_CLIENT_SECRET is not: put the "
    "app's client secret in the environment or in .env (see README, 'DingTalk')"
)
BAD_DINGTALK_CREDENTIALS = N_(
    "DingTalk refused the app's client id or secret: check ZHUCUN_DINGTALK_CLIENT_ID and "
    "ZHUCUN_DINGTALK_CLIENT_SECRET"
)
UNREACHABLE = N_(
    "cannot reach {messenger} at {host} ({error}): check the network or the proxy; "
    "`zhucun doctor` checks everything"
)
ROLES = ("all", "bot", "worker")


class _Part(Protocol):
    async def run(self) -> None: ...
    async def stop(self) -> None: ...


async def _serve(parts: list[tuple[str, _Part]]) -> None:
    """Run the parts until one of them ends (a stop, or a failure), then stop the others."""
    tasks = [asyncio.create_task(part.run(), name=name) for name, part in parts]
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for _, part in reversed(parts):
        await part.stop()
    await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        task.result()  # a part that failed fails the command


class _Polling:
    """The Telegram runtime as a part: polling (with its relay) until stopped."""

    def __init__(self, runtime: BotRuntime) -> None:
        self.runtime = runtime

    async def run(self) -> None:
        await self.runtime.run_polling()

    async def stop(self) -> None:
        await self.runtime.stop()


def _wake_all(relays: list[Callable[[], None]]) -> Callable[[], None]:
    def wake() -> None:
        for one in relays:
            one()

    return wake


async def _run(args: argparse.Namespace, ctx: AppContext) -> int:
    settings = ctx.settings
    telegram, dingtalk = settings.token is not None, settings.dingtalk
    if settings.dingtalk_client_id and not settings.dingtalk_client_secret:
        raise CliError(t(NO_DINGTALK_SECRET))
    if not telegram and not dingtalk:
        if args.role == "all":
            # No channel: the offline demo, so a newcomer sees what the bot does at once.
            from bot.commands.demo import NO_TOKEN_BANNER, run_demo

            return await run_demo(ctx, None, banner=t(NO_TOKEN_BANNER))
        raise CliError(t(NO_TOKEN))  # every role sends: the relay runs in each
    # ZHUCUN_LOG_LEVEL, DEBUG included (the offline demo above quiets the root itself).
    logging.getLogger().setLevel(level_of(settings.log_level))
    await ctx.engine()  # create and migrate before the first update arrives
    try:
        return await _serve_all(args, ctx)
    except Exception as exc:
        problem = unreachable(exc, ctx)
        if problem is None:
            raise
        raise CliError(problem, 1) from exc


def unreachable(exc: BaseException, ctx: AppContext) -> str | None:
    """One line for a messenger that cannot be reached (no network, a proxy, a wrong
    API URL), in place of the library's exception; None for anything else."""
    from aiogram.exceptions import TelegramNetworkError
    from aiohttp import ClientConnectionError

    settings = ctx.settings
    if isinstance(exc, TelegramNetworkError):
        messenger, url = "Telegram", settings.bot_api_url
    elif settings.dingtalk and isinstance(
        exc, ClientConnectionError | ConnectionError | TimeoutError
    ):
        # aiogram wraps its own failures, so a bare connection error is DingTalk's.
        messenger, url = t(N_("DingTalk")), settings.dingtalk_api_url
    else:
        return None
    host = urlsplit(url).hostname or url
    return t(UNREACHABLE, messenger=messenger, host=host, error=type(exc).__name__)


async def _serve_all(args: argparse.Namespace, ctx: AppContext) -> int:
    telegram, dingtalk = ctx.settings.token is not None, ctx.settings.dingtalk
    parts: list[tuple[str, _Part]] = []
    wakes: list[Callable[[], None]] = []
    try:
        if telegram:
            await _telegram(args, ctx, parts, wakes)
        if dingtalk:
            await _dingtalk(args, ctx, parts, wakes)
        if args.role == "all":  # the scheduler beside the bots: it wakes their relays
            from bot.worker import Worker

            worker = Worker(ctx, wake=_wake_all(wakes), backups=True)
            await worker.prepare()
            parts.append(("worker", worker))
        elif args.role == "worker":
            from bot.worker import Worker

            worker = Worker(ctx, own_relay=telegram, backups=True)
            await worker.prepare()
            parts.append(("worker", worker))
    except BaseException:
        for _, part in reversed(parts):
            await part.stop()
        raise

    async def stop() -> None:
        for _, part in reversed(parts):
            await part.stop()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(stop()))
    try:
        await _serve(parts)
    finally:
        await stop()
    return 0


async def _telegram(
    args: argparse.Namespace,
    ctx: AppContext,
    parts: list[tuple[str, _Part]],
    wakes: list[Callable[[], None]],
) -> None:
    # aiogram takes seconds to import; nobody should wait that long to hear "set the token".
    from aiogram.exceptions import TelegramBadRequest, TelegramUnauthorizedError
    from aiogram.utils.token import TokenValidationError

    from bot.telegram.runtime import BotRuntime
    from bot.telegram.webhook import WebhookServer
    from bot.telegram.webhook_config import WebhookConfigError

    if args.role not in ("all", "bot"):
        return  # the worker sends Telegram's rows itself (Worker(own_relay=True))
    try:
        if ctx.settings.webhook_url:
            # Webhook mode (bot/telegram/webhook.py). Its replicas send no outbox: a worker
            # does, or this process itself with --role all.
            webhook = WebhookServer(ctx, run_relay=args.role == "all")
            parts.append(("webhook", webhook))
            wakes.append(webhook.wake)
            return
        runtime = BotRuntime(ctx)
        try:
            await runtime.prepare()
        except BaseException:
            await runtime.bot.session.close()  # or aiohttp complains of it on the way out
            raise
    except TokenValidationError as exc:
        raise CliError(
            t(N_("ZHUCUN_BOT_TOKEN is malformed: expected 123456:ABC... from @BotFather"))
        ) from exc
    except WebhookConfigError as exc:
        raise CliError(t(exc.message, **exc.params)) from exc
    except TelegramUnauthorizedError as exc:
        raise CliError(
            t(N_("Telegram refused ZHUCUN_BOT_TOKEN (401 Unauthorized): check the token"))
        ) from exc
    except TelegramBadRequest as exc:
        raise CliError(
            t(N_("Telegram refused the bot's set-up: {reason}"), reason=exc.message)
        ) from exc
    assert runtime.relay is not None
    parts.append(("telegram", _Polling(runtime)))
    wakes.append(runtime.relay.wake)


async def _dingtalk(
    args: argparse.Namespace,
    ctx: AppContext,
    parts: list[tuple[str, _Part]],
    wakes: list[Callable[[], None]],
) -> None:
    from bot.dingtalk.api import DingTalkError
    from bot.dingtalk.runtime import DingTalkRuntime

    # Bot replicas receive; a worker only sends (the Stream gateway spreads frames over
    # the connections it has, so every receiver must be a full bot).
    runtime = DingTalkRuntime(ctx, receive=args.role in ("all", "bot"))
    try:
        await runtime.prepare()
    except DingTalkError as exc:
        await runtime.api.close()
        if exc.bad_credentials:
            raise CliError(t(BAD_DINGTALK_CREDENTIALS)) from exc
        raise CliError(
            t(N_("DingTalk refused the app's access token request: {code}"), code=exc.code)
        ) from exc
    except BaseException:
        await runtime.api.close()
        raise
    parts.append(("dingtalk", runtime))
    assert runtime.relay is not None
    wakes.append(runtime.relay.wake)


def register(sub: Subparsers) -> None:
    parser = add(
        sub,
        "run",
        _run,
        N_(
            "run the bot (the default when zhucun is called with no command): polling, the "
            "outbox relay and the scheduler"
        ),
    )
    parser.add_argument(
        "--role",
        choices=ROLES,
        default="all",
        help=t(
            "all: everything in one process (default); bot: polling and the relay; "
            "worker: the scheduler and the relay (one worker ticks at a time)"
        ),
    )
