"""Webhook mode end to end: the Bot API emulator pushes updates to the real aiohttp server,
which answers only after handling them, with the reply in the answer's body.

Also: a wrong or missing secret is refused before anything is read, a re-delivered update
changes nothing, /healthz says whether the database answers, /metrics counts.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiogram.exceptions import TelegramUnauthorizedError
from pydantic import SecretStr
from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.config import Settings
from bot.context import AppContext
from bot.telegram.webhook import WebhookServer, serve_webhook
from bot.telegram.webhook_config import (
    BAD_SECRET,
    BAD_URL,
    DEFAULT_HOST,
    DEFAULT_PORT,
    NO_SECRET,
    SECRET_HEADER,
    WebhookConfig,
    WebhookConfigError,
)
from models.tables import InboxEntry, Person
from sandbox.telegram.emulator import BotApiSandbox
from sandbox.telegram.users import FakeUser
from services.clock import FixedClock
from services.roster import invites
from tests.factories import Roster, seed_roster

SECRET = "s3cret_for-the-webhook"
PATH = "/telegram/webhook"


def webhook_settings(
    sandbox: BotApiSandbox, database_url: str, url: str, secret: str | None = SECRET
) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=sandbox.token,
        bot_api_url=sandbox.base_url,
        database_url=database_url,
        webhook_url=url,
        webhook_secret=secret,
    )


def bound_socket() -> socket.socket:
    """A listening address picked by the system (port 0), known before the server starts,
    so the webhook URL Telegram is given can name it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class Webhook:
    sandbox: BotApiSandbox
    ctx: AppContext
    server: WebhookServer
    clock: FixedClock
    roster: Roster
    base: str  # http://127.0.0.1:port
    http: aiohttp.ClientSession

    async def register(self, name: str) -> FakeUser:
        async with await self.ctx.uow() as uow:
            person = await uow.session.get(Person, self.roster.people[name].id)
            assert person is not None
            issued = await invites.issue(uow.session, person, self.clock.now())
            await uow.commit()
        user = self.sandbox.user(first_name=name[-1])
        sent = await user.send(f"/start {issued.token}")
        await self.sandbox.wait_for_message(user.chat_id, contains="您好", after=sent["message_id"])
        return user

    async def inbox(self) -> int:
        async with await self.ctx.uow() as uow:
            return int((await uow.session.exec(select(func.count()).select_from(InboxEntry))).one())

    async def metrics(self) -> dict[str, float]:
        async with self.http.get(f"{self.base}/metrics") as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
            return parse_metrics(await resp.text())

    async def post(self, update: dict[str, Any], secret: str | None) -> tuple[int, str]:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with self.http.post(f"{self.base}{PATH}", json=update, headers=headers) as resp:
            return resp.status, await resp.text()


def parse_metrics(body: str) -> dict[str, float]:
    """Samples of the text exposition format; checks each has its HELP and TYPE."""
    values: dict[str, float] = {}
    described: set[str] = set()
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            described.add(line.split()[2])
        elif line and not line.startswith("#"):
            name, value = line.split()
            assert name in described, f"{name} has no # TYPE line"
            values[name] = float(value)
    return values


@pytest.fixture
async def webhook(sandbox: BotApiSandbox, database_url: str) -> AsyncIterator[Webhook]:
    clock = FixedClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    sock = bound_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    ctx = AppContext(settings=webhook_settings(sandbox, database_url, base + PATH), clock=clock)
    async with await ctx.uow() as uow:
        roster = await seed_roster(uow.session, clock.now())
        await uow.commit()
    server = WebhookServer(ctx, sock=sock)
    await server.start()
    try:
        await server.wait_ready(timeout=20)
        async with aiohttp.ClientSession() as http:
            yield Webhook(sandbox, ctx, server, clock, roster, base, http)
    finally:
        await server.stop()
        await ctx.close()
    sandbox.assert_no_violations()
    sandbox.assert_callbacks_answered()


async def test_updates_arrive_by_webhook_and_replies_ride_in_the_answer(
    webhook: Webhook,
) -> None:
    sandbox = webhook.sandbox
    assert sandbox.webhook is not None
    assert sandbox.webhook["url"] == webhook.base + PATH
    assert sandbox.webhook["secret_token"] == SECRET
    assert sandbox.calls_to("deleteWebhook") == []
    (set_webhook,) = sandbox.calls_to("setWebhook")
    assert set_webhook.params.get("drop_pending_updates") in (None, False)
    assert "message" in set_webhook.params["allowed_updates"]
    assert "callback_query" in set_webhook.params["allowed_updates"]

    wang = await webhook.register("王芳")
    assert await webhook.inbox() == 1
    assert (await webhook.metrics())["zhucun_updates_handled_total"] == 1

    sent = await wang.send("/whoami")
    reply = await sandbox.wait_for_message(wang.chat_id, after=sent["message_id"])
    assert "王芳" in reply.text
    # The reply was the webhook answer's body, executed by "Telegram", not a request.
    answered = [c for c in sandbox.calls_to("sendMessage") if c.via == "webhook"]
    assert any("王芳" in str(c.params.get("text")) for c in answered)
    assert await webhook.inbox() == 2
    metrics = await webhook.metrics()
    assert metrics["zhucun_updates_handled_total"] == 2
    assert metrics["zhucun_update_errors_total"] == 0
    assert metrics["zhucun_webhook_unauthorized_total"] == 0
    assert metrics["zhucun_database_up"] == 1
    assert metrics["zhucun_outbox_backlog"] == 0 and metrics["zhucun_outbox_dead"] == 0
    assert sandbox.webhook.get("last_error_message") is None


