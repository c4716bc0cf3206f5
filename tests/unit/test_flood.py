"""Flood control (bot/flood.py): a burst goes through, a script is slowed, told once."""

from __future__ import annotations

from bot.flood import FloodGate


def test_a_burst_passes_then_the_rate_holds_and_the_flood_is_told_once() -> None:
    gate = FloodGate(burst=5, per_second=1.0)
    verdicts = [gate.check("telegram", "1", now=0.0) for _ in range(8)]
    assert verdicts[:5] == [(True, False)] * 5
    assert verdicts[5:] == [(False, True), (False, False), (False, False)]
    # Someone else is untouched.
    assert gate.check("telegram", "2", now=0.0) == (True, False)
    # Refilled at one a second.
    assert gate.check("telegram", "1", now=1.0) == (True, False)
    assert gate.check("telegram", "1", now=1.0) == (False, False)  # still the same flood
    # Calm again (half the burst back): a later flood is told again.
    assert gate.check("telegram", "1", now=10.0) == (True, False)
    for _ in range(4):
        gate.check("telegram", "1", now=10.0)
    assert gate.check("telegram", "1", now=10.0) == (False, True)


def test_channels_are_separate_senders() -> None:
    gate = FloodGate(burst=1, per_second=0.1)
    assert gate.check("telegram", "7", now=0.0) == (True, False)
    assert gate.check("dingtalk", "7", now=0.0) == (True, False)
    assert gate.check("telegram", "7", now=0.0) == (False, True)
