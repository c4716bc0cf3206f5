"""The roster's layout: its six sheets and their columns (``SHEETS``), and the blank
workbook written from them for a county office (``zhucun import --template``), with one
example row per sheet (its first cell starts with ``EXAMPLE_MARK``; the reader skips it).

The reader matches a file against the same ``SHEETS``, so the template and the reader
cannot drift apart. Nothing here knows the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from services.roster.importing.cells import HOUSEHOLD_CATEGORIES, LEVELS, NEEDS, POSTS, ROLES


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = True
    width: int = 12


@dataclass(frozen=True)
class SheetSpec:
    key: str
    title: str
    aliases: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool = True

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def _place_columns(*, required: bool = True) -> tuple[Column, ...]:
    return (
        Column("county", "县", ("county", "县区", "县(市、区)"), required, 10),
        Column("township", "乡镇", ("township", "town", "乡(镇)"), required, 10),
        Column("village", "村", ("village", "行政村"), required, 12),
    )


_NAME = Column("name", "姓名", ("name",), width=10)
_PHONE = Column(
    "phone", "手机", ("phone", "mobile", "手机号", "手机号码", "联系电话", "电话"), width=14
)

VILLAGES = SheetSpec(
    "villages",
    "村",
    ("villages", "village"),
    (
        *_place_columns(),
        Column("needs", "类别", ("category", "needs", "村类别"), required=False, width=22),
        Column("latitude", "纬度", ("latitude", "lat"), required=False, width=10),
        Column("longitude", "经度", ("longitude", "lon", "lng"), required=False, width=10),
    ),
)
UNITS = SheetSpec(
    "units",
    "派出单位",
    ("units", "unit", "dispatching_units"),
    (
        Column("unit", "单位", ("unit", "单位名称", "派出单位"), width=28),
        Column("level", "层级", ("level", "级别"), width=8),
    ),
)
CADRES = SheetSpec(
    "cadres",
    "工作队员",
    ("cadres", "cadre", "members", "队员"),
    (
        _NAME,
        _PHONE,
        *_place_columns(),
        Column("role", "职务", ("role", "position"), width=16),
        Column("unit", "派出单位", ("unit", "dispatching_unit"), width=28),
        Column("term_start", "任期开始", ("term_start", "任期起"), width=12),
        Column("term_end", "任期结束", ("term_end", "任期止"), width=12),
        Column("party_since", "入党时间", ("party_since", "party_member_since"), False, 12),
        Column("birth_date", "出生日期", ("birth_date", "birthday", "出生年月"), False, 12),
    ),
)
APPROVERS = SheetSpec(
    "approvers",
    "审批人",
    ("approvers", "approver"),
    (
        _NAME,
        _PHONE,
        Column("post", "岗位", ("post", "kind"), width=16),
        Column("jurisdiction", "辖区", ("jurisdiction",), width=28),
    ),
    required=False,
)
HOUSEHOLDS = SheetSpec(
    "households",
    "农户",
    ("households", "household"),
    (
        Column("code", "编号", ("code", "农户编号", "户编号"), required=False, width=14),
        Column("head", "户主", ("head", "head_name", "户主姓名"), width=10),
        *_place_columns(),
        Column("category", "类别", ("category", "农户类别", "监测类别"), width=16),
        Column("size", "人口", ("size", "家庭人口", "人口数"), required=False, width=8),
    ),
    required=False,
)
PAIRINGS = SheetSpec(
    "pairings",
    "结对",
    ("pairings", "pairing"),
    (
        Column("cadre_phone", "干部手机", ("cadre_phone", "干部手机号"), width=14),
        Column("household_code", "农户编号", ("household_code", "编号", "code"), False, 14),
        Column("head", "户主", ("head", "head_name", "户主姓名"), required=False, width=10),
        *_place_columns(required=False),
    ),
    required=False,
)

#: Every sheet, in the order of the template.
SHEETS: tuple[SheetSpec, ...] = (VILLAGES, UNITS, CADRES, APPROVERS, HOUSEHOLDS, PAIRINGS)

#: The template's instructions sheet; skipped on import.
INSTRUCTIONS_TITLE = "说明"
#: A row whose first cell starts with this is an example: shown in the template, skipped
#: on import, so a county office sees what a row looks like and can leave it there.
EXAMPLE_MARK = "示例"

# --- the template --------------------------------------------------------------------------

# Rows that get drop-downs and formats: far more than a county's roster needs.
_LAST_ROW = 5000

# (sheet, column) → choices offered; ``strict`` False still lets a person type other text
# (a village may have several need tags, "产业薄弱、矛盾纠纷多").
_CHOICES: dict[tuple[str, str], tuple[list[str], bool]] = {
    ("villages", "needs"): (NEEDS.preferred, False),
    ("units", "level"): (LEVELS.preferred, True),
    ("cadres", "role"): (ROLES.preferred, True),
    ("approvers", "post"): (POSTS.preferred, True),
    ("households", "category"): (HOUSEHOLD_CATEGORIES.preferred, True),
}
# Columns Excel must keep as text: a phone typed as a number loses nothing, but a
# household code like 0012 would lose its zeros.
_TEXT_COLUMNS = {"phone", "cadre_phone", "code", "household_code"}
_DATE_COLUMNS = {"term_start", "term_end", "party_since", "birth_date"}

# One row per sheet, the same made-up village throughout, so the rows read as one story.
_PLACE = {"county": "赣县区", "township": "江口镇", "village": "下寨村"}
_EXAMPLES: dict[str, dict[str, object]] = {
    "villages": {**_PLACE, "needs": "产业薄弱", "latitude": 25.832, "longitude": 114.941},
    "units": {"unit": "赣州市财政局", "level": "市"},
    "cadres": {
        "name": "王芳",
        "phone": "13800000001",
        **_PLACE,
        "role": "第一书记兼队长",
        "unit": "赣州市财政局",
        "term_start": date(2025, 6, 1),
        "term_end": date(2027, 5, 31),
    },
    "approvers": {
        "name": "刘洋",
        "phone": "13800000002",
        "post": "乡镇党委",
        "jurisdiction": "江口镇",
    },
    "households": {
        "code": "XZ001",
        "head": "张为明",
        **_PLACE,
        "category": "脱贫不稳定户",
        "size": 4,
    },
    "pairings": {"cadre_phone": "13800000001", "household_code": "XZ001"},
}

_INSTRUCTIONS: list[tuple[str, str]] = [
    ("驻村工作花名册 填写说明", ""),
    ("", "每个工作表的第1行是列名，请勿修改；其下每行填写一条。空行会被跳过。"),
    (
        "",
        f"第2行是示例（第一格以“{EXAMPLE_MARK}”开头），导入时跳过，可保留或删除；"
        "真实数据请从第3行（删除示例后从第2行）起填写。",
    ),
    (
        "",
        "导入时先检查全部内容：只要有一处错误，就一条也不写入，并列出每个问题所在的工作表、行和列。",
    ),
    (
        "",
        "同一文件可反复导入：已有的记录按手机号、农户编号、县/乡镇/村名称对应并更新，不会重复，也不会删除任何记录。",
    ),
    (
        "",
        "“村”“派出单位”“工作队员”三个表必须有；“审批人”“农户”“结对”可以没有。本“说明”表导入时忽略。",
    ),
    (
        "",
        "日期可写成 2026-01-01、2026/1/1、2026.1.1 或 2026年1月1日；"
        "入党时间、出生日期也可只写年月（如 1985.06）。",
    ),
    ("", "手机号为11位大陆手机号，可带空格、短横线或 +86。"),
    ("", "请勿填写身份证号：本系统不保存身份证号，含身份证号的列会被忽略。"),
    ("村", "县、乡镇、村：派驻工作队的行政村。"),
    ("", "类别（可空）：党组织软弱涣散、产业薄弱、矛盾纠纷多，可填多个，用“、”分隔。"),
    ("", "纬度、经度（可空）：须同时填写或同时留空，如 25.86、115.02。"),
    ("派出单位", "单位：派出单位全称；层级：省、市或县。"),
    ("工作队员", "县、乡镇、村须已在“村”表中（或已导入）；派出单位须已在“派出单位”表中。"),
    ("", "职务：第一书记、第一书记兼队长、队长或队员。每村同一时间只能有一名第一书记、一名队长。"),
    ("", "有队长时由队长带队，没有队长时由第一书记带队。每队在任人员少于3名时会提示。"),
    ("", "任期结束须晚于任期开始。队员离任时请保留其行并填写任期结束，而不是删除该行。"),
    ("审批人", "岗位：村党组织、乡镇党委、县驻村办、县驻村领导小组、县委组织部或派出单位。"),
    (
        "",
        "辖区：岗位管辖的村、乡镇、县或派出单位名称。重名时写出上级，如“江口镇/下寨村”或“赣县区/江口镇/下寨村”。",
    ),
    (
        "",
        "同一人可以同时是工作队员和审批人（手机号相同，姓名须一致），也可以担任多个岗位（每个岗位一行）。",
    ),
    (
        "农户",
        "编号（可空）：留空时按县/乡镇/村/户主自动生成；同村有同名户主时必须填写编号。编号一经使用请勿更改。",
    ),
    ("", "类别：脱贫不稳定户、边缘易致贫户、突发严重困难户或脱贫户；人口（可空）：正整数。"),
    ("结对", "干部手机：工作队员的手机号；农户编号，或者 户主、乡镇、村（可加县）。"),
    ("", "每户只能有一名结对干部。改由他人结对时，原结对自动结束，该户的走访记录保留。"),
]


def write_template(path: Path) -> None:
    """Write the blank roster workbook: instructions first, then the six sheets."""
    workbook = Workbook()
    intro = workbook.active
    assert intro is not None, "a new workbook has a sheet"
    _instructions(intro)
    for spec in SHEETS:
        _data_sheet(workbook.create_sheet(spec.title), spec)
    workbook.save(path)


def _instructions(ws: Worksheet) -> None:
    ws.title = INSTRUCTIONS_TITLE
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 110
    for title, text in _INSTRUCTIONS:
        ws.append([title, text])
        row = ws.max_row
        ws.cell(row, 1).font = Font(bold=True)
        ws.cell(row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    ws["A1"].font = Font(bold=True, size=14)


def _data_sheet(ws: Worksheet, spec: SheetSpec) -> None:
    ws.append([column.header for column in spec.columns])
    example = _EXAMPLES[spec.key]
    values = [example.get(column.key) for column in spec.columns]
    values[0] = f"{EXAMPLE_MARK}：{values[0] if values[0] is not None else ''}"
    ws.append(values)
    for cell in ws[2]:
        cell.font = Font(italic=True, color="808080")
    ws.freeze_panes = "A2"
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        ws.cell(1, index).font = Font(bold=True)
        dimension = ws.column_dimensions[letter]
        dimension.width = column.width
        if column.key in _TEXT_COLUMNS:
            dimension.number_format = "@"
        elif column.key in _DATE_COLUMNS:
            dimension.number_format = "yyyy-mm-dd"
        choices = _CHOICES.get((spec.key, column.key))
        if choices is not None:
            _drop_down(ws, f"{letter}2:{letter}{_LAST_ROW}", *choices)


def _drop_down(ws: Worksheet, cells: str, choices: list[str], strict: bool) -> None:
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showErrorMessage=strict,
        errorTitle="不在可选范围内",
        error="请从下拉列表中选择",
    )
    ws.add_data_validation(validation)
    validation.add(cells)
