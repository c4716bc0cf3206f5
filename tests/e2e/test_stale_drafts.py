"""A draft's buttons stop working once the person has started something else (issue 18):
提交 pressed on an abandoned leave draft answers 这条消息已过期 and sends nothing, on every
channel; a pending approval card stays valid whatever came after it."""

from __future__ import annotations

import json

from sqlmodel import select

from models.workflow import LeaveRequest
from tests.e2e.conftest import Harness
from tests.e2e.dingtalk_world import DingTalkHarness

EXPIRED = "这条消息已过期"


async def _leaves(ctx: object) -> list[LeaveRequest]:
    async with await ctx.uow() as uow:  # type: ignore[attr-defined]
        return list((await uow.session.exec(select(LeaveRequest))).all())


async def test_submit_on_an_abandoned_draft_has_expired(harness: Harness) -> None:
    sandbox = harness.sandbox
    wang, liu = await harness.register("王芳"), await harness.register("刘洋")
    summary = await harness.say(wang, "/leave 12-01 12-03 事假 家中有事", contains="提交")
    await harness.say(wang, "/myleave")  # something else
    before = len(sandbox.sent(wang))
    query = await wang.press(summary, "提交")
    await sandbox.drain()
    answer = sandbox.callbacks[query].answer or {}
    assert answer.get("show_alert") is True and answer.get("text") == EXPIRED, answer
    assert len(sandbox.sent(wang)) == before  # nothing sent
    assert await _leaves(harness.ctx) == []
    assert not [m for m in sandbox.sent(liu) if "请假申请" in m.text]


async def test_an_older_draft_does_not_submit_the_newer_one(harness: Harness) -> None:
    sandbox = harness.sandbox
    wang = await harness.register("王芳")
    await harness.register("刘洋")
    first = await harness.say(wang, "/leave 12-01 12-03 事假 家中有事", contains="提交")
    second = await harness.say(wang, "/leave 12-08 12-09 事假 看病", contains="提交")
    query = await wang.press(first, "提交")
    await sandbox.drain()
    assert (sandbox.callbacks[query].answer or {}).get("text") == EXPIRED
    assert await _leaves(harness.ctx) == []
    await wang.press(second, "提交")
    await sandbox.wait_for_message(wang.chat_id, contains="已送", after=second.message_id)
    [leave] = await _leaves(harness.ctx)
    assert str(leave.start_date) == "2026-12-08"


async def test_a_pending_approval_card_stays_valid(harness: Harness) -> None:
    sandbox = harness.sandbox
    wang, liu = await harness.register("王芳"), await harness.register("刘洋")
    summary = await harness.say(wang, "/leave 12-01 12-03 事假 家中有事", contains="提交")
    await wang.press(summary, "提交")
    card = await sandbox.wait_for_message(liu.chat_id, contains="请假申请", timeout=10)
    await harness.say(liu, "/pending")
    await harness.say(liu, "/help")
    await liu.press(card, "批准")
    await sandbox.wait_for_message(wang.chat_id, contains="已获批准", timeout=10)


async def test_dingtalk_card_submit_on_an_abandoned_draft_has_expired(
    dingtalk_cards: DingTalkHarness,
) -> None:
    h, box = dingtalk_cards, dingtalk_cards.box
    wang, liu = await h.register("王芳"), await h.register("刘洋")
    summary = await h.say(wang, "/leave 12-01 12-03 事假 家中有事", contains="提交")
    buttons = json.loads(box.cards[summary.out_track_id].card_param_map["buttons"])
    submit = next(b for b in buttons if b["text"] == "提交")
    await h.say(wang, "/myleave")
    mark = len(box.sent)
    await box.press(wang, summary.out_track_id, {"payload": submit["payload"]})
    told = await box.wait_for(lambda m: m.to == wang, after=mark)
    assert told.text == EXPIRED
    assert await _leaves(h.ctx) == []
    assert not [m for m in box.messages_to(liu) if "请假申请" in m.text]


async def test_dingtalk_actioncard_submit_on_an_abandoned_draft_has_expired(
    dingtalk: DingTalkHarness,
) -> None:
    h = dingtalk
    wang, liu = await h.register("王芳"), await h.register("刘洋")
    await h.say(wang, "/leave 12-01 12-03 事假 家中有事", contains="提交")
    await h.say(wang, "/myleave")
    # The ActionCard's button sends its answer as the person's message.
    told = await h.say(wang, "提交")
    assert told.text == EXPIRED
    assert await _leaves(h.ctx) == []
    assert not [m for m in h.box.messages_to(liu) if "请假申请" in m.text]
    # A new draft's own buttons work as before.
    await h.say(wang, "/leave 12-08 12-09 事假 看病", contains="提交")
    sent = await h.say(wang, "提交", contains="已送")
    assert "#1" in sent.text


async def test_a_recall_ground_on_an_abandoned_proposal_has_expired(harness: Harness) -> None:
    sandbox = harness.sandbox
    liu = await harness.register("刘洋")
    await harness.register("李强")
    grounds = await harness.say(liu, "/recall 李强", contains="召回")
    await harness.say(liu, "/pending")  # something else
    before = len(sandbox.sent(liu))
    query = await liu.press(grounds, grounds.buttons()[0][0])
    await sandbox.drain()
    assert (sandbox.callbacks[query].answer or {}).get("text") == EXPIRED
    assert len(sandbox.sent(liu)) == before
    # What they type next is not taken as the proposal's note.
    said = await harness.say(liu, "本月三次抽查不在村")
    assert "已送县驻村工作领导小组" not in said.text
