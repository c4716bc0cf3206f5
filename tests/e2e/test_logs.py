"""No secret and no personal data in the logs: a whole conversation at DEBUG, every
logger captured, and not one record names the bot token, a roster phone number or a
household."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.logs import PERSONAL_AT_DEBUG, install_redaction, protect, uninstall_redaction
from services.roster import invites
from tests.e2e.conftest import Harness
from tests.e2e.dingtalk_world import DingTalkHarness
from tests.visit_factories import seed_visit_world


@pytest.fixture
def redaction(harness: Harness) -> Iterator[None]:
    """What ``zhucun`` does at startup (bot/cli.py)."""
    levels = {name: logging.getLogger(name).level for name in PERSONAL_AT_DEBUG}
    protect(harness.ctx.settings)
    try:
        yield
    finally:
        uninstall_redaction()
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


async def test_a_conversation_at_debug_logs_no_token_phone_or_household(
    harness: Harness, redaction: None, caplog: pytest.LogCaptureFixture
) -> None:
    async with await harness.ctx.uow() as uow:
        world = await seed_visit_world(uow.session, harness.roster, harness.clock.now())
        await uow.commit()
    harness.roster.people.update(world.people)
    phones = [p.phone for p in harness.roster.people.values() if p.phone]
    assert "13800000001" in phones
    caplog.set_level(logging.DEBUG)
    for name in ("aiogram", "aiohttp", "asyncio", "bot", "handlers", "services"):
        caplog.set_level(logging.DEBUG, logger=name)

    wang, liu = await harness.register("王芳"), await harness.register("刘洋")
    summary = await harness.say(wang, "/leave 12-01 12-03 事假 家中有事", contains="才会发送")
    await wang.press(summary, "提交")
    await harness.sandbox.wait_for_message(wang.chat_id, contains="已送", timeout=10)
    card = await harness.sandbox.wait_for_message(liu.chat_id, contains="请假申请", timeout=10)
    await liu.press(card, "批准")
    await harness.sandbox.wait_for_message(wang.chat_id, contains="已获批准", timeout=10)
    await harness.say(wang, "/visit 张伟明 电话 一切都好", contains="已保存走访")
    await harness.say(wang, "/visit 李秀英 入户 都好", contains="已保存走访")
    async with await harness.ctx.uow() as uow:  # what `zhucun invite 138 0000 0001` asks
        await invites.person_by_phone(uow.session, "138 0000 0001")
    await harness.sandbox.drain()

    token = harness.sandbox.token
    forbidden = [token, token.partition(":")[2], *phones, "张伟明", "李秀英"]
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # DEBUG was on
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        leaked = [word for word in forbidden if word in text]
        assert not leaked, (record.name, record.levelname, text[:300])


def test_the_redactor_masks_secrets_and_phones_in_messages_and_args(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_redaction(["123456:SECRET-token", "dt-client-secret"])
    try:
        caplog.set_level(logging.DEBUG)
        log = logging.getLogger("aiohttp.client")
        log.debug("GET https://api.telegram.org/bot%s/getMe", "123456:SECRET-token")
        log.info("secret %s phone 13800000001 id 13700000000123", "dt-client-secret")
        try:
            raise ValueError("tel 13912345678")
        except ValueError:
            log.exception("failed for %s", "15012345678")
    finally:
        uninstall_redaction()
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    for word in ("SECRET-token", "dt-client-secret", "13800000001", "13912345678", "15012345678"):
        assert word not in text
    assert "13700000000123" in text  # a longer number is not a phone
    assert "[redacted]" in text and "1**********" in text


@pytest.fixture
def debug_from_the_start(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """DEBUG on before the DingTalk runtime connects (websockets decides at connection
    time whether a connection logs its frames), with phone numbers masked already; the
    client secret joins once the emulator has made one up."""
    levels = {name: logging.getLogger(name).level for name in PERSONAL_AT_DEBUG}
    caplog.set_level(logging.DEBUG)
    for name in ("websockets", "dingtalk_stream", "aiohttp", "bot", "handlers"):
        caplog.set_level(logging.DEBUG, logger=name)
    install_redaction([])
    try:
        yield
    finally:
        uninstall_redaction()
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


async def test_a_dingtalk_conversation_at_debug_logs_no_secret_phone_or_household(
    debug_from_the_start: None, dingtalk: DingTalkHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """DingTalk's libraries log their frames at DEBUG (websockets): the client secret, phone
    numbers and what people typed about households stay out."""
    protect(dingtalk.ctx.settings)
    wang = await dingtalk.register("王芳")
    await dingtalk.say(wang, "/visit 张伟明 电话 一切都好", contains="已保存走访")
    await dingtalk.say(wang, "/whoami", contains="王芳")
    phones = [p.phone for p in dingtalk.roster.people.values() if p.phone]
    forbidden = [dingtalk.box.client_secret, *phones, "张伟明"]
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        leaked = [word for word in forbidden if word in text]
        assert not leaked, (record.name, record.levelname, text[:300])
