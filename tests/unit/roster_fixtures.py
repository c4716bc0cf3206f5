"""A small, realistic roster (赣县区, two townships, four villages) built in code, and
writers that put it into the real template or into a folder of CSV files.

Rows are dicts keyed by the Chinese header, so a test edits a cell by name:
``roster["工作队员"][0]["任期结束"] = date(2027, 6, 30)``. A key that is not a template
header (say 身份证号) becomes an extra column.
"""

from __future__ import annotations

import copy
import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from services.roster.importing.layout import SHEETS, write_template

Row = dict[str, Any]
Roster = dict[str, list[Row]]

COUNTY = "赣县区"
TERM_START = date(2025, 1, 1)
TERM_END = date(2027, 12, 31)


def _cadre(
    name: str, phone: Any, township: str, village: str, role: str, unit: str, **extra: Any
) -> Row:
    return {
        "姓名": name,
        "手机": phone,
        "县": COUNTY,
        "乡镇": township,
        "村": village,
        "职务": role,
        "派出单位": unit,
        "任期开始": TERM_START,
        "任期结束": TERM_END,
        **extra,
    }


def _household(
    code: str | None, head: str, township: str, village: str, cat: str, size: Any
) -> Row:
    return {
        "编号": code,
        "户主": head,
        "县": COUNTY,
        "乡镇": township,
        "村": village,
        "类别": cat,
        "人口": size,
    }


_FINANCE = "赣州市财政局"
_AGRI = "赣县区农业农村局"
_PROVINCE = "江西省农业农村厅"


def sample_roster() -> Roster:
    """A fresh copy every call, so a test may edit it freely.

    Two villages are both called 下寨村 (in 江口镇 and 茅店镇): a bare "下寨村" is ambiguous.
    Phones come in the shapes Excel and people produce: int, float, dashes, +86.
    """
    return copy.deepcopy(_SAMPLE)


