"""Single roster cells as domain values: text, names, phones, dates, numbers and the
Chinese (or English) labels of roles, levels, posts and categories.

A cell that cannot be read raises ``CellError``; the validator turns it into a problem
located at its sheet, row and column.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from typing import Generic, TypeVar

from openpyxl.utils.datetime import from_excel

from models.enums import ApproverKind, HouseholdCategory, TeamRole, UnitLevel, VillageNeed
from services.roster.importing.problems import Param

T = TypeVar("T")

#: What a cell can hold once read: openpyxl gives numbers and dates, CSV gives text.
Cell = str | int | float | bool | date | datetime | time | None


def norm_word(text: str) -> str:
    """A label reduced for matching: full-width forms become half-width ("（" → "("),
    and case, spaces, underscores and dashes go ("First Secretary" → "firstsecretary")."""
    s = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"[\s_\-]+", "", s)


def norm_label(text: str) -> str:
    """A header or sheet name reduced for matching: as ``norm_word``, and a trailing note
    in brackets or a required-marker star goes too ("手机号（11位）*" → "手机号")."""
    s = unicodedata.normalize("NFKC", text).replace("*", "").strip()
    return norm_word(re.sub(r"\([^()]*\)$", "", s))


class CellError(ValueError):
    """A cell that cannot be read as what its column holds: a problem's code, wording
    and parameters, for the validator to place at its sheet, row and column."""

    def __init__(self, code: str, variant: str = "", **params: Param) -> None:
        super().__init__(code)
        self.code = code
        self.variant = variant
        self.params = params


def cell_text(value: Cell) -> str:
    """A cell as text; a whole number typed into Excel (1001.0) reads as "1001"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    return str(value).strip()


_CJK = re.compile(r"[\u3400-\u9fff]")


def person_name(value: Cell) -> str:
    """Chinese names are often padded to line up ("张  三"); the padding is not the name."""
    text = " ".join(cell_text(value).split())
    return re.sub(r"\s+", "", text) if _CJK.search(text) else text


_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def parse_phone(value: Cell) -> str:
    """A mainland mobile number: spaces, dashes and a +86/0086/86 prefix are dropped."""
    raw = cell_text(value)
    digits = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", raw))
    digits = re.sub(r"\.0+$", "", digits)  # 13800000000.0 from a CSV written by pandas
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == 11 + len(prefix):
            digits = digits[len(prefix) :]
            break
    if not _MOBILE.match(digits):
        raise CellError("bad_phone", value=raw)
    return digits


_FULL_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YEAR_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
# Excel serial days below this are before 1927: no date in a roster is that old, and a
# small number is far likelier a typo (or 1985.06 typed as a number) than a real date.
_MIN_SERIAL = 10_000
_MAX_SERIAL = 2_958_465  # 9999-12-31


