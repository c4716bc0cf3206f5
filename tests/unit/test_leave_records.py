"""The leave register (请假登记) and the audit trail, through the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.config import Settings
from bot.context import AppContext
from models.enums import LeaveKind
from services.calendar import WorkCalendar
from services.clock import FixedClock
from services.leave import approvals
from services.leave.requests import LeaveDraft, submit
from services.leave.withdrawal import withdraw
from services.policy_loading import load_pack
from tests.factories import seed_roster

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def database(tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    url = f"sqlite+aiosqlite:///{tmp_path}/records.db"
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", url)
    ctx = AppContext(Settings(_env_file=None, database_url=url), clock=clock)  # type: ignore[call-arg]
    pack, cal = load_pack("ganzhou-2021"), WorkCalendar({})
    async with await ctx.uow() as uow:
        roster = await seed_roster(uow.session, clock.now())
        s = uow.session
        wang, li = roster.cadres["王芳"].id, roster.cadres["李强"].id
        assert wang and li
        a, _ = await submit(
            s,
            pack,
            cal,
            wang,
            LeaveDraft(LeaveKind.PERSONAL, date(2026, 12, 1), date(2026, 12, 3), "家中有事"),
            clock.now(),
            ZONE,
        )
        b, _ = await submit(
            s,
            pack,
            cal,
            li,
            LeaveDraft(LeaveKind.TRAINING, date(2026, 11, 30), date(2026, 12, 2)),
            clock.now(),
            ZONE,
        )
        c, _ = await submit(
            s,
            pack,
            cal,
            li,
            LeaveDraft(LeaveKind.SICK, date(2027, 1, 5), date(2027, 1, 5)),
            clock.now(),
            ZONE,
        )
        assert a.id and b.id and c.id
        liu = roster.people["刘洋"].id
        assert liu
        await approvals.decide(
            s,
            pack,
            a.id,
            liu,
            approve=True,
            note="",
            now=clock.now(),
            zone=ZoneInfo("Asia/Shanghai"),
        )
        await withdraw(s, b.id, li, clock.now(), ZONE)
        await uow.commit()
    await ctx.close()
    return [a.id, b.id, c.id]


async def test_register_has_one_row_per_request_touching_the_month(
    database: list[int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "leave.xlsx"
    code = await _main(
        ["report", "leave", "--month", "2026-12", "--township", "江口镇", "-o", str(out)]
    )
    assert code == 0, capsys.readouterr().err
    sheet = load_workbook(out)["请假登记"]
    assert sheet["A1"].value == "江口镇 2026年12月 驻村干部请假登记"
    header = [c.value for c in sheet[2]]
    rows = [
        dict(zip(header, [c.value for c in row], strict=True)) for row in sheet.iter_rows(min_row=3)
    ]
    assert [(r["姓名"], r["类型"], r["开始日期"], r["状态"]) for r in rows] == [
        ("李强", "培训", "2026年11月30日", "已撤回"),
        ("王芳", "事假", "2026年12月1日", "已批准"),
    ]
    assert rows[1]["审批人"] == "刘洋" and rows[1]["天数"] == 3 and rows[1]["事由"] == "家中有事"


async def test_register_rejects_a_bad_month_and_an_unknown_township(
    database: list[int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        await _main(["report", "leave", "--month", "2026-13", "-o", str(tmp_path / "x.xlsx")]) == 2
    )
    assert (
        await _main(
            [
                "report",
                "leave",
                "--month",
                "2026-12",
                "--township",
                "无此镇",
                "-o",
                str(tmp_path / "x.xlsx"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "2026-13" in err[0] and "无此镇" in err[1]


async def test_audit_prints_who_when_from_and_to(
    database: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _main(["audit", "leave", str(database[0])]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert "王芳  submit - → pending" in lines[0]
    assert "刘洋  approve pending → approved" in lines[1]
    assert await _main(["audit", "leave", "999"]) == 2


async def _main(argv: list[str]) -> int:
    # bot.cli.main runs its own event loop; keep it off this test's loop.
    import asyncio

    return await asyncio.to_thread(main, argv)