_SAMPLE: Roster = {
    "村": [
        {
            "县": COUNTY,
            "乡镇": "江口镇",
            "村": "下寨村",
            "类别": "产业薄弱",
            "纬度": 25.86,
            "经度": 115.02,
        },
        {
            "县": COUNTY,
            "乡镇": "江口镇",
            "村": "旱塘村",
            "类别": "党组织软弱涣散、矛盾纠纷",
            "纬度": None,
            "经度": None,
        },
        {
            "县": COUNTY,
            "乡镇": "茅店镇",
            "村": "下寨村",
            "类别": "矛盾纠纷多",
            "纬度": 25.91,
            "经度": 115.11,
        },
        {"县": COUNTY, "乡镇": "茅店镇", "村": "洋塘村", "类别": None, "纬度": None, "经度": None},
    ],
    "派出单位": [
        {"单位": _FINANCE, "层级": "市"},
        {"单位": _AGRI, "层级": "县"},
        {"单位": _PROVINCE, "层级": "省"},
    ],
    "工作队员": [
        # 江口镇/下寨村: a 第一书记 and a separate 队长 (the 队长 leads)
        _cadre(
            "王建华",
            13807970001,
            "江口镇",
            "下寨村",
            "第一书记",
            _FINANCE,
            入党时间=date(2005, 7, 1),
            出生日期=date(1982, 3, 15),
        ),
        _cadre("李  明", "138-0797-0002", "江口镇", "下寨村", "队长", _AGRI),
        _cadre("张丽萍", 13807970003.0, "江口镇", "下寨村", "队员", _AGRI),
        # 江口镇/旱塘村: 第一书记兼队长
        _cadre(
            "刘志强",
            "+86 138 0797 0004",
            "江口镇",
            "旱塘村",
            "第一书记兼队长",
            _PROVINCE,
            入党时间="2008.06",
            出生日期="1979年11月2日",
        ),
        _cadre("陈芳", "13807970005", "江口镇", "旱塘村", "队员", _AGRI),
        _cadre("黄伟", "13807970006", "江口镇", "旱塘村", "队员", _FINANCE),
        # 茅店镇/下寨村: only a 第一书记 (who therefore leads)
        _cadre("周文斌", "13807970007", "茅店镇", "下寨村", "第一书记", _FINANCE),
        _cadre("吴海燕", "13807970008", "茅店镇", "下寨村", "队员", _AGRI),
        _cadre("郑国平", "13807970009", "茅店镇", "下寨村", "队员", _AGRI),
        # 茅店镇/洋塘村
        _cadre("孙晓东", "13807970010", "茅店镇", "洋塘村", "第一书记", _PROVINCE),
        _cadre("朱红梅", "13807970011", "茅店镇", "洋塘村", "队长", _AGRI),
        _cadre("胡建军", "13807970012", "茅店镇", "洋塘村", "队员", _FINANCE),
    ],
    "审批人": [
        {"姓名": "钟书记", "手机": "13907970101", "岗位": "村党组织", "辖区": "江口镇/下寨村"},
        {"姓名": "廖支书", "手机": "13907970102", "岗位": "村党组织", "辖区": "旱塘村"},
        {"姓名": "谢镇委", "手机": "13907970103", "岗位": "乡镇党委", "辖区": "江口镇"},
        {"姓名": "罗镇委", "手机": "13907970104", "岗位": "乡镇党委", "辖区": "赣县区/茅店镇"},
        {"姓名": "邱主任", "手机": "13907970105", "岗位": "县驻村办", "辖区": COUNTY},
        {"姓名": "曾组长", "手机": "13907970106", "岗位": "县驻村领导小组", "辖区": COUNTY},
        {"姓名": "彭部长", "手机": "13907970107", "岗位": "县委组织部", "辖区": COUNTY},
        {"姓名": "赖处长", "手机": "13907970108", "岗位": "派出单位", "辖区": _FINANCE},
        # a cadre who is also an approver (same phone, same name)
        {"姓名": "刘志强", "手机": "13807970004", "岗位": "派出单位", "辖区": _PROVINCE},
    ],
    "农户": [
        _household("JK-001", "王大贵", "江口镇", "下寨村", "脱贫不稳定户", 4),
        _household("JK-002", "李春生", "江口镇", "下寨村", "边缘易致贫户", 3.0),
        _household(None, "张冬梅", "江口镇", "下寨村", "脱贫户", "5"),
        _household(None, "刘福来", "江口镇", "旱塘村", "突发严重困难户", 2),
        _household(None, "陈秋菊", "江口镇", "旱塘村", "边缘户", None),
        _household("JK-006", "黄石生", "江口镇", "旱塘村", "不稳定户", 6),
        _household(None, "周德明", "茅店镇", "下寨村", "脱贫户", 4),
        _household(None, "吴桂英", "茅店镇", "下寨村", "突发困难户", 1),
        _household("MD-003", "郑金水", "茅店镇", "下寨村", "脱贫不稳定户", 3),
        _household(None, "孙来娣", "茅店镇", "洋塘村", "边缘易致贫户", 2),
        _household(None, "朱水根", "茅店镇", "洋塘村", "脱贫户", 5),
        _household("MD-012", "胡满仓", "茅店镇", "洋塘村", "脱贫户", 4),
    ],
    "结对": [
        {"干部手机": "13807970001", "农户编号": "JK-001"},
        {"干部手机": "13807970002", "农户编号": "JK-002"},
        {"干部手机": "13807970003", "户主": "张冬梅", "乡镇": "江口镇", "村": "下寨村"},
        {"干部手机": "13807970004", "户主": "刘福来", "乡镇": "江口镇", "村": "旱塘村"},
        {"干部手机": "13807970005", "户主": "陈秋菊", "乡镇": "江口镇", "村": "旱塘村"},
        {"干部手机": "13807970006", "农户编号": "JK-006"},
        {"干部手机": "13807970007", "户主": "周德明", "乡镇": "茅店镇", "村": "下寨村"},
        {"干部手机": "13807970008", "户主": "吴桂英", "乡镇": "茅店镇", "村": "下寨村"},
        {"干部手机": "13807970009", "农户编号": "MD-003"},
        {"干部手机": "13807970010", "户主": "孙来娣", "乡镇": "茅店镇", "村": "洋塘村"},
        {
            "干部手机": "13807970011",
            "户主": "朱水根",
            "县": COUNTY,
            "乡镇": "茅店镇",
            "村": "洋塘村",
        },
    ],
}


def _headers(title: str, rows: list[Row]) -> list[str]:
    spec = next(s for s in SHEETS if s.title == title)
    headers = [c.header for c in spec.columns]
    for row in rows:
        headers += [key for key in row if key not in headers]
    return headers


def write_workbook(path: Path, roster: Roster) -> Path:
    """The roster typed into the real template, cells keeping their Python types; the
    template's example rows deleted first, so row numbers are the fixture's order."""
    write_template(path)
    workbook = load_workbook(path)
    for title, rows in roster.items():
        ws = workbook[title]
        ws.delete_rows(2)  # the example row
        headers = _headers(title, rows)
        for index, header in enumerate(headers, start=1):
            ws.cell(1, index, header)
        for row in rows:
            ws.append([row.get(h) for h in headers])
    workbook.save(path)
    return path


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def write_csv_folder(folder: Path, roster: Roster, *, bom: bool = True) -> Path:
    """One CSV per sheet, named after it (村.csv …), as Excel's "CSV UTF-8" writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    for title, rows in roster.items():
        headers = _headers(title, rows)
        with (folder / f"{title}.csv").open(
            "w", encoding="utf-8-sig" if bom else "utf-8", newline=""
        ) as f:
            writer = csv.writer(f)
            writer.writerow(headers)
            writer.writerows([_csv_text(row.get(h)) for h in headers] for row in rows)
    return folder