def parse_date(value: Cell, *, allow_month: bool = False) -> date:
    """A date from a date cell, an Excel serial, or text such as 2026-01-01, 2026/1/1,
    2026.1.1, 2026年1月1日 or 20260101. With ``allow_month``, "1985.06" or "1985年6月"
    (common for 出生年月 and 入党时间) means the first of that month."""
    if isinstance(value, datetime):
        return _checked_year(value.date(), value)
    if isinstance(value, date):
        return _checked_year(value, value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_number(value)
    text = unicodedata.normalize("NFKC", cell_text(value)).strip()
    for pattern, has_day in ((_FULL_DATE, True), (_COMPACT_DATE, True), (_YEAR_MONTH, False)):
        match = pattern.match(text)
        if match is None or (not has_day and not allow_month):
            continue
        year, month = int(match.group(1)), int(match.group(2))
        day = int(match.group(3)) if has_day else 1
        try:
            return _checked_year(date(year, month, day), value)
        except ValueError:
            break
    raise _bad_date(value)


def _from_number(value: int | float) -> date:
    if isinstance(value, int) and _COMPACT_DATE.match(str(value)):
        return parse_date(str(value))
    if not float(value).is_integer() or not _MIN_SERIAL <= value <= _MAX_SERIAL:
        raise _bad_date(value)
    converted = from_excel(value)
    return converted.date() if isinstance(converted, datetime) else _checked_year(converted, value)


def _checked_year(day: date, raw: Cell) -> date:
    if not 1900 <= day.year <= 2100:
        raise _bad_date(raw)
    return day


def _bad_date(raw: Cell) -> CellError:
    return CellError("bad_date", value=cell_text(raw))


def parse_positive_int(value: Cell) -> int:
    text = unicodedata.normalize("NFKC", cell_text(value)).removesuffix("人").removesuffix("口")
    text = re.sub(r"\.0+$", "", text)  # "3.0" from a CSV written by a program
    # At most nine digits: a count, and int() refuses a cell of over 4,300 digits.
    if not re.fullmatch(r"\d{1,9}", text) or int(text) < 1:
        raise CellError("bad_number", value=cell_text(value))
    return int(text)


def parse_coordinate(value: Cell, limit: float, axis: str) -> float:
    """``axis`` is "latitude" or "longitude": which one the problem names."""
    text = unicodedata.normalize("NFKC", cell_text(value))
    try:
        number = float(text)
    except ValueError:
        raise CellError("bad_coordinate", "not_number", axis=axis, value=text) from None
    if not -limit <= number <= limit:
        raise CellError("bad_coordinate", "out_of_range", axis=axis, value=text, limit=limit)
    return number


# --- labels ------------------------------------------------------------------------------


class Labels(Generic[T]):
    """Words a column accepts for a closed set of values.

    The first ``preferred`` labels are the Chinese ones the template offers in its
    drop-downs; the rest are variants met in real rosters and English aliases.
    """

    def __init__(self, code: str, labels: dict[str, T], preferred: int) -> None:
        self.code = code
        self.labels = labels
        self.preferred = list(labels)[:preferred]
        self._by_norm = {norm_word(k): v for k, v in labels.items()}

    def parse(self, value: Cell) -> T:
        raw = cell_text(value)
        found = self._by_norm.get(norm_word(raw))
        if found is None:
            raise CellError(self.code, value=raw, options=tuple(self.preferred))
        return found


ROLES: Labels[tuple[TeamRole, bool]] = Labels(
    "unknown_role",
    {
        "第一书记": (TeamRole.FIRST_SECRETARY, False),
        "第一书记兼队长": (TeamRole.FIRST_SECRETARY, True),
        "队长": (TeamRole.LEADER, True),
        "队员": (TeamRole.MEMBER, False),
        "驻村第一书记": (TeamRole.FIRST_SECRETARY, False),
        "第一书记兼工作队队长": (TeamRole.FIRST_SECRETARY, True),
        "第一书记(兼队长)": (TeamRole.FIRST_SECRETARY, True),
        "第一书记、队长": (TeamRole.FIRST_SECRETARY, True),
        "工作队队长": (TeamRole.LEADER, True),
        "工作队员": (TeamRole.MEMBER, False),
        "first_secretary": (TeamRole.FIRST_SECRETARY, False),
        "first_secretary_leader": (TeamRole.FIRST_SECRETARY, True),
        "leader": (TeamRole.LEADER, True),
        "team_leader": (TeamRole.LEADER, True),
        "member": (TeamRole.MEMBER, False),
    },
    preferred=4,
)
LEVELS: Labels[UnitLevel] = Labels(
    "unknown_level",
    {
        "省": UnitLevel.PROVINCE,
        "市": UnitLevel.CITY,
        "县": UnitLevel.COUNTY,
        "省级": UnitLevel.PROVINCE,
        "市级": UnitLevel.CITY,
        "县级": UnitLevel.COUNTY,
        "区": UnitLevel.COUNTY,
        "provincial": UnitLevel.PROVINCE,
        **{level.value: level for level in UnitLevel},
    },
    preferred=3,
)
POSTS: Labels[ApproverKind] = Labels(
    "unknown_post",
    {
        "村党组织": ApproverKind.VILLAGE_PARTY_ORG,
        "乡镇党委": ApproverKind.TOWNSHIP_PARTY_COMMITTEE,
        "县驻村办": ApproverKind.COUNTY_LEADING_GROUP_OFFICE,
        "县驻村领导小组": ApproverKind.COUNTY_LEADING_GROUP,
        "县委组织部": ApproverKind.COUNTY_ORG_DEPT,
        "派出单位": ApproverKind.DISPATCHING_UNIT,
        "村党支部": ApproverKind.VILLAGE_PARTY_ORG,
        "村党总支": ApproverKind.VILLAGE_PARTY_ORG,
        "村党委": ApproverKind.VILLAGE_PARTY_ORG,
        "县驻村工作领导小组办公室": ApproverKind.COUNTY_LEADING_GROUP_OFFICE,
        "驻村办": ApproverKind.COUNTY_LEADING_GROUP_OFFICE,
        "县驻村工作领导小组": ApproverKind.COUNTY_LEADING_GROUP,
        "组织部": ApproverKind.COUNTY_ORG_DEPT,
        **{kind.value: kind for kind in ApproverKind},
    },
    preferred=6,
)
HOUSEHOLD_CATEGORIES: Labels[HouseholdCategory] = Labels(
    "unknown_category",
    {
        "脱贫不稳定户": HouseholdCategory.UNSTABLE,
        "边缘易致贫户": HouseholdCategory.MARGINAL,
        "突发严重困难户": HouseholdCategory.SUDDEN_HARDSHIP,
        "脱贫户": HouseholdCategory.OUT_OF_POVERTY,
        "不稳定户": HouseholdCategory.UNSTABLE,
        "边缘户": HouseholdCategory.MARGINAL,
        "突发困难户": HouseholdCategory.SUDDEN_HARDSHIP,
        **{category.value: category for category in HouseholdCategory},
    },
    preferred=4,
)
NEEDS: Labels[VillageNeed] = Labels(
    "unknown_need",
    {
        "党组织软弱涣散": VillageNeed.WEAK_PARTY_ORG,
        "产业薄弱": VillageNeed.WEAK_INDUSTRY,
        "矛盾纠纷多": VillageNeed.MANY_DISPUTES,
        "软弱涣散": VillageNeed.WEAK_PARTY_ORG,
        "软弱涣散村": VillageNeed.WEAK_PARTY_ORG,
        "产业发展滞后": VillageNeed.WEAK_INDUSTRY,
        "矛盾纠纷": VillageNeed.MANY_DISPUTES,
        **{need.value: need for need in VillageNeed},
    },
    preferred=3,
)

_NEED_SEPARATORS = re.compile(r"[、,，;；/\s]+")


def parse_needs(value: Cell) -> str:
    """Need tags ("产业薄弱、矛盾纠纷") as stored: comma-separated, in the enum's order."""
    found = {NEEDS.parse(part) for part in _NEED_SEPARATORS.split(cell_text(value)) if part}
    return ",".join(need.value for need in VillageNeed if need in found)
