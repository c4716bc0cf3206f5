"""``zhucun tick``: every sweep once as of an instant, one line each; a malformed instant is
one line and exit 2."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.cli import main
from bot.config import Settings
from bot.context import AppContext
from models.workflow import OutboxMessage
from services.operations.schedule import SWEEPS
from tests import presence_factories as pf
from tests.factories import seed_roster


@pytest.fixture
async def database(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AppContext:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in ("ZHUCUN_POLICY", "ZHUCUN_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", database_url)
    ctx = AppContext(Settings(_env_file=None, database_url=database_url))
    async with await ctx.uow() as uow:
        roster = await seed_roster(uow.session, datetime(2026, 10, 1, tzinfo=UTC))
        await pf.register_everyone(uow.session, roster)
        await uow.commit()
    await ctx.close()
    return ctx


async def _main(argv: list[str]) -> int:
    return await asyncio.to_thread(main, argv)


async def keys(ctx: AppContext) -> list[str]:
    async with await ctx.uow() as uow:
        rows = await uow.session.exec(
            select(OutboxMessage.dedup_key).where(col(OutboxMessage.template) == "visit.due")
        )
        found = list(rows.all())
    await ctx.close()
    return found


async def test_tick_at_an_instant(database: AppContext, capsys: pytest.CaptureFixture[str]) -> None:
    assert await _main(["tick", "--at", "2026-12-20T09:00+08:00"]) == 0, capsys.readouterr().err
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "定时任务，按 2026-12-20T09:00+08:00（Asia/Shanghai）"
    counts = dict(line.split()[:2] for line in lines[1:])
    assert list(counts) == [s.name for s in SWEEPS]
    assert lines[7].endswith("走访提醒")  # what the sweep does, in the command line's language
    # A Sunday: the visit reminder waits for a working day (the pack's schedule).
    assert counts["visit_due"] == "0" and counts["draft_sheets"] == "1"
    # Monday, without an offset (the deployment's zone): the same slot goes out now.
    assert await _main(["tick", "--at", "2026-12-21 10:00"]) == 0
    counts = dict(line.split()[:2] for line in capsys.readouterr().out.strip().splitlines()[1:])
    assert counts["visit_due"] == "1" and counts["draft_sheets"] == "0"
    assert await keys(database) == [f"visit-due:{(await _wang(database))}:2026Q4:2026-12-18"]
    assert "failed" not in counts.values()


async def _wang(ctx: AppContext) -> int:
    from models.tables import Cadre, Person

    async with await ctx.uow() as uow:
        found = (
            await uow.session.exec(select(Cadre.id).join(Person).where(col(Person.name) == "王芳"))
        ).one()
    await ctx.close()
    assert found is not None
    return found


async def test_tick_now(database: AppContext, capsys: pytest.CaptureFixture[str]) -> None:
    assert await _main(["tick"]) == 0, capsys.readouterr().err
    assert len(capsys.readouterr().out.strip().splitlines()) == 1 + len(SWEEPS)


@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01T09:00", "2026-12-20T25:00+08:00"])
async def test_a_malformed_instant(
    database: AppContext, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    assert await _main(["tick", "--at", bad]) == 2
    said = capsys.readouterr()
    assert said.out == ""
    (line,) = said.err.strip().splitlines()
    assert line.startswith("zhucun: --at") and "2026-12-20T09:00+08:00" in line


def test_every_sweep_says_what_it_does() -> None:
    from bot.commands.tick import SWEEP_WORDS

    assert list(SWEEP_WORDS) == [s.name for s in SWEEPS]
