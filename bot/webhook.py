"""Webhook mode: the bot serves Telegram's pushes over aiohttp instead of polling.

With ``ZHUCUN_WEBHOOK_URL`` set, ``zhucun run --role bot`` runs a :class:`WebhookServer`.
Several may run at once (replicas behind one load balancer, on one PostgreSQL database):
the inbox table makes an update delivered to two of them change things once.

What it serves:

- ``POST <path of ZHUCUN_WEBHOOK_URL>`` (or ``ZHUCUN_WEBHOOK_PATH``): an update. The
  ``X-Telegram-Bot-Api-Secret-Token`` header must equal ``ZHUCUN_WEBHOOK_SECRET``
  (compared in constant time): else 401 and nothing is looked at. The answer goes back only
  after the update was handled and committed (``handle_in_background=False``, DESIGN.md data
  flow 1); a reply the handler returns rides in the answer's body as JSON, which Telegram
  executes. A server still preparing answers 503, and Telegram delivers again later.
- ``GET /healthz``: 200 ``ok`` when ``SELECT 1`` answers within two seconds, else 503.
- ``GET /metrics``: the Prometheus text format (:mod:`bot.metrics`): updates handled and
  failed, webhook posts refused, and the outbox backlog read from the database.

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
import hmac
import logging
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramBadRequest, TelegramUnauthorizedError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import JsonPayload, Payload, web
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import AppContext
from bot.metrics import CONTENT_TYPE, Registry, Sample, UpdateMetrics
from bot.relay.loop import Relay
from bot.relay.settings import RelaySettings
from bot.runtime import build_bot, build_dispatcher, sync_menus
from bot.telegram.sender import TelegramSender
from locales import Catalogs
from models.db import UnitOfWork
from models.enums import OutboxState
from services.messaging import outbox_status

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_HOST = "0.0.0.0"  # every interface: a server in a container
DEFAULT_PORT = 8080
HEALTH_TIMEOUT = 2.0  # seconds for SELECT 1 (and for the outbox counts of /metrics)
SHUTDOWN_GRACE = 15.0  # seconds for handlers under way when stopping
RETRY_FIRST, RETRY_MAX = 1.0, 30.0  # pauses between attempts to get ready

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
NO_SECRET = (
    "ZHUCUN_WEBHOOK_SECRET is not set: webhook mode needs a secret of 1-256 characters "
    "A-Z a-z 0-9 _ - (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
)
BAD_SECRET = (
    "ZHUCUN_WEBHOOK_SECRET may hold only A-Z a-z 0-9 _ - and be 1-256 characters long "
    "(Telegram's rule for secret_token)"
)
BAD_URL = "ZHUCUN_WEBHOOK_URL must be a full URL, such as https://bot.example.org/telegram"


class WebhookConfigError(ValueError):
    """The webhook settings cannot work; the message is one line for the operator."""


@dataclass(frozen=True)
class WebhookConfig:
    url: str  # what Telegram posts to (the public URL, maybe a load balancer's)
    secret: str
    path: str  # what this server listens on (the URL's path unless told otherwise)
    host: str
    port: int

    @classmethod
    def from_settings(
        cls, settings: Any, *, host: str | None = None, port: int | None = None
    ) -> WebhookConfig:
        """From ``ZHUCUN_WEBHOOK_URL``/``_SECRET`` and, when set, ``ZHUCUN_WEBHOOK_HOST``,
        ``_PORT`` and ``_PATH``; ``host`` and ``port`` given here win."""
        url = (getattr(settings, "webhook_url", None) or "").strip()
        parsed = urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise WebhookConfigError(BAD_URL)
        raw_secret = getattr(settings, "webhook_secret", None)
        secret = raw_secret.get_secret_value() if raw_secret is not None else ""
        if not secret:
            raise WebhookConfigError(NO_SECRET)
        if not _SECRET.fullmatch(secret):
            raise WebhookConfigError(BAD_SECRET)
        path = getattr(settings, "webhook_path", None) or parsed.path or "/"
        if not path.startswith("/"):
            path = "/" + path
        if host is None:
            host = getattr(settings, "webhook_host", None) or DEFAULT_HOST
        if port is None:
            configured = getattr(settings, "webhook_port", None)
            port = DEFAULT_PORT if configured is None else int(configured)
        if not 0 <= port <= 65535:
            raise WebhookConfigError(f"ZHUCUN_WEBHOOK_PORT must be 0-65535, not {port}")
        return cls(url=url, secret=secret, path=path, host=host, port=port)


def secret_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison of the header with the secret. On bytes: a header with
    characters outside ASCII is simply wrong (``compare_digest`` on str would raise)."""
    if not given:
        return False
    return hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")
    )


