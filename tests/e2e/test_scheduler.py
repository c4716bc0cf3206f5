"""The scheduler's sweeps through the real runtime and relay: on 2026-12-01 09:00 the county
group gets November's dispatch summary (counts only) and the county office (陈静) the sheet
in a private chat; on 12-04 王芳 is reminded of her unvisited household; nothing twice."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from bot.context import AppContext
from bot.worker import Worker
from tests.e2e.conftest import Harness

DEC_1 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Beijing
DEC_4 = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)  # 28 days of the quarter left


async def test_dispatch_check_and_visit_reminder(harness: Harness) -> None:
    box = harness.sandbox
    chen = await harness.register("陈静")  # the county leading group office
    wang = await harness.register("王芳")
    group = box.group("赣县区驻村工作群", members=[chen])
    sent = await chen.send("/bind county", chat=group)
    await box.wait_for_message(group, contains="赣县区", after=sent["message_id"])
    bound = box.last_sent(group)
    assert bound is not None

    harness.clock.set(DEC_1)
    before = max(m.message_id for m in box.sent(chen))
    counts = await harness.tick()
    assert counts["monthly_dispatch"] == 2 and counts["visit_due"] == 0
    summary = await box.wait_for_message(group, contains="下寨村", after=bound.message_id)
    assert "调度" in summary.text and "江口镇" in summary.text
    for private in ("王芳", "李强", "张伟", "张伟明", "H0001"):
        assert private not in summary.text
    sheet = await box.wait_for_message(chen, contains="赣县区", after=before)
    assert sheet.document is not None and sheet.content
    assert sheet.file_name == "调度表_赣县区_2026-11.xlsx" and sheet.content
    rows = list(load_workbook(io.BytesIO(sheet.content))["调度表"].iter_rows(values_only=True))
    assert {row[3] for row in rows[2:-1]} == {"王芳", "李强", "张伟"}

    harness.clock.set(DEC_4)
    counts = await harness.tick()
    assert counts["monthly_dispatch"] == 0 and counts["visit_due"] == 1
    reminder = await box.wait_for_message(wang, contains="张伟明")
    assert "/visit" in reminder.text
    assert set((await harness.tick()).values()) == {0}  # run twice: nothing more
    assert len([m for m in box.sent(group) if "下寨村" in m.text]) == 1
    assert len([m for m in box.sent(wang) if "张伟明" in m.text]) == 1
    assert len([m for m in box.sent(chen) if m.document is not None]) == 1


async def test_a_worker_ticks_and_sends(harness: Harness) -> None:
    """``zhucun run --role worker``: the scheduler ticks, its own relay sends."""
    wang = await harness.register("王芳")
    harness.clock.set(DEC_4)
    ctx = AppContext(settings=harness.ctx.settings, clock=harness.clock)
    worker = Worker(ctx, own_relay=True, interval_seconds=0.2, standby_seconds=0.2)
    await worker.prepare()
    task = asyncio.create_task(worker.run())
    try:
        reminder = await harness.sandbox.wait_for_message(wang, contains="张伟明")
        assert "/visit" in reminder.text
        # The relay may deliver before the tick that woke it has returned and been counted.
        for _ in range(100):
            if worker.ticks >= 1:
                break
            await asyncio.sleep(0.02)
        assert worker.holding and worker.ticks >= 1
    finally:
        await worker.stop()
        await task
        await ctx.close()
    assert not worker.holding


async def test_after_three_days_down_what_is_still_due_arrives_once(harness: Harness) -> None:
    """The bot was off from 11-30 to 12-04 (the dispatch check's morning included). The
    first tick after the restart sends what is still due, each once: November's dispatch
    summary and sheet, and 王芳's visit reminder; more ticks send nothing more."""
    box = harness.sandbox
    chen, wang = await harness.register("陈静"), await harness.register("王芳")
    group = box.group("赣县区驻村工作群", members=[chen])
    sent = await chen.send("/bind county", chat=group)
    await box.wait_for_message(group, contains="赣县区", after=sent["message_id"])

    harness.clock.set(DEC_4)  # three days and more later: nothing ran meanwhile
    counts = await harness.tick()
    assert counts["monthly_dispatch"] == 2 and counts["visit_due"] == 1
    await box.wait_for_message(group, contains="下寨村")
    await box.wait_for_message(wang, contains="张伟明")
    for _ in range(3):
        assert set((await harness.tick()).values()) == {0}
    await box.drain()
    assert len([m for m in box.sent(group) if "下寨村" in m.text]) == 1
    assert len([m for m in box.sent(wang) if "张伟明" in m.text]) == 1
    assert len([m for m in box.sent(chen) if m.document is not None]) == 1
