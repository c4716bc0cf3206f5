"""Webhook mode: the bot serves Telegram's pushes over aiohttp instead of polling.

With ``ZHUCUN_WEBHOOK_URL`` set, ``zhucun run --role bot`` runs a :class:`WebhookServer`.
Several may run at once (replicas behind one load balancer, on one PostgreSQL database):
the inbox table makes an update delivered to two of them change things once.

What it serves:

- ``POST <path of ZHUCUN_WEBHOOK_URL>`` (or ``ZHUCUN_WEBHOOK_PATH``): an update. The
  ``X-Telegram-Bot-Api-Secret-Token`` header must equal ``ZHUCUN_WEBHOOK_SECRET``
  (compared in constant time): else 401 and nothing is looked at. The answer goes back only
  after the update was handled and committed (``handle_in_background=False``;
  docs/architecture.md, "How an update flows"); a reply the handler returns rides in the
  answer's body as JSON, which Telegram executes. A server still preparing answers 503, and
  Telegram delivers again later.
- ``GET /healthz``: 200 ``ok`` when ``SELECT 1`` answers within two seconds, else 503.
- ``GET /metrics``: the Prometheus text format (:mod:`bot.metrics`): updates handled and
  failed, webhook posts refused, and the outbox backlog read from the database.

(The settings are checked in :mod:`bot.telegram.webhook_config`; the answers are
:mod:`bot.telegram.webhook_http`'s; this module runs the server that owns them.)

Starting: the listener comes up first; then, retried with a growing pause while the
database or Telegram cannot be reached, the database is migrated, the dispatcher built
and ``setWebhook`` called (every replica calls it with the same arguments: harmless).
Telegram refusing the token or the URL (401, 400) ends the server with that error.
Stopping: no new connections, handlers under way finish (up to ``SHUTDOWN_GRACE``), the
relay (if this server runs one) gives back what it held. ``deleteWebhook`` is NOT called:
the other replicas keep serving.

The outbox relay: off by default here. Its pacing (1 msg/s per chat, under 30 msg/s in
all) lives in the process that runs it, so every extra relay adds another full budget
towards Telegram; one worker (``zhucun run --role worker``) sends for all replicas, its poll
picking rows up within ``ZHUCUN_RELAY_POLL_INTERVAL`` (1 s). ``run_relay=True`` is for a
single process that is bot and worker at once (``--role all``).

Never logged: the token, the secret, the webhook URL's path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from aiogram import Dispatcher
from aiogram.exceptions import TelegramBadRequest, TelegramUnauthorizedError
from aiohttp import web
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import AppContext
from bot.metrics import CONTENT_TYPE, Registry, UpdateMetrics
from bot.relay.loop import Relay
from bot.relay.settings import RelaySettings
from bot.telegram.bridge import WEBHOOK_REPLIES
from bot.telegram.runtime import build_bot, build_dispatcher, sync_menus
from bot.telegram.sender import TelegramSender
from bot.telegram.webhook_config import SECRET_HEADER, WebhookConfig, secret_matches
from bot.telegram.webhook_http import UpdateHandler, database_samples, health, relay_samples
from locales import Catalogs

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 15.0  # seconds for handlers under way when stopping
RETRY_FIRST, RETRY_MAX = 1.0, 30.0  # pauses between attempts to get ready


class WebhookServer:
    """The webhook listener with /healthz and /metrics.

    ``await start()`` listens and begins getting ready (``wait_ready()`` waits for it);
    ``await stop()`` ends it. Or ``await run()``, which starts, serves until ``stop()`` and
    raises what made getting ready impossible (a token or URL Telegram refused).
    ``sock``: a socket already bound (tests; socket activation), instead of host and port.
    """

    def __init__(
        self,
        ctx: AppContext,
        catalogs: Catalogs | None = None,
        *,
        host: str | None = None,
        port: int | None = None,
        sock: socket.socket | None = None,
        run_relay: bool = False,
        registry: Registry | None = None,
    ) -> None:
        token = ctx.settings.token
        if token is None:
            raise ValueError("no bot token configured")
        self.ctx = ctx
        self.catalogs = catalogs or Catalogs()
        self.config = WebhookConfig.from_settings(ctx.settings, host=host, port=port)
        self.registry = registry or Registry()
        self.metrics = UpdateMetrics(self.registry)
        self.bot = build_bot(token, ctx.settings.bot_api_url)
        self.dp: Dispatcher | None = None
        self.relay: Relay | None = None
        self.username: str | None = None
        self._run_relay = run_relay
        self._sock = sock
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._handler: UpdateHandler | None = None
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None
        self._relay_task: asyncio.Task[None] | None = None
        self._prepare_task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()  # the webhook is registered with Telegram
        self._stopping = asyncio.Event()
        self._stopped = False
        self._stop_lock = asyncio.Lock()
        self._not_ready_because = "starting"

    # ------------------------------------------------------------------ lifecycle

    @property
    def port(self) -> int:
        """The port listened on (the one picked, when asked for port 0)."""
        if self._bound_port is None:
            raise RuntimeError("the webhook server is not listening")
        return self._bound_port

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(self.config.path, self._on_update)
        app.router.add_get("/healthz", self._on_healthz)
        app.router.add_get("/metrics", self._on_metrics)
        # No access log: every update would be a line, and paths are not for the logs.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_GRACE)
        await self._runner.setup()
        site: web.BaseSite
        if self._sock is not None:
            site = web.SockSite(self._runner, self._sock)
        else:
            site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        address = self._runner.addresses[0]
        self._bound_port = int(address[1])
        log.info("webhook server listening on %s:%d", address[0], self._bound_port)
        self._prepare_task = asyncio.create_task(self._get_ready(), name="webhook-prepare")

    async def wait_ready(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Until the webhook is registered; raises what made that impossible."""
        assert self._prepare_task is not None, "start() first"
        async with asyncio.timeout(timeout):
            await asyncio.shield(self._prepare_task)

    async def run(self) -> None:
        """Serve until ``stop()``; raises if getting ready failed for good."""
        await self.start()
        assert self._prepare_task is not None
        stopping = asyncio.create_task(self._stopping.wait())
        try:
            await asyncio.wait([self._prepare_task, stopping], return_when=asyncio.FIRST_COMPLETED)
            if not self._stopping.is_set() and self._prepare_task.exception() is None:
                await stopping  # ready: serve until stop()
        finally:
            stopping.cancel()
            await self.stop()
        if self._prepare_task.done() and not self._prepare_task.cancelled():
            failure = self._prepare_task.exception()
            if failure is not None:
                raise failure

    def wake(self) -> None:
        """Wake this server's relay (if it runs one): new outbox rows are committed."""
        if self.relay is not None:
            self.relay.wake()

    async def stop(self) -> None:
        """Stop serving; safe to call more than once, and before ``start()``."""
        self._stopping.set()
        async with self._stop_lock:
            if self._stopped:
                return
            self._stopped = True
            if self._prepare_task is not None and not self._prepare_task.done():
                self._prepare_task.cancel()
            if self._prepare_task is not None:
                # Waited for, and its failure looked at (run() and wait_ready() raise it).
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._prepare_task
            if self._runner is not None:
                await self._runner.cleanup()  # handlers under way finish first
                self._runner = None
            self._handler = None
            if self.dp is not None:
                with contextlib.suppress(Exception):
                    await self.dp.emit_shutdown(bot=self.bot, dispatcher=self.dp)
            if self.relay is not None:
                await self.relay.stop()
            if self._relay_task is not None:
                await self._relay_task
                self._relay_task = None
            await self.bot.session.close()

    # ------------------------------------------------------------------ getting ready

    async def _get_ready(self) -> None:
        await self._retrying("database", self._prepare_dispatcher)
        await self._retrying("telegram", self._register_webhook)
        self._not_ready_because = ""
        self._ready.set()

    async def _retrying(self, what: str, step: Callable[[], Any]) -> None:
        pause = RETRY_FIRST
        while True:
            try:
                await step()
                return
            except (TelegramUnauthorizedError, TelegramBadRequest, ArgumentError):
                raise  # the token, the URL or the database URL is wrong: no retry helps
            except Exception as exc:
                self._not_ready_because = f"{what} unreachable"
                log.warning(
                    "webhook not ready (%s: %s); trying again in %g s",
                    what,
                    type(exc).__name__,
                    pause,
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, RETRY_MAX)

    async def _prepare_dispatcher(self) -> None:
        """Migrate the database, build the dispatcher; updates are handled from here on."""
        if self._handler is not None:
            return
        self._sessions = await self.ctx.sessions()
        self._engine = await self.ctx.engine()
        wake: Callable[[], None] | None = None
        if self._run_relay and self.relay is None:
            settings = RelaySettings.from_settings(self.ctx.settings)
            sender = TelegramSender(self.bot)
            self.relay = Relay(self._sessions, sender, self.catalogs, self.ctx.clock, settings)
            self._relay_task = asyncio.create_task(self.relay.run(), name="outbox-relay")
        if self.relay is not None:
            wake = self.relay.wake
        dp = await build_dispatcher(self.ctx, self.catalogs, wake=wake)
        dp[WEBHOOK_REPLIES] = True
        self.metrics.install(dp)
        await dp.emit_startup(bot=self.bot, dispatcher=dp)
        self.dp = dp
        self._handler = UpdateHandler(dp, self.bot, self.config.secret, self.metrics)

    async def _register_webhook(self) -> None:
        assert self.dp is not None
        me = await self.bot.get_me()
        self.username = me.username
        try:
            changed = await sync_menus(self.bot, self.ctx, self.catalogs)
        except TelegramUnauthorizedError:
            raise
        except Exception as exc:  # menus are a convenience; serving goes on without them
            log.warning("menus not updated: %s", type(exc).__name__)
            changed = 0
        await self.bot.set_webhook(
            url=self.config.url,
            secret_token=self.config.secret,
            allowed_updates=self.dp.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        log.info(
            "bot @%s ready on webhook at %s; %d personal menus updated",
            me.username,
            urlsplit(self.config.url).hostname,
            changed,
        )

    # ------------------------------------------------------------------ HTTP

    async def _on_update(self, request: web.Request) -> web.StreamResponse:
        handler = self._handler
        if handler is None:  # not ready: refuse after checking the secret
            if not secret_matches(request.headers.get(SECRET_HEADER), self.config.secret):
                self.metrics.unauthorized.inc()
                return web.Response(status=401, text="Unauthorized")
            return web.Response(status=503, text="not ready", headers={"Retry-After": "5"})
        return await handler.handle(request)

    async def _on_healthz(self, request: web.Request) -> web.Response:
        return await health(self._engine, self._not_ready_because)

    async def _on_metrics(self, request: web.Request) -> web.Response:
        extra = await database_samples(self._sessions, self.ctx.clock)
        if self.relay is not None:
            extra += relay_samples(self.relay.counts)
        body = self.registry.render(extra).encode()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


async def serve_webhook(
    ctx: AppContext,
    catalogs: Catalogs | None = None,
    *,
    host: str | None = None,
    port: int | None = None,
    stop_event: asyncio.Event,
    run_relay: bool = False,
) -> None:
    """Serve the webhook until ``stop_event`` is set (or getting ready fails for good)."""
    server = WebhookServer(ctx, catalogs, host=host, port=port, run_relay=run_relay)
    running = asyncio.create_task(server.run(), name="webhook")
    stopping = asyncio.create_task(stop_event.wait())
    try:
        await asyncio.wait([running, stopping], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        await server.stop()
        await running  # re-raises a failure to get ready
