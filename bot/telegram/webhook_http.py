"""What the webhook server answers over HTTP: Telegram's posts (an update each), and the
probes: ``/healthz`` (the database answers ``SELECT 1``) and ``/metrics`` (the Prometheus
text format of :mod:`bot.metrics`, with the outbox as the database sees it)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import JsonPayload, Payload, web
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.metrics import Sample, UpdateMetrics
from bot.relay.settings import RelayCounts
from bot.telegram.webhook_config import secret_matches
from models.db import UnitOfWork
from models.enums import OutboxState
from services.clock import Clock
from services.messaging import outbox_status

log = logging.getLogger(__name__)

HEALTH_TIMEOUT = 2.0  # seconds for SELECT 1 (and for the outbox counts of /metrics)


class UpdateHandler(SimpleRequestHandler):
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


async def health(engine: AsyncEngine | None, not_ready_because: str) -> web.Response:
    """``/healthz``: 200 ``ok`` when ``SELECT 1`` answers within two seconds, else 503."""
    if engine is None:
        return web.Response(status=503, text=f"not ready: {not_ready_because}\n")
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("health check: database unreachable (%s)", type(exc).__name__)
        return web.Response(status=503, text="database unreachable\n")
    return web.Response(text="ok\n")


def relay_samples(counts: RelayCounts) -> list[Sample]:
    """What this process's relay counted (each replica's own; the database has the rest)."""
    return [
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


async def database_samples(
    sessions: async_sessionmaker[AsyncSession] | None, clock: Clock
) -> list[Sample]:
    """The outbox as the database sees it (all replicas' rows), and whether it answered."""
    up = Sample("zhucun_database_up", "gauge", "Whether the database answered this scrape.", 0.0)
    if sessions is None:
        return [up]
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT), UnitOfWork(sessions) as uow:
            status = await outbox_status.status(uow.session, clock.now(), limit=0)
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
