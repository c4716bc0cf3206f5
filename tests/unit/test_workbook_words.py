"""The workbooks' words (leave register, dispatch check, attendance sheet) come from the
catalogs: in zh they are the county's Chinese documents exactly as before (the headers and
titles below are the old literals), in en the same workbook reads in English."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from locales import Catalogs
from models.enums import ApproverKind, DayClass, LeaveKind, LeaveState, SheetState, TeamRole
from models.workflow import LeaveRequest
from services.leave.register import LeaveRow, register_workbook
from services.presence.attendance_workbook import workbook as attendance_workbook
from services.presence.sheet_rows import Sheet, SheetRow
from services.supervision.monthly_check_sheet import CadreLine, file_name, workbook

ZONE = ZoneInfo("Asia/Shanghai")
CJK = re.compile(r"[\u4e00-\u9fff]")
NOV, DEC = (2026, 11), (2026, 12)
LINES = [
    CadreLine("江口镇", "下寨村", "王芳", TeamRole.FIRST_SECRETARY, 21, 20, 0, 0, 2, 2, 2),
    CadreLine("江口镇", "下寨村", "李强", TeamRole.MEMBER, 12, 20, 3, 1, 2, 1, 1),
]
AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
LEAVE = LeaveRequest(
    id=1, cadre_id=1, kind=LeaveKind.PERSONAL, emergency=True, start_date=date(2026, 12, 1),
    end_date=date(2026, 12, 3), days=3, reason="家中有事", state=LeaveState.APPROVED,
    routed_to=ApproverKind.TOWNSHIP_PARTY_COMMITTEE,
    waiting_on=ApproverKind.TOWNSHIP_PARTY_COMMITTEE, route_key="township:1",
    waiting_since=AT, created_at=AT, decided_at=AT, returned_on=date(2026, 12, 4),
)  # fmt: skip
ROWS = [LeaveRow(LEAVE, "王芳", "下寨村", "江口镇", "赣县区", "刘洋")]

DISPATCH_ZH = {
    "file": "调度表_赣县区_2026-12.xlsx",
    "sheets": ["调度表", "分队汇总"],
    "title": "赣县区驻村工作调度表（2026年11月至2026年12月）",
    "headers": (
        "序号", "乡镇", "村", "姓名", "职务", "计入驻村天数", "应驻村天数", "是否达标", "请假天数",
        "无故脱岗天数", "结对户数", "本季度已走访户数", "本期入户走访次数",
    ),
    "row": (1, "江口镇", "下寨村", "王芳", "第一书记", 21, 20, "是", 0, 0, 2, 2, 2),
    "totals": ("合计", None, None, "2人", None, 33, 40, "1人达标", 3, 1, 4, 3, 3),
    "team_title": "赣县区各工作队汇总（2026年11月至2026年12月）",
    "team_headers": (
        "序号", "乡镇", "村（工作队）", "人数", "达标人数", "计入驻村天数", "应驻村天数",
        "请假天数", "无故脱岗天数", "结对户数", "本季度已走访户数",
    ),
}  # fmt: skip
REGISTER_ZH = {
    "sheet": "请假登记",
    "title": "江口镇 2026年12月 驻村干部请假登记",
    "headers": (
        "序号", "县", "乡镇", "村", "姓名", "类型", "开始日期", "结束日期", "天数", "事由",
        "紧急", "状态", "审批人", "审批时间", "审批意见", "销假日期",
    ),
    "row": (
        1, "赣县区", "江口镇", "下寨村", "王芳", "事假", "2026年12月1日", "2026年12月3日", 3,
        "家中有事", "是", "已批准", "刘洋", "2026年12月1日 10:00", None, "2026年12月4日",
    ),
}  # fmt: skip


def _dispatch(language: str) -> tuple[str, dict[str, list[tuple[object, ...]]]]:
    t = Catalogs().get(language)
    book = load_workbook(io.BytesIO(workbook("赣县区", [NOV, DEC], LINES, t)))
    return file_name("赣县区", [NOV, DEC], t), {
        ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets
    }


def _register(language: str) -> tuple[str, list[tuple[object, ...]]]:
    t = Catalogs().get(language)
    book = load_workbook(io.BytesIO(register_workbook(ROWS, 2026, 12, "江口镇", ZONE, t)))
    ws = book.worksheets[0]
    return ws.title, list(ws.iter_rows(values_only=True))


def test_the_dispatch_sheet_in_zh_is_the_old_document() -> None:
    name, sheets = _dispatch("zh")
    assert name == DISPATCH_ZH["file"]
    assert list(sheets) == DISPATCH_ZH["sheets"]
    cadres, teams = sheets["调度表"], sheets["分队汇总"]
    assert cadres[0][0] == DISPATCH_ZH["title"]
    assert cadres[1] == DISPATCH_ZH["headers"]
    assert cadres[2] == DISPATCH_ZH["row"]
    assert cadres[-1] == DISPATCH_ZH["totals"]
    assert (teams[0][0], teams[1]) == (DISPATCH_ZH["team_title"], DISPATCH_ZH["team_headers"])


def test_the_register_in_zh_is_the_old_document() -> None:
    title, rows = _register("zh")
    assert (title, rows[0][0]) == (REGISTER_ZH["sheet"], REGISTER_ZH["title"])
    assert rows[1] == REGISTER_ZH["headers"]
    assert rows[2] == REGISTER_ZH["row"]


def _ours(values: tuple[object, ...], data: set[str]) -> list[str]:
    """The texts of a row that are not the data's own (names, places)."""
    return [v for v in values if isinstance(v, str) and v not in data]


