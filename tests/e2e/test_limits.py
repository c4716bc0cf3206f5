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
