"""The demo county, 赣县区: two townships, six villages, 21 cadres in teams of three or four,
every approver post held, 60 households, two paired with each cadre (ganzhou Art.11: the
higher-ranked cadre takes the riskier households).

Fixed data, no randomness: every demo starts from the same county. It is written into the
real roster template (``write_workbook``) and read back through the real import
(``import_county``), so the demo exercises the import a county office would run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.commands.roster_messages import problem_line
from locales import office_translator
from services.roster.importing.importer import ImportResult, import_roster
from services.roster.importing.layout import SHEETS, write_template

COUNTY = "赣县区"
TERM_START = date(2025, 6, 1)
TERM_END = date(2027, 5, 31)

FINANCE = "赣州市财政局"
PROVINCE = "江西省农业农村厅"
AGRICULTURE = "赣县区农业农村局"
EDUCATION = "赣县区教育科技体育局"
UNITS = [(FINANCE, "市"), (PROVINCE, "省"), (AGRICULTURE, "县"), (EDUCATION, "县")]

# (township, village, needs, latitude, longitude); 下寨村 sits beside 25.83,114.93.
VILLAGES = [
    ("江口镇", "下寨村", "产业薄弱", 25.832, 114.941),
    ("江口镇", "旱塘村", "党组织软弱涣散", 25.861, 114.987),
    ("江口镇", "优良村", None, 25.804, 115.012),
    ("茅店镇", "洋塘村", "矛盾纠纷多", 25.913, 115.108),
    ("茅店镇", "长洛村", "产业薄弱、矛盾纠纷多", 25.884, 115.152),
    ("茅店镇", "马埠村", None, 25.946, 115.079),
]

# Per village, its team in rank order: (name, phone, role, dispatching unit).
TEAMS: dict[str, list[tuple[str, str, str, str]]] = {
    "下寨村": [
        ("王芳", "13807970001", "第一书记兼队长", FINANCE),
        ("李强", "13807970002", "队员", AGRICULTURE),
        ("张伟", "13807970003", "队员", AGRICULTURE),
        ("钟敏", "13807970004", "队员", FINANCE),
    ],
    "旱塘村": [
        ("刘志强", "13807970005", "第一书记", PROVINCE),
        ("陈芳", "13807970006", "队长", AGRICULTURE),
        ("黄伟", "13807970007", "队员", FINANCE),
    ],
    "优良村": [
        ("谢文华", "13807970008", "第一书记兼队长", EDUCATION),
        ("邱慧", "13807970009", "队员", EDUCATION),
        ("温建平", "13807970010", "队员", AGRICULTURE),
        ("严晓东", "13807970011", "队员", FINANCE),
    ],
    "洋塘村": [
        ("周文斌", "13807970012", "第一书记兼队长", FINANCE),
        ("吴海燕", "13807970013", "队员", AGRICULTURE),
        ("郑国平", "13807970014", "队员", AGRICULTURE),
    ],
    "长洛村": [
        ("孙晓东", "13807970015", "第一书记", PROVINCE),
        ("朱红梅", "13807970016", "队长", AGRICULTURE),
        ("胡建军", "13807970017", "队员", FINANCE),
        ("廖春生", "13807970018", "队员", EDUCATION),
    ],
    "马埠村": [
        ("蔡丽娟", "13807970019", "第一书记兼队长", PROVINCE),
        ("赖永华", "13807970020", "队员", AGRICULTURE),
        ("肖国庆", "13807970021", "队员", EDUCATION),
    ],
}

# Joined 下寨村's team this week and has not opened the invitation link yet: the Telegram demo
# leaves them unregistered, so that the tour (and you, with /as 钟敏) can show registration.
NEWCOMER = "钟敏"

# (name, phone, post, jurisdiction)
APPROVERS = [
    ("钟国华", "13907970101", "村党组织", "下寨村"),
    ("廖德胜", "13907970102", "村党组织", "旱塘村"),
    ("谢长根", "13907970103", "村党组织", "优良村"),
    ("罗水生", "13907970104", "村党组织", "洋塘村"),
    ("曾广发", "13907970105", "村党组织", "长洛村"),
    ("黄春发", "13907970106", "村党组织", "马埠村"),
    ("刘洋", "13907970201", "乡镇党委", "江口镇"),
    ("罗建新", "13907970202", "乡镇党委", "茅店镇"),
    ("陈静", "13907970301", "县驻村办", COUNTY),
    ("赵敏", "13907970302", "县驻村领导小组", COUNTY),
    ("孙磊", "13907970303", "县委组织部", COUNTY),
    ("吴海", "13907970401", "派出单位", FINANCE),
    ("彭卫东", "13907970402", "派出单位", PROVINCE),
    ("邓丽", "13907970403", "派出单位", AGRICULTURE),
    ("邹志明", "13907970404", "派出单位", EDUCATION),
]
POSTS = ("村党组织", "乡镇党委", "县驻村办", "县驻村领导小组", "县委组织部", "派出单位")

# Ten households per village, riskiest first; 单 (Shàn), 曾 (Zēng) and 解 (Xiè) are
# surnames read differently from the everyday character, which the name search must know.
HOUSEHOLDS: dict[str, list[tuple[str, int]]] = {
    "下寨村": [("张伟明", 4), ("李秀英", 3), ("单国庆", 5), ("钟桂兰", 2), ("刘长生", 3),
               ("曾宪平", 4), ("黄金凤", 1), ("谢有福", 6), ("廖冬生", 3), ("温秀珍", 2)],
    "旱塘村": [("陈水根", 3), ("解春华", 4), ("罗桂花", 2), ("赖福生", 5), ("刘新民", 4),
               ("邱玉兰", 1), ("曾德旺", 3), ("肖金生", 4), ("杨满秀", 2), ("何小平", 5)],
    "优良村": [("谢长庚", 4), ("朱桂英", 2), ("单红梅", 3), ("邓火生", 5), ("欧阳春", 4),
               ("叶秋香", 1), ("钟有才", 6), ("胡来喜", 3), ("蓝凤英", 2), ("严德明", 4)],
    "洋塘村": [("周德明", 4), ("吴桂英", 1), ("郑金水", 3), ("解国平", 5), ("许冬梅", 2),
               ("曾繁荣", 4), ("袁水生", 3), ("魏春兰", 2), ("彭福来", 6), ("郭秀兰", 3)],
    "长洛村": [("孙来娣", 2), ("朱水根", 5), ("胡满仓", 4), ("单志强", 3), ("戴桂香", 1),
               ("李火旺", 4), ("管秋生", 3), ("卢凤娇", 2), ("江有根", 5), ("汤月英", 3)],
    "马埠村": [("蔡金发", 3), ("曾招娣", 2), ("解德胜", 4), ("黄水秀", 1), ("钟春生", 5),
               ("邹桂花", 3), ("范长发", 4), ("潘细妹", 2), ("骆福顺", 6), ("傅小英", 3)],
}  # fmt: skip
CATEGORIES = ["脱贫不稳定户", "脱贫不稳定户", "边缘易致贫户", "边缘易致贫户", "突发严重困难户"]
OTHER_CATEGORY = "脱贫户"

Row = dict[str, Any]


@dataclass(frozen=True)
class DemoPerson:
    """Someone in the demo county, with what the terminal needs to find and show them."""

    name: str
    phone: str
    labels: tuple[str, ...]  # 第一书记兼队长 · 江口镇下寨村, 乡镇党委 · 江口镇
    township: str | None = None  # where "乡镇党委" or "村党组织" means theirs
    village: str | None = None
    unit: str | None = None
    posts: tuple[tuple[str, str], ...] = field(default=())  # (post, jurisdiction)


def township_of(village: str) -> str:
    return next(t for t, v, *_ in VILLAGES if v == village)


def household_code(village: str, index: int) -> str:
    """``JK1-01``: the township's initials, the village's number there, the household's."""
    township = township_of(village)
    prefix = "JK" if township == "江口镇" else "MD"
    number = [v for t, v, *_ in VILLAGES if t == township].index(village) + 1
    return f"{prefix}{number}-{index + 1:02d}"