DATA = {"江口镇", "下寨村", "王芳", "李强", "赣县区", "刘洋", "家中有事"}


@pytest.mark.parametrize("which", ["dispatch", "register"])
def test_in_en_the_same_workbook_reads_in_english(which: str) -> None:
    if which == "dispatch":
        name, sheets = _dispatch("en")
        assert name == "dispatch_赣县区_2026-12.xlsx"
        titles = list(sheets)
        rows = [row for table in sheets.values() for row in table]
    else:
        title, rows = _register("en")
        titles = [title]
    words = titles + [w for row in rows for w in _ours(row, DATA)]
    # A title names its place: what is left once the place is taken out is English.
    leftover = [w for w in words if CJK.search(re.sub("|".join(DATA), "", w))]
    assert leftover == []
    assert rows[1][:2] == ("No.", "County" if which == "register" else "Township")


def _attendance(language: str) -> dict[str, list[tuple[object, ...]]]:
    days = (DayClass.IN_VILLAGE, DayClass.SICK_LEAVE, DayClass.ABSENT, DayClass.REST, None)
    row = SheetRow(
        1, "王芳", "下寨村", "first_secretary", "县农业局", days, 1, 0, 0, 1, 0, 1, 1, 1, 20,
        False, 1, Decimal("100"), 2, Decimal("150"), Decimal("67.50"),
    )  # fmt: skip
    sheet = Sheet(
        3, "江口镇", "赣县区", 2026, 11, (row,), "ganzhou-2021", 20, Decimal("100"),
        Decimal("0.45"), 2, 7, SheetState.CONFIRMED, "刘洋", AT,
        (DayClass.IN_VILLAGE, DayClass.OFFICIAL_BUSINESS), (DayClass.IN_VILLAGE,),
    )  # fmt: skip
    book = load_workbook(io.BytesIO(attendance_workbook([sheet], Catalogs().get(language))))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_the_attendance_sheet_in_zh_is_the_old_document() -> None:
    sheets = _attendance("zh")
    assert list(sheets) == ["江口镇", "江口镇逐日"]
    main, daily = sheets["江口镇"], sheets["江口镇逐日"]
    assert main[0][0] == "江口镇驻村第一书记和工作队员2026年11月考勤表"
    assert main[1][0] == (
        "县（区）：赣县区　乡镇：江口镇　依据：ganzhou-2021　状态：已确认（刘洋，2026-12-01）"
    )
    assert main[2][0] == (
        "每月驻村不少于20天（含因公出差、开会和培训）；生活补助100元/天，按实际驻村天数计发；"
        "自驾往返交通费0.45元/公里，每月至多2次往返"
    )
    assert main[3][0].startswith("计算方法：工作日如无请假、未发现无故脱岗，推定在村")
    assert main[3][0].endswith("计入驻村天数的：在村；因公出差、会议、培训。发放生活补助的：在村。")
    assert main[5][3] == "第一书记" and main[5][15] == "否"
    assert main[5][6] == "—"  # confirmed before evidence was kept: not known, not zero
    assert main[6][:3] == ("合计", None, "1人")
    assert main[-1][0] == "乡镇党委（盖章）：" and main[-1][9] == "日期：　　年　　月　　日"
    assert daily[0][0] == "江口镇2026年11月逐日考勤"
    assert daily[1][0] == (
        "图例：√ 在村　○ 推定在村（当天无证据）　公 因公出差、会议、培训　事 事假　病 病假"
        "　年 年休假　× 无故脱岗　休 休息日；空白为不在任期内"
    )
    assert daily[3][2:7] == ("√", "病", "×", "休", None)


def test_the_attendance_sheet_in_en_reads_in_english() -> None:
    sheets = _attendance("en")
    assert list(sheets) == ["江口镇", "江口镇 daily"]
    words = [w for rows in sheets.values() for row in rows for w in _ours(row, DATA | {"县农业局"})]
    leftover = [w for w in words if CJK.search(re.sub("|".join(DATA), "", w))]
    assert leftover == []
    assert sheets["江口镇 daily"][3][2:7] == ("√", "S", "×", "R", None)
