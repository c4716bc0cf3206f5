"""The roster import's problems in words: the service gives codes and parameters, the
catalogs the words. In zh every line is what ``zhucun import`` printed before the words
left the service (the literals below are its old output); in en the same lines read in
English, with the file's own sheet, column and file names kept as the county wrote them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.commands.roster_messages import MESSAGES, problem_line
from locales import Catalogs, Translator
from services.clock import FixedClock
from services.roster.importing.importer import import_roster
from services.roster.importing.problems import Problem, Severity
from tests.unit.roster_fixtures import Roster, sample_roster, write_workbook
from tests.unit.test_roster import BAD_ROWS

CJK = re.compile(r"[\u3400-\u9fff]")


def _bad_rows(roster: Roster) -> None:
    """One roster with a problem of most kinds a row can have."""
    roster["村"][0].update(纬度="北纬", 经度=115)
    roster["村"].append(dict(roster["村"][1]))
    roster["派出单位"].append(dict(roster["派出单位"][0]))
    roster["工作队员"][0]["姓名"] = "王" * 41
    roster["工作队员"][11]["手机"] = roster["工作队员"][1]["手机"]
    roster["工作队员"][3]["任期开始"] = "2025-13-01"
    roster["工作队员"][2]["职务"] = "组员"
    roster["派出单位"][1]["层级"] = "乡"
    roster["农户"][0]["编号"] = "X" * 41
    roster["农户"][5]["编号"] = "JK-002"
    roster["农户"][1]["人口"] = 0
    roster["农户"].append({**roster["农户"][9], "人口": 3})
    roster["结对"].append(dict(roster["结对"][1]))
    roster["结对"].append({"干部手机": "13807970001", "农户编号": "MD-003", "户主": "某某"})
    roster["结对"].append({"干部手机": "13900000000", "农户编号": "MD-012"})
    roster["审批人"].append(dict(roster["审批人"][0]))
    roster["审批人"][8]["姓名"] = "刘志刚"
    roster["审批人"][2]["岗位"] = "村委会"
    roster["审批人"].append(
        {"姓名": "甲", "手机": "13907970201", "岗位": "派出单位", "辖区": "无此局"}
    )
    roster["审批人"].append(
        {"姓名": "乙", "手机": "13907970202", "岗位": "乡镇党委", "辖区": "无此镇"}
    )
    roster["审批人"].append(
        {"姓名": "丙", "手机": "13907970203", "岗位": "村党组织", "辖区": "下寨村"}
    )


def _more_bad_rows(roster: Roster) -> None:
    """What ``_bad_rows`` cannot show: its errors would hide these."""
    roster["工作队员"][2]["职务"] = "第一书记"
    roster["审批人"][8]["姓名"] = "刘志刚"
    roster["农户"].append({**roster["农户"][0], "编号": "JK-101"})
    roster["结对"][0]["农户编号"] = "MD-012"
    roster["结对"].append(
        {"干部手机": "13807970012", "户主": "王大贵", "乡镇": "江口镇", "村": "下寨村"}
    )


def _bad_headers(path: Path) -> Path:
    workbook = load_workbook(path)
    workbook.create_sheet("Sheet1")
    workbook.create_sheet("villages").append(["县", "乡镇", "村"])
    households = workbook["农户"]
    households.cell(1, households.max_column + 1, "身份证号")
    households.cell(1, households.max_column + 1, "备注")
    units = workbook["派出单位"]
    units.cell(1, units.max_column + 1, "单位名称")
    for cell in workbook["结对"][1]:
        if cell.value in ("农户编号", "户主"):
            cell.value = None
    del workbook["工作队员"]
    workbook.save(path)
    return path


async def _lines(session: AsyncSession, clock: FixedClock, tmp: Path, t: Translator) -> list[str]:
    """Every problem of a few broken rosters, as ``zhucun import`` prints them."""
    roster, more = sample_roster(), sample_roster()
    _bad_rows(roster)
    _more_bad_rows(more)
    headers = _bad_headers(write_workbook(tmp / "heads.xlsx", sample_roster()))
    (tmp / "bad.xlsx").write_text("not a workbook")
    (tmp / "empty").mkdir()
    (tmp / "村.csv").write_text("县\n")
    paths = [write_workbook(tmp / "rows.xlsx", roster), write_workbook(tmp / "more.xlsx", more)]
    paths.append(headers)
    paths += [tmp / "missing.xlsx", tmp / "bad.xlsx", tmp / "empty", tmp / "村.csv"]
    lines = []
    for path in paths:
        result = await import_roster(session, path, now=clock.now())
        lines += [problem_line(p, t) for p in result.errors]
        lines += ["! " + problem_line(p, t) for p in result.warnings]
    return lines


ZH = [
    "村 第2行 纬度: 纬度“北纬”不是数字",
    "村 第6行 村: 村重复（与第3行相同）",
    "派出单位 第3行 层级: 未知的层级“乡”：可选 省、市、县",
    "派出单位 第5行 单位: 单位重复（与第2行相同）",
    "工作队员 第2行 姓名: 过长：最多40个字",
    "工作队员 第4行 职务: 未知的职务“组员”：可选 第一书记、第一书记兼队长、队长、队员",
    "工作队员 第5行 任期开始: 无法识别的日期“2025-13-01”：请写成 2026-01-01",
    "工作队员 第13行 手机: 手机号重复（与第3行相同）",
    "审批人 第4行 岗位: 未知的岗位“村委会”：可选 村党组织、乡镇党委、县驻村办、县驻村领导小组、"
    "县委组织部、派出单位",
    "审批人 第12行 辖区: 找不到派出单位“无此局”",
    "审批人 第13行 辖区: 找不到乡镇“无此镇”",
    "审批人 第14行 辖区: 村“下寨村”不唯一：赣县区/江口镇/下寨村、赣县区/茅店镇/下寨村；请写出上级，"
    "如“赣县区/江口镇/下寨村”",
    "农户 第2行 编号: 过长：最多40个字符",
    "农户 第3行 人口: “0”不是正整数",
    "农户 第14行 户主: 同村已有同名户主（第11行）：请在“编号”列为这两户各填一个编号",
    "结对 第2行 农户编号: 找不到编号为“JK-001”的农户",
    "结对 第7行 农户编号: 找不到编号为“JK-006”的农户",
    "结对 第14行 户主: 编号“MD-003”的户主是“郑金水”，与本行的“某某”不一致",
    "结对 第15行 干部手机: 找不到手机号为13900000000的工作队员：请先在“工作队员”表中列出",
    "! 审批人 第11行 辖区: 与第2行重复，已忽略",
    "工作队员 第4行 职务: 与第2行的王建华任期重叠：每村同一时间只能有一名第一书记",
    "审批人 第10行 姓名: 同一手机号在工作队员第5行的姓名为“刘志强”，不一致",
    "结对 第13行 户主: 有2户户主为“王大贵”（编号 JK-001、JK-101）：请填写农户编号",
    "! 结对 第2行 干部手机: 该户不在此干部驻村的下寨村",
    "派出单位 第1行 单位名称: 与“单位”列重复",
    "结对 第1行: 缺少必需的列：农户编号（或 户主、乡镇、村）",
    "villages: 与工作表“村”重复：同一类数据只能放在一个工作表中",
    "工作队员: 缺少此工作表",
    "! 农户 第1行 身份证号: 本系统不保存身份证号，此列未导入",
    "! 农户 第1行 备注: 未知的列，已忽略",
    "! Sheet1: 未知的工作表，已忽略",
    "! 村 第2行 村: 下寨村工作队在任人员0名，少于3名",
    "! 村 第3行 村: 旱塘村工作队在任人员0名，少于3名",
    "! 村 第4行 村: 下寨村工作队在任人员0名，少于3名",
    "! 村 第5行 村: 洋塘村工作队在任人员0名，少于3名",
    "missing.xlsx: 找不到此文件或文件夹",
    "bad.xlsx: 无法读取：请使用 .xlsx 工作簿（旧版 .xls 请先另存为 .xlsx）",
    "empty: 文件夹中没有 CSV 文件（应为 村.csv、派出单位.csv、工作队员.csv 等）",
    "村.csv: 请把各表的 CSV（村.csv、工作队员.csv 等）放进一个文件夹，导入该文件夹",
]


async def test_problems_read_in_chinese_as_before(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    assert await _lines(session, clock, tmp_path, Catalogs().get("zh")) == ZH


# The one error of each of test_roster's BAD_ROWS, as it read before.
BAD_ROW_LINES = {
    "unknown village": "工作队员 第2行 村: 找不到“赣县区/江口镇/上寨村”：请先在“村”表中列出该村",
    "unknown township": "农户 第3行 乡镇: 找不到“赣县区/江头镇”：请先在“村”表中列出该村",
    "duplicate phone": "工作队员 第13行 手机: 手机号重复（与第3行相同）",
    "bad date": "工作队员 第5行 任期开始: 无法识别的日期“2025-13-01”：请写成 2026-01-01",
    "bad category": (
        "农户 第7行 类别: 未知的农户类别“贫困户”：可选 脱贫不稳定户、边缘易致贫户、突发严重困难户、"
        "脱贫户"
    ),
    "unknown post": (
        "审批人 第4行 岗位: 未知的岗位“村委会”：可选 村党组织、乡镇党委、县驻村办、县驻村领导小组、"
        "县委组织部、派出单位"
    ),
    "bad phone": "工作队员 第13行 手机: 手机号“1380797000”无效：应为11位大陆手机号",
    "end before start": "工作队员 第11行 任期结束: 任期结束须晚于任期开始",
    "ambiguous jurisdiction": (
        "审批人 第2行 辖区: 村“下寨村”不唯一：赣县区/江口镇/下寨村、赣县区/茅店镇/下寨村；"
        "请写出上级，如“赣县区/江口镇/下寨村”"
    ),
    "unknown unit": (
        "工作队员 第7行 派出单位: 找不到派出单位“赣州市税务局”：请先在“派出单位”表中列出"
    ),
    "bad level": "派出单位 第3行 层级: 未知的层级“乡”：可选 省、市、县",
    "unknown role": (
        "工作队员 第4行 职务: 未知的职务“组员”：可选 第一书记、第一书记兼队长、队长、队员"
    ),
    "two 第一书记": "工作队员 第4行 职务: 与第2行的王建华任期重叠：每村同一时间只能有一名第一书记",
    "two 队长": "工作队员 第7行 职务: 与第5行的刘志强任期重叠：每村同一时间只能有一名队长",
    "name mismatch": "审批人 第10行 姓名: 同一手机号在工作队员第5行的姓名为“刘志强”，不一致",
    "latitude range": "村 第2行 纬度: 纬度“95”超出范围（-90～90）",
    "half coordinates": "村 第3行 纬度: 纬度和经度须同时填写或同时留空",
    "missing name": "工作队员 第3行 姓名: 必填",
    "bad size": "农户 第2行 人口: “0”不是正整数",
    "same head, no codes": (
        "农户 第14行 户主: 同村已有同名户主（第11行）：请在“编号”列为这两户各填一个编号"
    ),
    "paired twice": "结对 第13行 干部手机: 该户已在第2行与另一名干部结对：每户只能有一名结对干部",
    "unknown household": "结对 第2行 农户编号: 找不到编号为“JK-999”的农户",
    "unknown cadre": (
        "结对 第3行 干部手机: 找不到手机号为13900000000的工作队员：请先在“工作队员”表中列出"
    ),
    "unknown need": (
        "村 第5行 类别: 未知的村类别“贫困村”：可选 党组织软弱涣散、产业薄弱、矛盾纠纷多"
    ),
}


async def test_each_bad_row_reads_in_chinese_as_before(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    zh = Catalogs().get("zh")
    found = {}
    for what, edit, *_ in BAD_ROWS:
        roster = sample_roster()
        edit(roster)
        result = await import_roster(
            session, write_workbook(tmp_path / "r.xlsx", roster), now=clock.now()
        )
        found[what] = problem_line(result.errors[0], zh)
    assert found == BAD_ROW_LINES


def _problem(code: str, variant: str = "", **params: object) -> Problem:
    return Problem(Severity.ERROR, "结对", 3, "干部手机", code, params, variant)  # type: ignore[arg-type]


# Wordings no roster above reaches, from the old f-strings with these values.
SINGLE = [
    (_problem("duplicate_pairing", first=2), "与第2行重复，已忽略"),
    (_problem("duplicate_code", first=4), "编号重复（与第4行相同）"),
    (
        _problem("unknown_household", "head", head="王大贵", township="江口镇", village="下寨村"),
        "找不到户主为“王大贵”的农户（江口镇/下寨村）",
    ),
    (
        _problem("household_paired_twice", first=5),
        "该户已在第5行与另一名干部结对：每户只能有一名结对干部",
    ),
    (
        _problem("bad_coordinate", "out_of_range", axis="longitude", value="181.5", limit=180),
        "经度“181.5”超出范围（-180～180）",
    ),
    (
        _problem("bad_coordinate", "not_number", axis="longitude", value="东经"),
        "经度“东经”不是数字",
    ),
    (_problem("unknown_jurisdiction", place="county", name="赣县"), "找不到县“赣县”"),
    (_problem("unknown_jurisdiction", place="village", name="上寨村"), "找不到村“上寨村”"),
    (_problem("missing_columns", columns=("手机", "职务")), "缺少必需的列：手机、职务"),
    (_problem("no_such_code"), "no_such_code"),
]


@pytest.mark.parametrize(("problem", "text"), SINGLE, ids=[p.code for p, _ in SINGLE])
def test_single_problems_in_chinese(problem: Problem, text: str) -> None:
    assert problem_line(problem, Catalogs().get("zh")) == f"结对 第3行 干部手机: {text}"


# The same rosters for someone reading English: our words in English, the file's as written.
EN = [
    '村 row 2 纬度: Latitude "北纬" is not a number',
    "村 row 6 村: Duplicate village (same as row 3)",
    '派出单位 row 3 层级: Unknown level "乡": choose 省, 市, 县',
    "派出单位 row 5 单位: Duplicate unit (same as row 2)",
    "工作队员 row 2 姓名: Too long: at most 40 characters",
    '工作队员 row 4 职务: Unknown role "组员": choose 第一书记, 第一书记兼队长, 队长, 队员',
    '工作队员 row 5 任期开始: Date "2025-13-01" not understood: write it as 2026-01-01',
    "工作队员 row 13 手机: Duplicate mobile number (same as row 3)",
    '审批人 row 4 岗位: Unknown post "村委会": choose 村党组织, 乡镇党委, 县驻村办, 县驻村领导小组,'
    " 县委组织部, 派出单位",
    '审批人 row 12 辖区: Cannot find the dispatching unit "无此局"',
    '审批人 row 13 辖区: Cannot find the township "无此镇"',
    '审批人 row 14 辖区: The village "下寨村" is not unique: 赣县区/江口镇/下寨村, '
    '赣县区/茅店镇/下寨村; name the levels above, as in "赣县区/江口镇/下寨村"',
    "农户 row 2 编号: Too long: a code has at most 40 characters",
    '农户 row 3 人口: "0" is not a positive whole number',
    "农户 row 14 户主: Same head in the same village as row 11: give both households a code in the "
    '"编号" column',
    '结对 row 2 农户编号: No household with the code "JK-001"',
    '结对 row 7 农户编号: No household with the code "JK-006"',
    '结对 row 14 户主: The household "MD-003" is headed by "郑金水", not "某某" as in this row',
    '结对 row 15 干部手机: No cadre with mobile number 13900000000: list them in the "工作队员" '
    "sheet first",
    "! 审批人 row 11 辖区: Same as row 2, ignored",
    "工作队员 row 4 职务: Term overlaps with 王建华 in row 2: a village has one first secretary at "
    "a time",
    '审批人 row 10 姓名: The same mobile number has the name "刘志强" in 工作队员 row 5: they '
    "differ",
    '结对 row 13 户主: 2 households are headed by "王大贵" (codes JK-001, JK-101): give the '
    "household code",
    "! 结对 row 2 干部手机: The household is not in 下寨村, where this cadre serves",
    '派出单位 row 1 单位名称: Same as the column "单位"',
    "结对 row 1: Required columns missing: 农户编号 (or 户主, 乡镇, 村)",
    'villages: Same data as the sheet "村": each kind of data goes in one sheet only',
    "工作队员: This sheet is missing",
    "! 农户 row 1 身份证号: ID card numbers are not kept: this column was not imported",
    "! 农户 row 1 备注: Unknown column, ignored",
    "! Sheet1: Unknown sheet, ignored",
    "! 村 row 2 村: The 下寨村 team has 0 serving, fewer than 3",
    "! 村 row 3 村: The 旱塘村 team has 0 serving, fewer than 3",
    "! 村 row 4 村: The 下寨村 team has 0 serving, fewer than 3",
    "! 村 row 5 村: The 洋塘村 team has 0 serving, fewer than 3",
    "missing.xlsx: No such file or folder",
    "bad.xlsx: Cannot read it: use an .xlsx workbook (save an old .xls as .xlsx first)",
    "empty: The folder holds no CSV files (they should be 村.csv, 派出单位.csv, 工作队员.csv and "
    "so on)",
    "村.csv: Put each sheet's CSV (村.csv, 工作队员.csv and so on) in one folder and import that "
    "folder",
]


async def test_problems_read_in_english(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    assert await _lines(session, clock, tmp_path, Catalogs().get("en")) == EN


@pytest.mark.parametrize("key", sorted(MESSAGES), ids="/".join)
def test_every_wording_is_in_both_languages(key: tuple[str, str]) -> None:
    """Our own words only: in en no Chinese is left, in zh no English is."""
    zh, en = Catalogs().get("zh"), Catalogs().get("en")
    assert CJK.search(zh(MESSAGES[key])) and not CJK.search(en(MESSAGES[key]))
