"""A roster import is the whole roster: cadres and approver posts it leaves out end. The
seeded county (王芳, 李强, 张伟; 刘洋 the township's 乡镇党委, ...) imported again without
someone: through the service (with its confirm), then the command line (asks, --yes, or a
one-line refusal when nobody can be asked)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli import main
from models.enums import ApproverKind
from models.tables import ApproverPost, Cadre
from services.clock import FixedClock
from services.errors import DomainError
from services.leave import approvals
from services.roster.importing.departures import Departures
from services.roster.importing.importer import import_roster
from tests.factories import bind_telegram, seed_roster
from tests.unit.roster_fixtures import Roster, sample_roster, write_workbook
from tests.unit.test_access_ends import GANZHOU, TODAY, ZONE, World, _press_approve, ask_leave

PLACE = {"县": "赣县区", "乡镇": "江口镇", "村": "下寨村"}
CADRES = [("王芳", "13800000001", "第一书记"), ("李强", "13800000002", "队员"),
          ("张伟", "13800000003", "队员")]  # fmt: skip
APPROVERS = [
    ("刘洋", "13900000001", "乡镇党委", "江口镇"),
    ("陈静", "13900000002", "县驻村办", "赣县区"),
    ("赵敏", "13900000003", "县驻村领导小组", "赣县区"),
    ("孙磊", "13900000004", "县委组织部", "赣县区"),
    ("周建国", "13900000005", "村党组织", "江口镇/下寨村"),
    ("吴海", "13900000006", "派出单位", "赣州市财政局"),
]


def seeded_file(path: Path, *, without: str = "") -> Path:
    """The seeded county as a roster workbook, leaving ``without`` out."""
    roster: Roster = {
        "村": [{**PLACE, "类别": None, "纬度": None, "经度": None}],
        "派出单位": [{"单位": "赣州市财政局", "层级": "市"}],
        "工作队员": [
            {
                "姓名": name,
                "手机": phone,
                **PLACE,
                "职务": role,
                "派出单位": "赣州市财政局",
                "任期开始": date(2025, 6, 1),
                "任期结束": date(2027, 5, 31),
            }
            for name, phone, role in CADRES
            if name != without
        ],
        "审批人": [
            {"姓名": name, "手机": phone, "岗位": post, "辖区": place}
            for name, phone, post, place in APPROVERS
            if name != without
        ],
    }
    return write_workbook(path, roster)


@pytest.fixture
async def world(session: AsyncSession, clock: FixedClock) -> World:
    roster = await seed_roster(session, clock.now())
    users = {}
    for n, (name, person) in enumerate(roster.people.items(), start=1):
        bind_telegram(session, person, 70_000 + n)
        users[name] = str(70_000 + n)
    await session.flush()
    return World(roster, users)


async def _import(session: AsyncSession, clock: FixedClock, path: Path, answer: bool) -> Any:
    asked: list[Departures] = []

    def confirm(departed: Departures) -> bool:
        asked.append(departed)
        return answer

    result = await import_roster(session, path, now=clock.now(), today=TODAY, confirm=confirm)
    return result, asked


async def test_the_full_roster_again_ends_nobody(
    session: AsyncSession, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    result, asked = await _import(session, clock, seeded_file(tmp_path / "r.xlsx"), True)
    assert result.ok and not result.departed and asked == []


@pytest.mark.parametrize("answer", [True, False])
async def test_a_cadre_left_out_ends_only_when_confirmed(
    session: AsyncSession, clock: FixedClock, world: World, tmp_path: Path, answer: bool
) -> None:
    path = seeded_file(tmp_path / "r.xlsx", without="张伟")
    result, asked = await _import(session, clock, path, answer)
    assert [d.names for d in asked] == [["张伟"]]
    assert result.refused is not answer and result.departed.names == ["张伟"]
    cadre = await session.get(Cadre, world.cadre("张伟"))
    assert cadre is not None
    assert cadre.term_end == (TODAY - timedelta(days=1) if answer else date(2027, 5, 31))
    others = await session.get(Cadre, world.cadre("李强"))
    assert others is not None and others.term_end == date(2027, 5, 31)
    if answer:  # out of post from today, in the chat too
        from tests.core_requests import Private

        said = await Private(session, clock, world.users["张伟"]).said("/visit")
        assert "任期已于" in said


async def test_an_approver_left_out_loses_the_post_and_cannot_approve(
    session: AsyncSession, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    leave_id = await ask_leave(session, world, clock, "李强")  # waits on 刘洋's 乡镇党委
    path = seeded_file(tmp_path / "r.xlsx", without="刘洋")
    result, _ = await _import(session, clock, path, True)
    assert result.ok and result.departed.names == ["刘洋"]
    assert result.departed.people[0].posts == (ApproverKind.TOWNSHIP_PARTY_COMMITTEE,)
    posts = (
        await session.exec(
            select(ApproverPost).where(col(ApproverPost.person_id) == world.person("刘洋"))
        )
    ).all()
    assert posts == []
    with pytest.raises(DomainError) as refused:
        await approvals.decide(
            session, GANZHOU, leave_id, world.person("刘洋"), approve=True, note="",
            now=clock.now(), zone=ZONE,
        )  # fmt: skip
    assert refused.value.code == "not_your_decision"
    said = await _press_approve(session, clock, world, "刘洋", leave_id)
    assert "已批准" not in said


# --- the command line ----------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env
    db = tmp_path / "t.db"
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    return db


def _term_end(db: Path, phone: str) -> str:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "select c.term_end from cadres c join people p on p.id = c.person_id where p.phone = ?",
            (phone,),
        ).fetchone()
    return str(row[0])


def _without_zhang(tmp_path: Path) -> Path:
    roster = sample_roster()
    roster["工作队员"] = [r for r in roster["工作队员"] if r["姓名"] != "张丽萍"]
    roster["结对"] = [r for r in roster["结对"] if r["干部手机"] != "13807970003"]
    return write_workbook(tmp_path / "less.xlsx", roster)


def test_cli_refuses_without_a_terminal_or_yes_and_ends_with_yes(
    cli_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(write_workbook(tmp_path / "r.xlsx", sample_roster()))]) == 0
    capsys.readouterr()
    less = _without_zhang(tmp_path)

    assert main(["import", str(less)]) == 1  # pytest's stdin is no terminal
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "1 人" in err[0] and "张丽萍" in err[0] and "--yes" in err[0]
    assert _term_end(cli_db, "13807970003") == "2027-12-31"

    assert main(["import", "--yes", str(less)]) == 0
    out = capsys.readouterr().out
    assert "已结束 1 人的驻村/岗位：张丽萍" in out
    yesterday = datetime.now(UTC).astimezone(ZONE).date() - timedelta(days=1)
    assert _term_end(cli_db, "13807970003") == yesterday.isoformat()

    assert main(["import", "--yes", str(less)]) == 0  # already out of post: not again
    assert "已结束" not in capsys.readouterr().out


@pytest.mark.parametrize(("typed", "status"), [("y", 0), ("", 1), ("n", 1)])
def test_cli_asks_on_a_terminal(
    cli_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    typed: str,
    status: int,
) -> None:
    assert main(["import", str(write_workbook(tmp_path / "r.xlsx", sample_roster()))]) == 0
    questions: list[str] = []

    def answer(question: str) -> str:
        questions.append(question)
        return typed

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", answer)
    assert main(["import", str(_without_zhang(tmp_path))]) == status
    assert questions == ["将结束以下 1 人的驻村/岗位：张丽萍 确定吗？[y/N] "]
    changed = _term_end(cli_db, "13807970003") != "2027-12-31"
    assert changed is (status == 0)