class _UpdateHandler(SimpleRequestHandler):
    """aiogram's handler, answering after the update is handled, with three changes:
    the secret is compared as bytes, a body that is not an update is a 400 (not a 500),
    and a reply rides in the answer as JSON (Telegram takes JSON or form data; JSON
    is shorter, and what the Bot API emulator reads)."""

    def __init__(
        self, dispatcher: Dispatcher, bot: Bot, secret: str, metrics: UpdateMetrics
    ) -> None:
        super().__init__(dispatcher, bot, handle_in_background=False, secret_token=secret)
        self._secret = secret
        self._metrics = metrics

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        if secret_matches(telegram_secret_token, self._secret):
            return True
        self._metrics.unauthorized.inc()
        return False

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        try:
            raw = await request.json(loads=bot.session.json_loads)
            update = Update.model_validate(raw, context={"bot": bot})
        except (ValueError, ValidationError):
            return web.Response(status=400, text="not an update")
        result: TelegramMethod[Any] | None = await self.dispatcher.feed_webhook_update(bot, update)
        self._metrics.handled.inc()
        if isinstance(result, TelegramMethod):
            return web.Response(body=self._build_response_writer(bot=bot, result=result))
        return web.json_response({})

    def _build_response_writer(
        self, bot: Bot, result: TelegramMethod[TelegramType] | None
    ) -> Payload:
        if not result:
            return JsonPayload({})
        files: dict[str, Any] = {}
        params: dict[str, Any] = {"method": result.__api_method__}
        for key, value in result.model_dump(warnings=False).items():
            prepared = bot.session.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None:
                params[key] = prepared
        if files:  # an upload cannot travel in JSON: aiogram's multipart form then
            return super()._build_response_writer(bot, result)
        return JsonPayload(params, dumps=bot.session.json_dumps)


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
        self._handler: _UpdateHandler | None = None
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
        self.metrics.install(dp)
        await dp.emit_startup(bot=self.bot, dispatcher=dp)
        self.dp = dp
        self._handler = _UpdateHandler(dp, self.bot, self.config.secret, self.metrics)

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
        if self._engine is None:
            return web.Response(status=503, text=f"not ready: {self._not_ready_because}\n")
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT), self._engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("health check: database unreachable (%s)", type(exc).__name__)
            return web.Response(status=503, text="database unreachable\n")
        return web.Response(text="ok\n")

    async def _on_metrics(self, request: web.Request) -> web.Response:
        extra = await self._database_samples()
        if self.relay is not None:
            counts = self.relay.counts
            extra += [
                Sample(f"zhucun_relay_{name}_total", "counter", help, float(value))
                for name, help, value in (
                    ("sent", "Outbox rows this process's relay sent.", counts.sent),
                    ("retried", "Sends this process's relay will retry.", counts.retried),
                    ("dead", "Outbox rows this process's relay gave up on.", counts.dead),
                    (
                        "uncertain",
                        "Sends whose outcome this process's relay could not tell.",
                        counts.uncertain,
                    ),
                )
            ]
        body = self.registry.render(extra).encode()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    async def _database_samples(self) -> list[Sample]:
        """The outbox as the database sees it (all replicas' rows), and whether it answered."""
        up = Sample(
            "zhucun_database_up", "gauge", "Whether the database answered this scrape.", 0.0
        )
        if self._sessions is None:
            return [up]
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT), UnitOfWork(self._sessions) as uow:
                status = await outbox_status.status(uow.session, self.ctx.clock.now(), limit=0)
        except Exception as exc:
            log.warning("metrics: outbox not read (%s)", type(exc).__name__)
            return [up]
        age = status.oldest_pending_age.total_seconds() if status.oldest_pending_age else 0.0
        return [
            Sample(up.name, up.kind, up.help, 1.0),
            Sample(
                "zhucun_outbox_backlog",
                "gauge",
                "Outbox rows waiting to be sent (pending, due or not).",
                float(status.counts[OutboxState.PENDING]),
            ),
            Sample(
                "zhucun_outbox_due",
                "gauge",
                "Pending outbox rows due now and not in flight.",
                float(status.due),
            ),
            Sample(
                "zhucun_outbox_oldest_pending_seconds",
                "gauge",
                "Age of the oldest pending outbox row (0 when none).",
                age,
            ),
            Sample(
                "zhucun_outbox_dead",
                "gauge",
                "Outbox rows given up on (see zhucun outbox).",
                float(status.counts[OutboxState.DEAD]),
            ),
            Sample(
                "zhucun_outbox_uncertain",
                "gauge",
                "Outbox rows that may or may not have arrived (see zhucun outbox).",
                float(status.counts[OutboxState.UNCERTAIN]),
            ),
        ]


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
