"""The blank roster workbook handed to a county office (``zhucun import --template``)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from services.roster.cells import HOUSEHOLD_CATEGORIES, LEVELS, NEEDS, POSTS, ROLES
from services.roster.parse import INSTRUCTIONS_TITLE, SHEETS, SheetSpec

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

_INSTRUCTIONS: list[tuple[str, str]] = [
    ("驻村工作花名册 填写说明", ""),
    ("", "每个工作表的第1行是列名，请勿修改；从第2行起每行填写一条。空行会被跳过。"),
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
