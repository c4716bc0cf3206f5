"""Quarter arithmetic in the deployment's zone, and which pairings were visited."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import cli
from locales import Catalogs
from models import migrate
from models.db import create_engine, session_factory
from models.enums import Jurisdiction, VisitMode
from models.tables import Pairing
from services.clock import FixedClock
from services.errors import DomainError
from services.periods import Period
from services.policy import Cadence
from services.policy_loading import load_pack
from services.visits.coverage import Scope, ScopeKind, coverage
from services.visits.ledger_report import report_scope, visit_ledger
from services.visits.records import log_visit
from tests.factories import seed_roster
from tests.presence_factories import ZONE
from tests.visit_factories import VisitWorld, seed_visit_world

BEIJING = ZoneInfo("Asia/Shanghai")
PACK = load_pack("ganzhou-2021")
Q4 = Period.quarter(2026, 4)


def beijing(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING).astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "quarter"),
    [
        ("2026Q4", Q4),
        ("2026q1", Period.quarter(2026, 1)),
        ("2026-Q2", Period.quarter(2026, 2)),
        (" 2027 q3 ", Period.quarter(2027, 3)),
    ],
)
def test_quarter_parse(text: str, quarter: Period) -> None:
    assert Period.parse(text, Cadence.QUARTERLY) == quarter
    assert quarter.label == f"{quarter.year}Q{quarter.index}"


@pytest.mark.parametrize("text", ["2026Q5", "2026Q0", "Q4", "26Q4", "2026-12", ""])
def test_quarter_parse_refuses(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        Period.parse(text, Cadence.QUARTERLY)
    assert caught.value.code == "quarter_invalid"


@pytest.mark.parametrize(
    ("instant", "quarter"),
    [
        (beijing(2026, 12, 31, 23, 30), Q4),  # 15:30 UTC on the 31st
        (beijing(2027, 1, 1, 0, 30), Period.quarter(2027, 1)),  # still 31 Dec in UTC
        (beijing(2026, 10, 1, 0, 10), Q4),  # still 30 Sep in UTC
        (beijing(2026, 9, 30, 23, 59), Period.quarter(2026, 3)),
    ],
)
def test_quarter_of_an_instant_is_read_in_the_zone(instant: datetime, quarter: Period) -> None:
    assert Period.of(Cadence.QUARTERLY, instant, BEIJING) == quarter
    assert quarter.contains(instant, BEIJING)


def test_quarter_bounds_and_days_left() -> None:
    assert (Q4.first_day.isoformat(), Q4.last_day.isoformat()) == ("2026-10-01", "2026-12-31")
    assert Q4.start(BEIJING) == datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
    assert Q4.end(BEIJING) == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert Q4.next == Period.quarter(2027, 1)
    assert Q4.days_left(beijing(2026, 12, 31, 23, 30), BEIJING) == 1
    assert Q4.days_left(beijing(2026, 11, 23, 9, 0), BEIJING) == 39
    assert Q4.days_left(beijing(2027, 1, 1, 0, 30), BEIJING) == 0
    assert Q4.days_left(beijing(2026, 6, 1, 9, 0), BEIJING) == 92
    # Another deployment zone moves the boundary.
    assert Q4.start(ZoneInfo("UTC")) == datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture
async def world(session: AsyncSession, clock: FixedClock) -> VisitWorld:
    roster = await seed_roster(session, clock.now())
    return await seed_visit_world(session, roster, clock.now())


async def visit(
    session: AsyncSession,
    world: VisitWorld,
    cadre: str,
    household: str,
    at: datetime,
    mode: VisitMode = VisitMode.IN_PERSON,
    risk: bool = False,
) -> None:
    cadre_id, household_id = world.cadres[cadre].id, world.households[household].id
    assert cadre_id is not None and household_id is not None
    await log_visit(
        session, cadre_id=cadre_id, household_id=household_id, mode=mode, pack=PACK,
        now=at, visited_at=at, risk=risk, zone=ZONE,
    )  # fmt: skip


def scope(kind: ScopeKind, ident: int | None) -> Scope:
    assert ident is not None
    return Scope(kind, ident)


async def test_a_visit_late_on_new_years_eve_counts_for_q4(
    session: AsyncSession, world: VisitWorld
) -> None:
    await visit(session, world, "王芳", "张伟明", beijing(2026, 12, 31, 23, 30))
    await visit(session, world, "王芳", "李秀英", beijing(2027, 1, 1, 0, 30))
    at_end = beijing(2026, 12, 31, 23, 45)
    cov = await coverage(
        session, PACK, Q4, scope(ScopeKind.CADRE, world.cadres["王芳"].id), now=at_end, zone=BEIJING
    )
    done = {r.head_name: r.done for r in cov.rows}
    assert done == {"张伟明": True, "李秀英": False}
    assert (cov.pairings, cov.visited, cov.days_left) == (2, 1, 1)
    assert cov.not_visited[0].head_name == "李秀英"
    assert cov.place == "王芳"

    q1 = await coverage(
        session, PACK, Period.quarter(2027, 1), scope(ScopeKind.CADRE, world.cadres["王芳"].id),
        now=beijing(2027, 1, 2, 9, 0), zone=BEIJING,
    )  # fmt: skip
    assert {r.head_name: r.done for r in q1.rows} == {"张伟明": False, "李秀英": True}


async def test_phone_and_online_are_recorded_but_not_counted(
    session: AsyncSession, world: VisitWorld
) -> None:
    await visit(session, world, "王芳", "张伟明", beijing(2026, 11, 20, 10, 0), VisitMode.PHONE)
    await visit(session, world, "王芳", "张伟明", beijing(2026, 11, 21, 10, 0), VisitMode.ONLINE)
    now = beijing(2026, 11, 23, 9, 0)
    cov = await coverage(
        session, PACK, Q4, scope(ScopeKind.CADRE, world.cadres["王芳"].id), now=now, zone=BEIJING
    )
    row = next(r for r in cov.rows if r.head_name == "张伟明")
    assert (row.counted_visits, row.other_visits, row.done) == (0, 2, False)
    assert row.last_visit_at == beijing(2026, 11, 21, 10, 0)
    # A pack that counted phone calls would count them: the rule is data.
    phone_pack = PACK.model_copy(
        update={"visits": PACK.visits.model_copy(update={"counted_modes": ["in_person", "phone"]})}
    )
    cov = await coverage(
        session, phone_pack, Q4, scope(ScopeKind.CADRE, world.cadres["王芳"].id), now=now,
        zone=BEIJING,
    )  # fmt: skip
    assert next(r for r in cov.rows if r.head_name == "张伟明").done


async def test_a_teammates_visit_does_not_count_for_the_pairing(
    session: AsyncSession, world: VisitWorld
) -> None:
    await visit(session, world, "李强", "张伟明", beijing(2026, 11, 20, 10, 0))
    cov = await coverage(
        session, PACK, Q4, scope(ScopeKind.TEAM, world.roster.team.id),
        now=beijing(2026, 11, 23, 9, 0), zone=BEIJING,
    )  # fmt: skip
    row = next(r for r in cov.rows if r.head_name == "张伟明")
    assert (row.cadre_name, row.done, row.other_visits) == ("王芳", False, 1)


async def test_coverage_by_team_township_county_and_post(
    session: AsyncSession, world: VisitWorld
) -> None:
    await visit(session, world, "王芳", "张伟明", beijing(2026, 11, 20, 10, 0), risk=True)
    await visit(session, world, "赵敏", "单雄信", beijing(2026, 11, 21, 10, 0))
    await visit(session, world, "李强", "曾国藩", beijing(2026, 11, 22, 10, 0), VisitMode.PHONE)
    now = beijing(2026, 11, 23, 9, 0)

    async def counts(s: Scope) -> tuple[str, int, int, int, int]:
        cov = await coverage(session, PACK, Q4, s, now=now, zone=BEIJING)
        return cov.place, cov.pairings, cov.visited, cov.risk_flags, cov.visits

    roster = world.roster
    assert await counts(scope(ScopeKind.TEAM, roster.team.id)) == ("下寨村", 4, 1, 1, 2)
    assert await counts(scope(ScopeKind.VILLAGE, roster.village.id)) == ("下寨村", 4, 1, 1, 2)
    assert await counts(scope(ScopeKind.TOWNSHIP, roster.township.id)) == ("江口镇", 4, 1, 1, 2)
    assert await counts(scope(ScopeKind.TOWNSHIP, world.township2.id)) == ("茅店镇", 1, 1, 0, 1)
    assert await counts(scope(ScopeKind.COUNTY, roster.county.id)) == ("赣县区", 5, 2, 1, 3)
    assert await counts(Scope(ScopeKind.ALL, 0)) == ("", 5, 2, 1, 3)
    # /coverage for a unit once printed "：结对 12 户" with the name missing (issue 18).
    assert await counts(scope(ScopeKind.UNIT, roster.unit.id)) == ("赣州市财政局", 5, 2, 1, 3)
    post = Scope.of_post(Jurisdiction.TOWNSHIP, f"township:{roster.township.id}")
    assert post == scope(ScopeKind.TOWNSHIP, roster.township.id)


async def test_repairing_keeps_the_history_with_the_household(
    session: AsyncSession, world: VisitWorld
) -> None:
    """张伟明 moves from 王芳 to 张伟 mid-quarter: 王芳's visit stays with the household,
    the new pairing is due for its own cadre, and 王芳 owes nothing for it any more."""
    await visit(session, world, "王芳", "张伟明", beijing(2026, 11, 20, 10, 0))
    moved = beijing(2026, 11, 25, 9, 0)
    household_id = world.households["张伟明"].id
    old = (await session.exec(select(Pairing).where(Pairing.household_id == household_id))).one()
    old.ended_at = moved
    session.add(old)
    zhang_id = world.cadres["张伟"].id
    assert zhang_id is not None and household_id is not None
    session.add(Pairing(cadre_id=zhang_id, household_id=household_id, started_at=moved))
    await session.flush()

    now = moved + timedelta(days=1)
    wang = await coverage(
        session, PACK, Q4, scope(ScopeKind.CADRE, world.cadres["王芳"].id), now=now, zone=BEIJING
    )
    assert [r.head_name for r in wang.rows] == ["李秀英"]
    zhang = await coverage(
        session, PACK, Q4, scope(ScopeKind.CADRE, zhang_id), now=now, zone=BEIJING
    )
    row = next(r for r in zhang.rows if r.head_name == "张伟明")
    assert (row.done, row.other_visits, row.last_visit_at) == (
        False,
        1,
        beijing(2026, 11, 20, 10, 0),
    )
    # Looking back at the quarter before the move, 王芳's pairing was due and done.
    before = await coverage(
        session, PACK, Q4, scope(ScopeKind.CADRE, world.cadres["王芳"].id),
        now=beijing(2026, 11, 24, 9, 0), zone=BEIJING,
    )  # fmt: skip
    assert {r.head_name: r.done for r in before.rows} == {"张伟明": True, "李秀英": False}


# --- the ledger workbook -------------------------------------------------------------------


def trimmed(row: tuple[object, ...]) -> list[object]:
    cells = list(row)
    while cells and cells[-1] is None:
        cells.pop()
    return cells


async def test_visit_ledger_workbook(session: AsyncSession, world: VisitWorld) -> None:
    await visit(session, world, "王芳", "张伟明", beijing(2026, 12, 1, 9, 30), risk=True)
    await visit(session, world, "李强", "曾国藩", beijing(2026, 12, 2, 15, 0), VisitMode.PHONE)
    await visit(session, world, "赵敏", "单雄信", beijing(2026, 12, 3, 10, 0))
    await visit(session, world, "王芳", "李秀英", beijing(2026, 9, 30, 10, 0))  # Q3
    content, cov, count = await visit_ledger(
        session, PACK, Q4, await report_scope(session, township="江口镇"),
        now=beijing(2026, 12, 10, 9, 0), zone=BEIJING, t=Catalogs().get("zh"),
    )  # fmt: skip
    assert count == 2 and (cov.pairings, cov.visited, cov.risk_flags) == (4, 1, 1)
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["走访台账", "覆盖情况"]
    ledger = [list(r) for r in book["走访台账"].iter_rows(values_only=True)]
    header = ledger[0]
    assert header[:11] == [
        "序号", "走访日期", "时间", "乡镇", "村", "农户编号", "户主", "农户类别", "帮扶干部",
        "走访方式", "计入本季度走访",
    ]  # fmt: skip
    row = dict(zip(header, ledger[1], strict=True))
    assert (row["走访日期"], row["时间"], row["户主"], row["帮扶干部"]) == (
        "2026年12月1日", "09:30", "张伟明", "王芳",
    )  # fmt: skip
    assert (row["走访方式"], row["计入本季度走访"], row["返贫风险"], row["位置"]) == (
        "入户走访", "是", "是", "未共享",
    )  # fmt: skip
    assert row["饮水安全"] == "正常" and row["农户类别"] == "边缘易致贫户"
    second = dict(zip(header, ledger[2], strict=True))
    assert (second["户主"], second["走访方式"], second["计入本季度走访"]) == (
        "曾国藩",
        "电话联系",
        "否",
    )
    assert not any("身份证" in str(h) for h in header)

    cells = [trimmed(r) for r in book["覆盖情况"].iter_rows(values_only=True)]
    assert cells[0] == ["季度", "2026年第4季度"] and cells[1] == ["范围", "江口镇"]
    assert ["结对户数", 4] in cells and ["已走访", 1] in cells and ["本季度剩余天数", 22] in cells
    pairings = [c for c in cells if c and c[0] == "江口镇"]
    assert len(pairings) == 4
    done = next(c for c in pairings if c[3] == "张伟明")
    assert done[-2:] == ["2026年12月1日", "已走访"]


async def test_report_scope_by_name(session: AsyncSession, world: VisitWorld) -> None:
    assert (await report_scope(session)).kind is ScopeKind.ALL
    county = await report_scope(session, county="赣县区")
    assert county == Scope(ScopeKind.COUNTY, world.roster.county.id or 0)
    township = await report_scope(session, township="赣县区/茅店镇")
    assert township == Scope(ScopeKind.TOWNSHIP, world.township2.id or 0)
    for kwargs, code in [
        ({"township": "无此镇"}, "report_township_unknown"),
        ({"county": "无此县"}, "report_county_unknown"),
        ({"township": "江口镇", "county": "赣县区"}, "report_scope_both"),
    ]:
        with pytest.raises(DomainError) as caught:
            await report_scope(session, **kwargs)
        assert caught.value.code == code


async def test_report_visits_command(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    await migrate.ensure_migrated(engine)
    async with session_factory(engine)() as session:
        roster = await seed_roster(session, beijing(2026, 11, 1, 9, 0))
        world = await seed_visit_world(session, roster, beijing(2026, 11, 1, 9, 0))
        await visit(session, world, "王芳", "张伟明", beijing(2026, 11, 20, 10, 0))
        await session.commit()
    await engine.dispose()
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", database_url)
    monkeypatch.setenv("ZHUCUN_POLICY", "ganzhou-2021")
    output = tmp_path / "out" / "ledger.xlsx"

    argv = ["report", "visits", "--quarter", "2026Q4", "--county", "赣县区", "-o", str(output)]
    code = await asyncio.to_thread(cli.main, argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "2026年第4季度 赣县区" in out and "走访记录 1 条" in out and "结对 5 户" in out
    assert load_workbook(output).sheetnames == ["走访台账", "覆盖情况"]

    bad = ["report", "visits", "--quarter", "2026Q9", "-o", str(output)]
    assert await asyncio.to_thread(cli.main, bad) == 2
    assert "2026Q4 这样的形式" in capsys.readouterr().err
    nowhere = ["report", "visits", "--township", "无此镇", "-o", str(output)]
    assert await asyncio.to_thread(cli.main, nowhere) == 2
    assert "找不到乡镇“无此镇”" in capsys.readouterr().err


async def test_visit_ledger_in_en_reads_in_english(
    session: AsyncSession, world: VisitWorld
) -> None:
    """The same workbook with the en translator: only the roster's own names stay Chinese."""
    await visit(session, world, "王芳", "张伟明", beijing(2026, 12, 1, 9, 30), risk=True)
    content, _, _ = await visit_ledger(
        session, PACK, Q4, await report_scope(session, township="江口镇"),
        now=beijing(2026, 12, 10, 9, 0), zone=BEIJING, t=Catalogs().get("en"),
    )  # fmt: skip
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Visit ledger", "Coverage"]
    ledger = [list(r) for r in book["Visit ledger"].iter_rows(values_only=True)]
    row = dict(zip(ledger[0], ledger[1], strict=True))
    assert (row["Visit date"], row["Visit mode"], row["Location"]) == (
        "2026-12-01", "Home visit", "Not shared",
    )  # fmt: skip
    cells = [trimmed(r) for r in book["Coverage"].iter_rows(values_only=True)]
    assert cells[0] == ["Quarter", "Q4 2026"]
    header = next(c for c in cells if c and c[0] == "Township")
    assert not any(re.search(r"[\u4e00-\u9fff]", str(h)) for h in ledger[0] + header)