def _home(post: str, where: str) -> tuple[str | None, str | None, str | None]:
    """(township, village, unit) that an approver post belongs to."""
    if post == "村党组织":
        return township_of(where), where, None
    if post == "乡镇党委":
        return where, None, None
    if post == "派出单位":
        return None, None, where
    return None, None, None


def people() -> list[DemoPerson]:
    """Cadres (team by team), then approvers; a person holding both appears once."""
    out: dict[str, DemoPerson] = {}
    for village, team in TEAMS.items():
        township = township_of(village)
        for name, phone, role, unit in team:
            out[name] = DemoPerson(
                name, phone, (f"{role} · {township}{village}",), township, village, unit
            )
    for name, phone, post, where in APPROVERS:
        home = _home(post, where)
        label = f"{post} · {home[0]}{where}" if home[1] else f"{post} · {where}"
        old = out.get(name)
        if old is not None:  # a cadre who also holds a post keeps the cadre's home
            home = (old.township, old.village, old.unit)
        out[name] = DemoPerson(
            name,
            phone,
            (*(old.labels if old else ()), label),
            *home,
            (*(old.posts if old else ()), (post, where)),
        )
    return list(out.values())


def roster_rows() -> dict[str, list[Row]]:
    """The roster as the template's sheets, each row keyed by the Chinese column header."""
    place = {"县": COUNTY}
    villages = [
        {**place, "乡镇": t, "村": v, "类别": needs, "纬度": lat, "经度": lon}
        for t, v, needs, lat, lon in VILLAGES
    ]
    units = [{"单位": name, "层级": level} for name, level in UNITS]
    cadres, households, pairings = [], [], []
    for village, team in TEAMS.items():
        township = township_of(village)
        for name, phone, role, unit in team:
            cadres.append(
                {"姓名": name, "手机": phone, **place, "乡镇": township, "村": village,
                 "职务": role, "派出单位": unit, "任期开始": TERM_START, "任期结束": TERM_END}
            )  # fmt: skip
        for index, (head, size) in enumerate(HOUSEHOLDS[village]):
            category = CATEGORIES[index] if index < len(CATEGORIES) else OTHER_CATEGORY
            code = household_code(village, index)
            households.append(
                {"编号": code, "户主": head, **place, "乡镇": township, "村": village,
                 "类别": category, "人口": size}
            )  # fmt: skip
            if index // 2 < len(team):
                pairings.append({"干部手机": team[index // 2][1], "农户编号": code})
    approvers = [
        {"姓名": name, "手机": phone, "岗位": post,
         "辖区": f"{township_of(where)}/{where}" if where in TEAMS else where}
        for name, phone, post, where in APPROVERS
    ]  # fmt: skip
    return {
        "村": villages,
        "派出单位": units,
        "工作队员": cadres,
        "审批人": approvers,
        "农户": households,
        "结对": pairings,
    }


def write_workbook(path: Path) -> Path:
    """The county typed into the real roster template (``zhucun import --template``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_template(path)
    workbook = load_workbook(path)
    for title, rows in roster_rows().items():
        spec = next(s for s in SHEETS if s.title == title)
        headers = [c.header for c in spec.columns]
        sheet = workbook[title]
        for row in rows:
            sheet.append([row.get(h) for h in headers])
    workbook.save(path)
    return path


class RosterRejected(RuntimeError):
    """The demo's own roster did not import: a bug in the demo or in the import."""


async def import_county(session: AsyncSession, path: Path, now: datetime) -> ImportResult:
    """Import the workbook at ``path`` like ``zhucun import`` does; the caller commits."""
    result = await import_roster(session, path, now=now)
    if not result.ok:
        lines = "; ".join(problem_line(p, office_translator()) for p in result.errors[:5])
        raise RosterRejected(f"the demo roster was refused: {lines}")
    return result
