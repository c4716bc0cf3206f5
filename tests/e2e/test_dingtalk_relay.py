"""The relay's DingTalk sender against the emulator: each of DingTalk's answers ends as it
should (delivered once, retried, or given up with the person marked unreachable)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.dingtalk import sender as dingtalk_sender
from models.enums import OutboxState
from models.tables import ChannelAccount
from models.workflow import OutboxMessage
from tests.e2e.dingtalk_world import DingTalkHarness

DEC_4 = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)  # 王芳's visit reminder is due
BATCH = "/v1.0/robot/oToMessages/batchSend"


async def _reminder(h: DingTalkHarness, staff: str) -> None:
    h.clock.set(DEC_4)
    assert (await h.tick())["visit_due"] == 1
    await h.box.wait_for(lambda m: m.to == staff and "张伟明" in m.text, timeout=15)


async def _settled(h: DingTalkHarness, state: OutboxState) -> OutboxMessage:
    """The reminder's row once it reached ``state``. After a first failure the clock moves
    past its retry time once (the relay schedules retries by it) and the relay is woken."""
    moved = False
    for _ in range(300):
        row = await _row(h)
        if row.state == state:
            return row
        if row.last_error and row.state == OutboxState.PENDING and not moved:
            h.clock.set(h.clock.now() + timedelta(seconds=10))
            assert h.runtime.relay is not None
            h.runtime.relay.wake()
            moved = True
        await asyncio.sleep(0.05)
    raise AssertionError(f"row still {row.state} ({row.last_error})")


async def _row(h: DingTalkHarness) -> OutboxMessage:
    async with await h.ctx.uow() as uow:
        return (
            await uow.session.exec(
                select(OutboxMessage).where(OutboxMessage.template == "visit.due")
            )
        ).one()


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"),  # throttled
        (500, "systemError"),  # DingTalk's side: backed off
    ],
)
async def test_throttling_and_server_errors_are_retried_and_delivered_once(
    dingtalk: DingTalkHarness, status: int, code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dingtalk_sender, "THROTTLE_WAIT", 0.2)
    wang = await dingtalk.register("王芳")
    dingtalk.box.fail_next(BATCH, status, code)
    dingtalk.clock.set(DEC_4)
    assert (await dingtalk.tick())["visit_due"] == 1
    await _settled(dingtalk, OutboxState.SENT)
    assert dingtalk.runtime.relay is not None and dingtalk.runtime.relay.counts.retried == 1
    assert len([m for m in dingtalk.box.messages_to(wang) if "张伟明" in m.text]) == 1
    assert len([m for m in dingtalk.box.messages_to(wang) if "张伟明" in m.text]) == 1


async def test_an_expired_token_is_fetched_again_once(dingtalk: DingTalkHarness) -> None:
    wang = await dingtalk.register("王芳")
    before = dingtalk.box.token_requests
    dingtalk.box.expire_tokens()
    await _reminder(dingtalk, wang)
    assert dingtalk.box.token_requests == before + 1
    await _settled(dingtalk, OutboxState.SENT)
    assert dingtalk.runtime.relay is not None and dingtalk.runtime.relay.counts.retried == 0


async def test_a_flow_controlled_user_is_sent_to_later(
    dingtalk: DingTalkHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dingtalk_sender, "FLOW_CONTROL_WAIT", 0.3)
    wang = await dingtalk.register("王芳")
    dingtalk.box.flow_control(wang)
    dingtalk.clock.set(DEC_4)
    assert (await dingtalk.tick())["visit_due"] == 1
    await _settled(dingtalk, OutboxState.SENT)
    assert dingtalk.runtime.relay is not None and dingtalk.runtime.relay.counts.retried == 1


async def test_a_user_gone_from_the_organisation_is_marked_unreachable(
    dingtalk: DingTalkHarness,
) -> None:
    h = dingtalk
    wang = await h.register("王芳")
    del h.box.users[wang]  # left the organisation: DingTalk lists them as invalid
    h.clock.set(DEC_4)
    assert (await h.tick())["visit_due"] == 1
    row = await _settled(h, OutboxState.DEAD)
    assert "invalidStaffId" in row.last_error
    async with await h.ctx.uow() as uow:
        account = (await uow.session.exec(select(ChannelAccount))).one()
    assert account.blocked_at is not None  # nothing more is queued for them there


async def test_a_reply_falls_back_to_the_openapi_when_the_session_webhook_is_refused(
    dingtalk: DingTalkHarness,
) -> None:
    h = dingtalk
    wang = await h.register("王芳")
    h.box.fail_next("/robot/sendBySession", 200, "300001", "session不存在或已过期")
    reply = await h.say(wang, "/help")
    assert reply.kind == "oto" and reply.text
