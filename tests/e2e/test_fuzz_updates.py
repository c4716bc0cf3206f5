"""Fuzz: a seeded stream of hostile and unlucky updates of every kind through the real
runtime and the Bot API emulator (tests/e2e/fuzz_world.py). Afterwards nothing crashed,
nobody was told of a crash or that nothing was saved, every press was answered, every
call kept to the Bot API, and no paired household's name reached a group.

2,000 updates on SQLite; 300 on PostgreSQL, where each costs more and CI has 15 minutes.
``bench/fuzz.py`` runs the same generator for much longer."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import SQLITE
from tests.e2e import fuzz_checks, fuzz_world
from tests.e2e.conftest import Harness

COUNT = {SQLITE: 2_000}
SMALL_COUNT = 300
SEED = 17


async def test_fuzzed_updates_crash_nothing_and_mislead_nobody(
    harness: Harness, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    fuzzer = await fuzz_world.populate(harness, SEED)
    count = COUNT.get(backend, SMALL_COUNT)
    await fuzz_world.run(fuzzer, count)
    await harness.sandbox.drain(timeout=30)
    await fuzz_checks.settle(harness)
    names = await fuzz_checks.paired_household_names(harness)
    assert names  # else the leak check would check nothing
    assert fuzzer.tally.sent == count
    # Every kind of action was taken, so each check saw something.
    kinds = {"press", "forged press", "command", "shaped command", "text", "clock and sweeps"}
    assert set(fuzzer.tally.actions) >= kinds
    found = fuzz_checks.findings(harness.sandbox, caplog.records, names)
    assert found.problems() == {}
