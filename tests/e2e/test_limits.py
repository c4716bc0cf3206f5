"""Messengers' limits end to end: a reply that quotes a long text still goes out (the
emulator refuses more than Telegram's 4,096 characters, as Telegram does)."""

from __future__ import annotations

from sandbox.telegram.spec.formatting import utf16_len
from tests.e2e.conftest import Harness


async def test_a_reply_quoting_a_long_text_is_shortened_to_telegrams_limit(
    harness: Harness,
) -> None:
    liu = await harness.register("刘洋")
    answer = await harness.say(liu, "/spotcheck " + "下寨村" * 1700)
    assert answer.text.endswith("…") or "…" in answer.text
    assert utf16_len(answer.text) <= 4096
    # And the conversation goes on.
    await harness.say(liu, "/help", contains="/spotcheck")


async def test_a_forged_press_leaves_no_state_behind(harness: Harness) -> None:
    """A recall ground pressed with a cadre id beyond int64 used to be stored in the
    conversation, and every message after it failed on that id until a command. Now the
    press is refused as a stale one and the next message is the person's own."""
    sandbox = harness.sandbox
    liu = await harness.register("刘洋")
    await harness.register("李强")
    grounds = await harness.say(liu, "/recall 李强", contains="召回")
    query = await liu.press_data(grounds, "rcg:99999999999999999999:0")
    await sandbox.drain()
    answer = sandbox.callbacks[query].answer or {}
    assert answer.get("text") == "该选项已失效。"
    for _ in range(3):
        said = await harness.say(liu, "本月三次抽查不在村")
        assert "出错" not in said.text and "没有看懂" in said.text, said.text