async def test_a_button_pressed_through_the_webhook_is_answered(webhook: Webhook) -> None:
    sandbox = webhook.sandbox
    wang = await webhook.register("王芳")
    await webhook.register("刘洋")  # the approver, to be sent a card
    sent = await wang.send("/leave 12-01 12-03 事假 家中有事")
    summary = await sandbox.wait_for_message(wang.chat_id, after=sent["message_id"])
    assert summary.buttons() == [["提交", "取消"]], summary.text
    query = await wang.press(summary, "提交")
    await sandbox.wait_for_message(wang.chat_id, contains="已送", after=summary.message_id)
    await sandbox.wait_for_call(
        "answerCallbackQuery", lambda c: c.params["callback_query_id"] == query
    )
    # The approver's card is an outbox row: no relay runs in a bot replica by default.
    metrics = await webhook.metrics()
    assert metrics["zhucun_outbox_backlog"] == 1 and metrics["zhucun_outbox_due"] == 1
    assert "zhucun_relay_sent_total" not in metrics


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", "ß" + SECRET[1:]])
async def test_a_wrong_or_missing_secret_is_refused_and_nothing_recorded(
    webhook: Webhook, secret: str | None
) -> None:
    wang = webhook.sandbox.user(first_name="芳")
    update = {
        "update_id": 900_001,
        "message": {
            "message_id": 1,
            "date": 1_790_000_000,
            "chat": {"id": wang.chat_id, "type": "private", "first_name": "芳"},
            "from": wang.as_user_dict(),
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    status, _ = await webhook.post(update, secret)
    assert status == 401
    assert await webhook.inbox() == 0
    assert webhook.sandbox.sent(wang) == []
    metrics = await webhook.metrics()
    assert metrics["zhucun_webhook_unauthorized_total"] == 1
    assert metrics["zhucun_updates_handled_total"] == 0


async def test_a_redelivered_update_changes_nothing_and_garbage_is_400(
    webhook: Webhook,
) -> None:
    wang = webhook.sandbox.user(first_name="芳")
    update = {
        "update_id": 900_002,
        "message": {
            "message_id": 1,
            "date": 1_790_000_000,
            "chat": {"id": wang.chat_id, "type": "private", "first_name": "芳"},
            "from": wang.as_user_dict(),
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }
    status, first = await webhook.post(update, SECRET)
    assert status == 200
    answer = json.loads(first)
    assert answer["method"] == "sendMessage" and answer["chat_id"] == wang.chat_id
    status, again = await webhook.post(update, SECRET)  # Telegram retrying, say
    assert status == 200 and json.loads(again) == {}
    assert await webhook.inbox() == 1
    status, _ = await webhook.post({"not": "an update"}, SECRET)
    assert status == 400
    assert (await webhook.metrics())["zhucun_updates_handled_total"] == 2


async def test_healthz_says_whether_the_database_answers(
    webhook: Webhook, database_url: str, tmp_path: Path
) -> None:
    async with webhook.http.get(f"{webhook.base}/healthz") as resp:
        assert resp.status == 200 and (await resp.text()).strip() == "ok"

    # A second replica whose database cannot be reached: up, but not healthy.
    if make_url(database_url).get_backend_name() == "sqlite":
        (tmp_path / "a-file").write_text("")
        bad = f"sqlite+aiosqlite:///{tmp_path / 'a-file' / 'zhucun.db'}"
    else:
        elsewhere = make_url(database_url).set(database="zhucun_no_such_database")
        bad = elsewhere.render_as_string(hide_password=False)
    sock = bound_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    ctx = AppContext(settings=webhook_settings(webhook.sandbox, bad, base + PATH))
    server = WebhookServer(ctx, sock=sock)
    await server.start()
    try:
        async with webhook.http.get(f"{base}/healthz") as resp:
            assert resp.status == 503
        async with webhook.http.post(
            f"{base}{PATH}", json={"update_id": 900_003}, headers={SECRET_HEADER: SECRET}
        ) as resp:
            assert resp.status == 503  # Telegram will deliver it again later
        async with webhook.http.post(f"{base}{PATH}", json={"update_id": 900_003}) as resp:
            assert resp.status == 401
        async with webhook.http.get(f"{base}/metrics") as resp:
            assert resp.status == 200
            assert parse_metrics(await resp.text())["zhucun_database_up"] == 0
        assert not server.ready
    finally:
        await server.stop()
        await ctx.close()


@pytest.mark.parametrize(
    ("secret", "message"),
    [(None, NO_SECRET), ("has space", BAD_SECRET), ("x" * 257, BAD_SECRET), ("密钥", BAD_SECRET)],
)
async def test_no_start_without_a_proper_secret(
    sandbox: BotApiSandbox, tmp_path: Path, secret: str | None, message: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'z.db'}"
    ctx = AppContext(settings=webhook_settings(sandbox, url, "https://bot.example.org/tg", secret))
    with pytest.raises(WebhookConfigError) as caught:
        WebhookServer(ctx)
    assert str(caught.value) == message and "\n" not in message
    if secret:
        assert secret not in str(caught.value)


async def test_serve_webhook_runs_until_told_and_leaves_the_webhook_set(
    sandbox: BotApiSandbox, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'z.db'}"
    ctx = AppContext(settings=webhook_settings(sandbox, url, "http://127.0.0.1:9/tg"))
    stop = asyncio.Event()
    serving = asyncio.create_task(serve_webhook(ctx, host="127.0.0.1", port=0, stop_event=stop))
    await sandbox.wait_for_call("setWebhook", timeout=20)
    assert not serving.done()
    stop.set()
    await asyncio.wait_for(serving, timeout=20)
    await ctx.close()
    assert sandbox.webhook is not None  # the other replicas keep serving
    assert sandbox.calls_to("deleteWebhook") == []


async def test_a_token_telegram_refuses_ends_serving_with_that_error(
    sandbox: BotApiSandbox, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'z.db'}"
    settings = webhook_settings(sandbox, url, "http://127.0.0.1:9/tg")
    settings.bot_token = SecretStr("123456:not-the-token")
    ctx = AppContext(settings=settings)
    with pytest.raises(TelegramUnauthorizedError):
        await asyncio.wait_for(
            serve_webhook(ctx, host="127.0.0.1", port=0, stop_event=asyncio.Event()), 20
        )
    await ctx.close()


def test_listening_address_and_path_from_the_settings() -> None:
    secret = SecretStr(SECRET)
    plain = SimpleNamespace(webhook_url="https://bot.example.org/tg/hook", webhook_secret=secret)
    config = WebhookConfig.from_settings(plain)
    assert (config.host, config.port, config.path) == (DEFAULT_HOST, DEFAULT_PORT, "/tg/hook")
    assert (
        WebhookConfig.from_settings(
            SimpleNamespace(webhook_url="https://bot.example.org", webhook_secret=secret)
        ).path
        == "/"
    )
    behind_a_proxy = SimpleNamespace(
        webhook_url="https://bot.example.org/tg/hook",
        webhook_secret=secret,
        webhook_host="127.0.0.1",
        webhook_port=9000,
        webhook_path="hook",
    )
    config = WebhookConfig.from_settings(behind_a_proxy)
    assert (config.host, config.port, config.path) == ("127.0.0.1", 9000, "/hook")
    assert WebhookConfig.from_settings(behind_a_proxy, host="::1", port=0).port == 0
    for url in ("bot.example.org/tg", "ftp://bot.example.org/tg", "https:///tg"):
        with pytest.raises(WebhookConfigError, match=re.escape(BAD_URL)):
            WebhookConfig.from_settings(SimpleNamespace(webhook_url=url, webhook_secret=secret))


async def test_a_reply_whose_webhook_answer_was_lost_is_queued_again(webhook: Webhook) -> None:
    """Telegram delivers an update again only when it did not get the answer, and with it
    the reply that rode in it: that reply goes to the outbox, to be sent by the relay."""
    from models.enums import OutboxState
    from models.workflow import OutboxMessage

    wang = webhook.sandbox.user(first_name="芳")
    update = {
        "update_id": 900_003,
        "message": {
            "message_id": 1,
            "date": 1_790_000_000,
            "chat": {"id": wang.chat_id, "type": "private", "first_name": "芳"},
            "from": wang.as_user_dict(),
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }

    async def rows() -> list[OutboxMessage]:
        async with await webhook.ctx.uow() as uow:
            found = await uow.session.exec(select(OutboxMessage))
            return [r for r in found.all() if r.dedup_key.startswith("reply:telegram:900003:")]

    status, first = await webhook.post(update, SECRET)
    assert status == 200 and json.loads(first)["method"] == "sendMessage"
    (rode,) = await rows()
    assert rode.state == OutboxState.SENT  # as far as anyone can tell
    status, again = await webhook.post(update, SECRET)  # the first answer never arrived
    assert status == 200 and json.loads(again) == {}
    (queued,) = await rows()
    assert queued.state == OutboxState.PENDING and queued.template == "reply"
    assert queued.chat_id == str(wang.chat_id)
    assert json.loads(queued.params)["text"] == json.loads(first)["text"]
    assert await webhook.inbox() == 1
