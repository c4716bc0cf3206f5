"""Flood control (bot/flood.py): a burst goes through, a script is slowed, told once."""

from __future__ import annotations

from bot.flood import FloodGate


def test_a_burst_passes_then_the_rate_holds_and_the_flood_is_told_once() -> None:
    gate = FloodGate(burst=5, per_second=1.0)
    verdicts = [gate.check("telegram", "1", None, now=0.0) for _ in range(8)]
    assert verdicts[:5] == [(True, False)] * 5
    assert verdicts[5:] == [(False, True), (False, False), (False, False)]
    # Someone else is untouched.
    assert gate.check("telegram", "2", None, now=0.0) == (True, False)
    # Refilled at one a second.
    assert gate.check("telegram", "1", None, now=1.0) == (True, False)
    assert gate.check("telegram", "1", None, now=1.0) == (False, False)  # still the same flood
    # Calm again (half the burst back): a later flood is told again.
    assert gate.check("telegram", "1", None, now=10.0) == (True, False)
    for _ in range(4):
        gate.check("telegram", "1", None, now=10.0)
    assert gate.check("telegram", "1", None, now=10.0) == (False, True)


def test_channels_are_separate_senders() -> None:
    gate = FloodGate(burst=1, per_second=0.1)
    assert gate.check("telegram", "7", None, now=0.0) == (True, False)
    assert gate.check("dingtalk", "7", None, now=0.0) == (True, False)
    assert gate.check("telegram", "7", None, now=0.0) == (False, True)


def test_a_backlog_typed_over_minutes_is_not_a_flood() -> None:
    """After downtime a busy approver's decisions arrive at once; by when each was sent (the
    messenger's timestamp) they are a person's pace, and all go through. The same number
    sent within a second is a flood; so is a burst with no timestamps (presses)."""
    gate = FloodGate(burst=20, per_second=2.0)
    backlog = [gate.check("telegram", "9", 1_000.0 + 3 * n, now=50.0) for n in range(60)]
    assert all(allowed for allowed, _ in backlog)
    burst = [gate.check("telegram", "8", 2_000.0, now=50.0) for _ in range(60)]
    assert sum(allowed for allowed, _ in burst) == 20
    presses = [gate.check("telegram", "7", None, now=50.0) for _ in range(60)]
    assert sum(allowed for allowed, _ in presses) == 20
    # A timestamp a little out of order takes nothing back.
    assert gate.check("telegram", "9", 1_100.0, now=50.0) == (True, False)


def test_a_clock_that_stands_still_for_the_sender_still_refills_by_the_bots() -> None:
    """The demo's messages all carry its fixed clock's time: the bot's own clock shows the
    minutes between them."""
    gate = FloodGate(burst=20, per_second=2.0)
    typed = [gate.check("telegram", "5", 1_000.0, now=float(10 * n)) for n in range(60)]
    assert all(allowed for allowed, _ in typed)
