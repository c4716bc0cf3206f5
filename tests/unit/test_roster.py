"""The roster import: template, workbook and CSV, all-or-nothing checks, idempotent upserts."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli import main
from bot.commands.roster_messages import problem_line
from locales import office_translator
from models.enums import ApproverKind, HouseholdCategory, Jurisdiction, TeamRole, UnitLevel
from models.tables import (
    ApproverPost,
    Cadre,
    County,
    DispatchingUnit,
    Household,
    Pairing,
    Person,
    Team,
    Township,
    Village,
)
from services.clock import FixedClock
from services.roster.importing.cells import CellError, parse_date, parse_needs, parse_phone
from services.roster.importing.check_households import household_code
from services.roster.importing.importer import ImportResult, import_roster
from services.roster.importing.layout import SHEETS, write_template
from services.roster.importing.problems import Problem
from services.roster.importing.reader import read_roster
from tests.unit.roster_fixtures import (
    Roster,
    sample_roster,
    write_csv_folder,
    write_workbook,
)

TABLES: list[type[SQLModel]] = [
    DispatchingUnit,
    County,
    Township,
    Village,
    Team,
    Person,
    Cadre,
    ApproverPost,
    Household,
    Pairing,
]


async def dump(session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    """Every roster table, row by row, ids included."""
    result: dict[str, list[dict[str, Any]]] = {}
    for model in TABLES:
        rows = (await session.exec(select(model))).all()
        result[model.__name__] = sorted(
            (r.model_dump() for r in rows), key=lambda d: d.get("id") or 0
        )
    return result


async def table_sizes(session: AsyncSession) -> dict[str, int]:
    return {name: len(rows) for name, rows in (await dump(session)).items()}


async def run_import(
    session: AsyncSession, path: Path, clock: FixedClock, **kwargs: Any
) -> ImportResult:
    result = await import_roster(session, path, now=clock.now(), **kwargs)
    await session.commit()
    return result


def line(problem: Problem) -> str:
    """A problem as ``zhucun import`` prints it."""
    return problem_line(problem, office_translator())


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


def created(result: ImportResult) -> dict[str, int]:
    return {k: c.created for k, c in result.counts.items()}


# --- template ------------------------------------------------------------------------------


def test_template_has_every_sheet_header_and_instructions(tmp_path: Path) -> None:
    path = tmp_path / "roster.xlsx"
    write_template(path)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["说明", "村", "派出单位", "工作队员", "审批人", "农户", "结对"]
    for spec in SHEETS:
        ws = workbook[spec.title]
        headers = [c.value for c in ws[1]]
        assert headers == [c.header for c in spec.columns]
        assert all(c.font.b for c in ws[1])
        assert ws.freeze_panes == "A2"
        assert ws.column_dimensions["A"].width >= 8
    lists = {
        title: [dv.formula1 for dv in workbook[title].data_validations.dataValidation]
        for title in ("工作队员", "派出单位", "审批人", "农户")
    }
    assert "第一书记兼队长" in lists["工作队员"][0]
    assert lists["派出单位"] == ['"省,市,县"']
    assert "县委组织部" in lists["审批人"][0]
    assert "边缘易致贫户" in lists["农户"][0]
    instructions = " ".join(str(c.value) for row in workbook["说明"].iter_rows() for c in row)
    assert "身份证" in instructions and "江口镇/下寨村" in instructions


EMPTY = (
    "roster.xlsx: 文件中没有可导入的内容：各表都是空的（第一格以“示例”开头的行是示例，导入时跳过）"
)


def test_template_has_one_example_row_per_sheet(tmp_path: Path) -> None:
    path = tmp_path / "roster.xlsx"
    write_template(path)
    workbook = load_workbook(path)
    for spec in SHEETS:
        ws = workbook[spec.title]
        example = [c.value for c in ws[2]]
        assert str(example[0]).startswith("示例："), spec.title
        assert all(c.font.i for c in ws[2])
        assert ws.max_row == 2  # nothing below it
    instructions = " ".join(str(c.value) for row in workbook["说明"].iter_rows() for c in row)
    assert "示例" in instructions


async def test_blank_template_is_refused_as_empty(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "roster.xlsx"
    write_template(path)  # its example rows only
    result = await run_import(session, path, clock)
    assert not result.ok and [line(p) for p in result.errors] == [EMPTY]
    assert set((await table_sizes(session)).values()) == {0}


async def test_example_rows_are_skipped(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "roster.xlsx"
    write_template(path)
    workbook = load_workbook(path)
    for title, rows in sample_roster().items():
        ws = workbook[title]
        headers = [c.value for c in ws[1]]
        for row in rows:  # below the example row, as a county office fills it in
            ws.append([row.get(h) for h in headers])
    workbook.save(path)
    result = await run_import(session, path, clock)
    assert result.ok, [line(p) for p in result.errors]
    assert result.counts["cadres"].created == len(sample_roster()["工作队员"])
    names = [person["name"] for person in (await dump(session))["Person"]]
    assert names and not any(name.startswith("示例") for name in names)
    assert result.counts["people"].created == len(names)  # nobody from the example rows


# --- a good roster -------------------------------------------------------------------------


async def test_sample_roster_imports(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    result = await run_import(session, write_workbook(tmp_path / "r.xlsx", sample_roster()), clock)

    assert result.ok, [line(p) for p in result.errors]
    assert result.warnings == []
    assert created(result) == {
        "units": 3,
        "counties": 1,
        "townships": 2,
        "villages": 4,
        "teams": 4,
        "people": 20,  # 12 cadres + 9 approver rows - 1 person who is both
        "cadres": 12,
        "approver_posts": 9,
        "households": 12,
        "pairings": 11,
    }
    people = {p.phone: p for p in (await session.exec(select(Person))).all()}
    cadres = {c.person_id: c for c in (await session.exec(select(Cadre))).all()}

    def cadre(phone: str) -> Cadre:
        person_id = people[phone].id
        assert person_id is not None
        return cadres[person_id]

    assert people["13807970002"].name == "李明"  # the padding in "李  明" is dropped
    assert people["13807970003"].name == "张丽萍"  # the phone was the float 13807970003.0
    # 江口镇/下寨村 has a 队长: the 队长 leads, not the 第一书记
    assert (cadre("13807970001").is_leader, cadre("13807970002").is_leader) == (False, True)
    # 第一书记兼队长, and a 第一书记 with no 队长, both lead
    assert cadre("13807970004").team_role is TeamRole.FIRST_SECRETARY
    assert cadre("13807970004").is_leader and cadre("13807970007").is_leader
    assert not cadre("13807970005").is_leader
    assert cadre("13807970004").dispatch_level is UnitLevel.PROVINCE
    assert cadre("13807970004").party_member_since == date(2008, 6, 1)
    assert cadre("13807970004").birth_date == date(1979, 11, 2)
    assert cadre("13807970001").term_end == date(2027, 12, 31)

    villages = (await session.exec(select(Village))).all()
    assert sorted(v.needs for v in villages) == [
        "",
        "many_disputes",
        "weak_industry",
        "weak_party_org,many_disputes",
    ]
    posts = (await session.exec(select(ApproverPost))).all()
    assert {p.kind for p in posts} == set(ApproverKind)
    village_post = next(p for p in posts if p.person_id == people["13907970101"].id)
    assert village_post.jurisdiction is Jurisdiction.VILLAGE
    assert village_post.jurisdiction_key == f"village:{village_post.village_id}"
    assert village_post.township_id is not None and village_post.county_id is not None

    households = {h.head_name: h for h in (await session.exec(select(Household))).all()}
    assert households["王大贵"].code == "JK-001"
    assert households["张冬梅"].code == household_code(("赣县区", "江口镇", "下寨村"), "张冬梅")
    assert households["张冬梅"].code.startswith("H") and len(households["张冬梅"].code) == 11
    assert households["陈秋菊"].category is HouseholdCategory.MARGINAL
    assert households["陈秋菊"].size is None and households["李春生"].size == 3


async def test_second_import_changes_nothing(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    path = write_workbook(tmp_path / "r.xlsx", sample_roster())
    await run_import(session, path, clock)
    before = await dump(session)

    clock.advance(timedelta(days=3))
    again = await run_import(session, path, clock)

    assert again.ok
    assert all(c.created == 0 and c.updated == 0 for c in again.counts.values())
    assert again.counts["households"].unchanged == 12
    assert await dump(session) == before


async def test_edited_file_updates_in_place(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    roster = sample_roster()
    await run_import(session, write_workbook(tmp_path / "r.xlsx", roster), clock)
    before = await dump(session)

    roster["工作队员"][2]["任期结束"] = date(2026, 6, 30)
    roster["农户"][0]["类别"] = "脱贫户"
    roster["农户"][2]["人口"] = 6  # a household without a code: found by its made code
    roster["村"][0]["纬度"] = 25.87
    result = await run_import(session, write_workbook(tmp_path / "r2.xlsx", roster), clock)

    assert result.ok
    assert {
        k: (c.created, c.updated) for k, c in result.counts.items() if c.created or c.updated
    } == {
        "cadres": (0, 1),
        "households": (0, 2),
        "villages": (0, 1),
    }
    after = await dump(session)
    assert [c["id"] for c in after["Cadre"]] == [c["id"] for c in before["Cadre"]]
    edited = next(c for c in after["Cadre"] if c["term_end"] == date(2026, 6, 30))
    assert edited["id"] == before["Cadre"][2]["id"]
    first = next(h for h in after["Household"] if h["code"] == "JK-001")
    assert first["category"] is HouseholdCategory.OUT_OF_POVERTY
    assert first["id"] == before["Household"][0]["id"]
    assert len(after["Household"]) == 12


async def test_csv_folder_imports_the_same_as_the_workbook(
    sessions: Any, clock: FixedClock, tmp_path: Path
) -> None:
    from models import migrate
    from models.db import create_engine, session_factory

    roster = sample_roster()
    async with sessions() as session:
        await run_import(session, write_workbook(tmp_path / "r.xlsx", roster), clock)
        from_workbook = await dump(session)

    engine = create_engine("sqlite+aiosqlite:///:memory:")
    await migrate.upgrade(engine)
    try:
        async with session_factory(engine)() as session:
            folder = write_csv_folder(tmp_path / "csv", roster, bom=False)
            result = await run_import(session, folder, clock)
            from_csv = await dump(session)
    finally:
        await engine.dispose()
    assert result.ok, [line(p) for p in result.errors]
    assert from_csv == from_workbook


async def test_csv_with_english_names_and_bom(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "Villages.csv").write_text(
        "County,Township,Village,Lat,Lng\n赣县区,江口镇,下寨村,25.86,115.02\n", encoding="utf-8-sig"
    )
    (folder / "units.csv").write_text("unit,level\n赣州市财政局,city\n", encoding="utf-8-sig")
    (folder / "cadres.csv").write_text(
        "name,mobile,county,township,village,position,unit,term_start,term_end,note\n"
        "王建华,138 0797 0001,赣县区,江口镇,下寨村,first_secretary,赣州市财政局,"
        "2025/1/1,2027年12月31日,x\n",
        encoding="utf-8",
    )
    result = await run_import(session, folder, clock, min_team_members=1)
    assert result.ok, [line(p) for p in result.errors]
    assert codes(result.warnings) == ["unknown_column"]
    assert line(result.warnings[0]) == "cadres 第1行 note: 未知的列，已忽略"
    village = (await session.exec(select(Village))).one()
    assert (village.latitude, village.longitude) == (25.86, 115.02)
    cadre = (await session.exec(select(Cadre))).one()
    assert cadre.term_start == date(2025, 1, 1) and cadre.is_leader


async def test_gbk_csv_and_headers_with_notes(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    """Excel on Chinese Windows saves CSV as GBK; people annotate headers ("手机号（11位）*")."""
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "村.csv").write_bytes("县*,乡镇*,村*\n赣县区,江口镇,下寨村\n".encode("gb18030"))
    (folder / "派出单位.csv").write_bytes("单位,层级\n赣州市财政局,市级\n".encode("gb18030"))
    (folder / "工作队员.csv").write_bytes(
        "姓名,手机号（11位）,县,乡镇,村,职务,派出单位,任期开始,任期结束\n"
        "王建华,13807970001,赣县区,江口镇,下寨村,第一书记（兼队长）,赣州市财政局,"
        "2025.1.1,2027.12.31\n".encode("gb18030")
    )
    result = await run_import(session, folder, clock, min_team_members=1)
    assert result.ok and result.warnings == [], [line(p) for p in result.errors + result.warnings]
    cadre = (await session.exec(select(Cadre))).one()
    assert cadre.is_leader and cadre.dispatch_level is UnitLevel.CITY


async def test_a_single_csv_file_is_refused_with_advice(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "工作队员.csv"
    path.write_text("姓名\n")
    result = await run_import(session, path, clock)
    assert codes(result.errors) == ["roster_single_csv"]


# --- all or nothing ------------------------------------------------------------------------


def _set(sheet: str, index: int, **cells: Any) -> Callable[[Roster], None]:
    def edit(roster: Roster) -> None:
        roster[sheet][index].update(cells)

    return edit


def _copy_phone(roster: Roster) -> None:
    roster["工作队员"][11]["手机"] = roster["工作队员"][1]["手机"]


def _second_cadre_for(roster: Roster) -> None:
    roster["结对"].append({"干部手机": "13807970012", "农户编号": "JK-001"})


def _same_head(roster: Roster) -> None:
    roster["农户"].append({**roster["农户"][9], "人口": 3})


BAD_ROWS: list[tuple[str, Callable[[Roster], None], str, int, str, str]] = [
    # (what, edit, sheet, row, column, code)
    ("unknown village", _set("工作队员", 0, 村="上寨村"), "工作队员", 2, "村", "unknown_place"),
    ("unknown township", _set("农户", 1, 乡镇="江头镇"), "农户", 3, "乡镇", "unknown_place"),
    ("duplicate phone", _copy_phone, "工作队员", 13, "手机", "duplicate_phone"),
    ("bad date", _set("工作队员", 3, 任期开始="2025-13-01"), "工作队员", 5, "任期开始", "bad_date"),
    ("bad category", _set("农户", 5, 类别="贫困户"), "农户", 7, "类别", "unknown_category"),
    ("unknown post", _set("审批人", 2, 岗位="村委会"), "审批人", 4, "岗位", "unknown_post"),
    ("bad phone", _set("工作队员", 11, 手机="1380797000"), "工作队员", 13, "手机", "bad_phone"),
    (
        "end before start",
        _set("工作队员", 9, 任期结束=date(2024, 12, 31)),
        "工作队员",
        11,
        "任期结束",
        "term_end_before_start",
    ),
    (
        "ambiguous jurisdiction",
        _set("审批人", 0, 辖区="下寨村"),
        "审批人",
        2,
        "辖区",
        "ambiguous_jurisdiction",
    ),
    (
        "unknown unit",
        _set("工作队员", 5, 派出单位="赣州市税务局"),
        "工作队员",
        7,
        "派出单位",
        "unknown_unit",
    ),
    ("bad level", _set("派出单位", 1, 层级="乡"), "派出单位", 3, "层级", "unknown_level"),
    ("unknown role", _set("工作队员", 2, 职务="组员"), "工作队员", 4, "职务", "unknown_role"),
    (
        "two 第一书记",
        _set("工作队员", 2, 职务="第一书记"),
        "工作队员",
        4,
        "职务",
        "one_per_village",
    ),
    ("two 队长", _set("工作队员", 5, 职务="队长"), "工作队员", 7, "职务", "one_per_village"),
    ("name mismatch", _set("审批人", 8, 姓名="刘志刚"), "审批人", 10, "姓名", "name_mismatch"),
    ("latitude range", _set("村", 0, 纬度=95), "村", 2, "纬度", "bad_coordinate"),
    ("half coordinates", _set("村", 1, 经度=115.0), "村", 3, "纬度", "half_coordinates"),
    ("missing name", _set("工作队员", 1, 姓名=" "), "工作队员", 3, "姓名", "required"),
    ("bad size", _set("农户", 0, 人口=0), "农户", 2, "人口", "bad_number"),
    ("same head, no codes", _same_head, "农户", 14, "户主", "duplicate_household"),
    ("paired twice", _second_cadre_for, "结对", 13, "干部手机", "household_paired_twice"),
    (
        "unknown household",
        _set("结对", 0, 农户编号="JK-999"),
        "结对",
        2,
        "农户编号",
        "unknown_household",
    ),
    (
        "unknown cadre",
        _set("结对", 1, 干部手机="13900000000"),
        "结对",
        3,
        "干部手机",
        "unknown_cadre",
    ),
    ("unknown need", _set("村", 3, 类别="贫困村"), "村", 5, "类别", "unknown_need"),
]


@pytest.mark.parametrize(
    ("edit", "sheet", "row", "column", "code"),
    [case[1:] for case in BAD_ROWS],
    ids=[case[0] for case in BAD_ROWS],
)
async def test_one_bad_row_writes_nothing(
    session: AsyncSession,
    clock: FixedClock,
    tmp_path: Path,
    edit: Callable[[Roster], None],
    sheet: str,
    row: int,
    column: str,
    code: str,
) -> None:
    roster = sample_roster()
    edit(roster)
    result = await run_import(session, write_workbook(tmp_path / "r.xlsx", roster), clock)

    assert [(p.sheet, p.row, p.column, p.code) for p in result.errors] == [
        (sheet, row, column, code)
    ], [line(p) for p in result.errors]
    assert line(result.errors[0]).startswith(f"{sheet} 第{row}行 {column}: ")
    assert set((await table_sizes(session)).values()) == {0}
    assert all(c.created == 0 for c in result.counts.values())


async def test_every_problem_is_reported_not_only_the_first(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    roster = sample_roster()
    roster["工作队员"][11]["手机"] = "12345"
    roster["工作队员"][1]["任期开始"] = "明年"
    roster["农户"][0]["类别"] = "困难户"
    result = await run_import(session, write_workbook(tmp_path / "r.xlsx", roster), clock)
    assert [line(p) for p in result.errors] == [
        "工作队员 第3行 任期开始: 无法识别的日期“明年”：请写成 2026-01-01",
        "工作队员 第13行 手机: 手机号“12345”无效：应为11位大陆手机号",
        "农户 第2行 类别: 未知的农户类别“困难户”："
        "可选 脱贫不稳定户、边缘易致贫户、突发严重困难户、脱贫户",
    ]


async def test_missing_header_is_one_error_for_the_sheet(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    path = write_workbook(tmp_path / "r.xlsx", sample_roster())
    workbook = load_workbook(path)
    ws = workbook["工作队员"]
    ws["B1"] = "备注"  # 手机 is gone
    ws["F1"] = None  # and so is 职务
    del workbook["村"]
    workbook.save(path)

    result = await run_import(session, path, clock)
    # Rows naming villages (now unknown) are not each reported: the two lines say it all.
    assert [line(p) for p in result.errors] == [
        "工作队员 第1行: 缺少必需的列：手机、职务",
        "村: 缺少此工作表",
    ]
    assert [line(p) for p in result.warnings] == ["工作队员 第1行 备注: 未知的列，已忽略"]
    assert set((await table_sizes(session)).values()) == {0}


async def test_blank_rows_are_skipped(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    path = write_workbook(tmp_path / "r.xlsx", sample_roster())
    workbook = load_workbook(path)
    ws = workbook["工作队员"]
    ws.insert_rows(3, amount=2)
    ws["A3"] = "  "
    workbook.save(path)
    result = await run_import(session, path, clock)
    assert result.ok and result.counts["cadres"].created == 12


async def test_unreadable_file_is_one_problem(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    bad = tmp_path / "roster.xlsx"
    bad.write_text("not a workbook")
    result = await run_import(session, bad, clock)
    assert codes(result.errors) == ["roster_unreadable"]
    result = await run_import(session, tmp_path / "missing.xlsx", clock)
    assert [line(p) for p in result.errors] == ["missing.xlsx: 找不到此文件或文件夹"]


# --- ID cards, teams, pairings -------------------------------------------------------------


async def test_id_card_column_is_never_read(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    roster = sample_roster()
    for index, row in enumerate(roster["农户"]):
        row["身份证号码"] = f"36072119700101{index:04d}"
    result = await run_import(session, write_workbook(tmp_path / "r.xlsx", roster), clock)

    assert result.ok
    assert [line(p) for p in result.warnings] == [
        "农户 第1行 身份证号码: 本系统不保存身份证号，此列未导入"
    ]
    assert "360721197001010000" not in repr(await dump(session))


async def test_small_team_is_a_warning(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    roster = sample_roster()
    # 洋塘村's 队员 left in 2025: still listed (nothing is deleted), no longer serving
    roster["工作队员"][11]["任期结束"] = date(2025, 6, 30)
    result = await run_import(session, write_workbook(tmp_path / "r.xlsx", roster), clock)
    assert result.ok
    assert [line(p) for p in result.warnings] == [
        "工作队员 第11行 村: 洋塘村工作队在任人员2名，少于3名"
    ]
    result = await run_import(
        session, write_workbook(tmp_path / "r.xlsx", roster), clock, min_team_members=2
    )
    assert result.warnings == []


async def test_successor_with_later_term_is_not_a_second_first_secretary(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    roster = sample_roster()
    await run_import(session, write_workbook(tmp_path / "r.xlsx", roster), clock)
    # 江口镇/旱塘村 changes its 第一书记兼队长 at the end of 2026; the old one stays listed
    roster["工作队员"][3]["任期结束"] = date(2026, 12, 31)
    roster["工作队员"].append(
        {
            **roster["工作队员"][3],
            "姓名": "邓新民",
            "手机": "13807970013",
            "任期开始": date(2027, 1, 1),
            "任期结束": date(2029, 12, 31),
        }
    )
    result = await run_import(session, write_workbook(tmp_path / "r2.xlsx", roster), clock)
    assert result.ok, [line(p) for p in result.errors]
    assert result.counts["cadres"].created == 1 and result.counts["cadres"].updated == 1


async def test_stored_first_secretary_blocks_an_overlapping_new_one(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    await run_import(session, write_workbook(tmp_path / "r.xlsx", sample_roster()), clock)
    roster = sample_roster()
    del roster["工作队员"][0]  # 王建华 is not in the new file but is still stored
    roster["工作队员"].append(
        {**sample_roster()["工作队员"][0], "姓名": "邓新民", "手机": "13807970013"}
    )
    del roster["结对"][0]
    result = await run_import(session, write_workbook(tmp_path / "r2.xlsx", roster), clock)
    assert [line(p) for p in result.errors] == [
        "工作队员 第13行 职务: 与系统中已有的王建华（任期2025-01-01至2027-12-31）任期重叠："
        "每村同一时间只能有一名第一书记；如已更换，请在本表列出原任者并填写其任期结束"
    ]


async def test_new_leader_takes_over_from_a_stored_first_secretary(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    await run_import(session, write_workbook(tmp_path / "r.xlsx", sample_roster()), clock)
    # 茅店镇/下寨村's 第一书记 leads (no 队长). A later file only adds a 队长 there.
    roster = sample_roster()
    roster["工作队员"] = [
        {**roster["工作队员"][7], "姓名": "袁立新", "手机": "13807970014", "职务": "队长"}
    ]
    roster["审批人"], roster["农户"], roster["结对"] = [], [], []
    result = await run_import(session, write_workbook(tmp_path / "r2.xlsx", roster), clock)
    assert result.ok, [line(p) for p in result.errors]
    assert (result.counts["cadres"].created, result.counts["cadres"].updated) == (1, 1)
    leaders = (await session.exec(select(Person.phone).join(Cadre).where(Cadre.is_leader))).all()
    assert "13807970007" not in leaders and "13807970014" in leaders


async def test_repairing_ends_the_old_pairing_and_keeps_the_household(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    roster = sample_roster()
    await run_import(session, write_workbook(tmp_path / "r.xlsx", roster), clock)
    household = (await session.exec(select(Household).where(Household.code == "JK-001"))).one()
    old = (await session.exec(select(Pairing).where(Pairing.household_id == household.id))).one()

    clock.advance(timedelta(days=30))
    roster["结对"][0]["干部手机"] = "13807970003"  # JK-001 moves from 王建华 to 张丽萍
    result = await run_import(session, write_workbook(tmp_path / "r2.xlsx", roster), clock)

    assert result.ok
    counts = result.counts["pairings"]
    assert (counts.created, counts.updated, counts.unchanged) == (1, 1, 10)
    pairings = (
        await session.exec(select(Pairing).where(Pairing.household_id == household.id))
    ).all()
    assert len(pairings) == 2
    ended = next(p for p in pairings if p.id == old.id)
    assert ended.ended_at == clock.now()
    current = next(p for p in pairings if p.ended_at is None)
    assert current.started_at == clock.now()
    same = (await session.exec(select(Household).where(Household.code == "JK-001"))).one()
    assert same.id == household.id


async def test_dry_run_result_is_not_committed(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    result = await import_roster(
        session, write_workbook(tmp_path / "r.xlsx", sample_roster()), now=clock.now()
    )
    assert result.ok and result.counts["people"].created == 20
    await session.rollback()
    assert set((await table_sizes(session)).values()) == {0}


# --- single cells --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        13800000000,
        13800000000.0,
        "138 0000 0000",
        "138-0000-0000",
        "+86 13800000000",
        "8613800000000",
        "13800000000.0",
        "１３８００００００００",
    ],
)
def test_phones_are_normalised(value: Any) -> None:
    assert parse_phone(value) == "13800000000"


@pytest.mark.parametrize("value", ["12800000000", "1380000000", "023-88888888", None, "abc"])
def test_bad_phones_are_refused(value: Any) -> None:
    with pytest.raises(CellError):
        parse_phone(value)


@pytest.mark.parametrize(
    "value",
    [
        date(2026, 1, 1),
        datetime(2026, 1, 1),
        "2026-01-01",
        "2026/1/1",
        "2026.1.1",
        "2026年1月1日",
        "2026-01-01 00:00:00",
        46023,
        46023.0,
        20260101,
        "20260101",
    ],
)
def test_dates_in_every_usual_shape(value: Any) -> None:
    assert parse_date(value) == date(2026, 1, 1)


@pytest.mark.parametrize("value", ["2026-02-30", "1985.06", 1985.06, 42, "0001-01-01", True])
def test_bad_dates_are_refused(value: Any) -> None:
    with pytest.raises(CellError):
        parse_date(value)


def test_year_month_allowed_where_asked() -> None:
    assert parse_date("1985.06", allow_month=True) == date(1985, 6, 1)
    assert parse_date("1985年6月", allow_month=True) == date(1985, 6, 1)


def test_needs_are_stored_in_a_fixed_order() -> None:
    assert (
        parse_needs("矛盾纠纷，软弱涣散、产业发展滞后")
        == "weak_party_org,weak_industry,many_disputes"
    )
    assert parse_needs("") == ""


def test_reading_keeps_excel_row_numbers(tmp_path: Path) -> None:
    roster = read_roster(write_workbook(tmp_path / "r.xlsx", sample_roster()))
    assert [r.number for r in roster.sheets["units"].rows] == [2, 3, 4]


# --- the command line ----------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env
    db = tmp_path / "t.db"
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    return db


def _rows(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"select count(*) from {table}").fetchone()[0])


def test_cli_template_refuses_to_overwrite(
    cli_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "roster.xlsx"
    assert main(["import", "--template", str(path)]) == 0
    assert path.exists() and "已写入模板" in capsys.readouterr().out
    assert main(["import", "--template", str(path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["import", "--template", "--force", str(path)]) == 0


def test_cli_blank_template_imports_nothing_and_says_so(
    cli_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "roster.xlsx"
    assert main(["import", "--template", str(path)]) == 0
    capsys.readouterr()
    assert main(["import", "--yes", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "已导入" not in err
    assert err.splitlines() == [EMPTY, "未导入：共1个错误，数据库未改动"]
    assert main(["--lang", "en", "import", str(path)]) == 1
    assert "The file holds nothing to import" in capsys.readouterr().err


def test_cli_example_is_a_filled_in_roster_that_imports(
    cli_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "example.xlsx"
    assert main(["import", "--example", str(path)]) == 0
    assert f"--dry-run {path}" in capsys.readouterr().out
    assert main(["import", "--dry-run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "工作队员：新增 21" in out and "农户：新增 60" in out


def test_cli_imports_and_reports_counts(
    cli_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_workbook(tmp_path / "r.xlsx", sample_roster())
    assert main(["import", "--dry-run", str(path)]) == 0
    assert "试运行" in capsys.readouterr().out
    assert _rows(cli_db, "people") == 0

    assert main(["import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "工作队员：新增 12，更新 0，未变 0" in out
    assert _rows(cli_db, "cadres") == 12

    assert main(["import", str(path)]) == 0
    assert "工作队员：新增 0，更新 0，未变 12" in capsys.readouterr().out


def test_cli_bad_row_writes_nothing(
    cli_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = sample_roster()
    roster["工作队员"][11]["手机"] = roster["工作队员"][1]["手机"]
    path = write_workbook(tmp_path / "r.xlsx", roster)

    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "工作队员 第13行 手机: 手机号重复（与第3行相同）"
    assert err[-1] == "未导入：共1个错误，数据库未改动"
    assert _rows(cli_db, "people") == _rows(cli_db, "villages") == 0


def test_cli_prints_warnings(
    cli_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = sample_roster()
    roster["农户"][0]["身份证号"] = "360721197001010011"
    assert main(["import", str(write_workbook(tmp_path / "r.xlsx", roster))]) == 0
    captured = capsys.readouterr()
    assert "警告：农户 第1行 身份证号: 本系统不保存身份证号，此列未导入" in captured.err
    assert "1条警告" in captured.out


def test_clock_is_used_for_pairing_start(cli_db: Path, tmp_path: Path) -> None:
    before = datetime.now(UTC)
    assert main(["import", str(write_workbook(tmp_path / "r.xlsx", sample_roster()))]) == 0
    with sqlite3.connect(cli_db) as conn:
        started = conn.execute("select min(started_at) from pairings").fetchone()[0]
    assert datetime.fromisoformat(started).replace(tzinfo=UTC) >= before - timedelta(seconds=1)
