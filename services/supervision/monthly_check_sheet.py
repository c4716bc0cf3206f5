"""The dispatch check's workbook (驻村工作调度表): one row per cadre, then one per team.

It goes to the county leading group office in a private chat, so it names cadres; the group
gets the team figures only. Its words are the catalogs' (English msgids): the caller passes
the translator, Chinese for the county's files.
"""

from __future__ import annotations

import io
from copy import copy
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from locales import N_, Translator
from models.enums import TeamRole


@dataclass
class CadreLine:
    """One cadre's period: presence from the ledger, visits from the visit log."""

    township: str
    village: str
    name: str
    team_role: TeamRole
    counted: int  # days counted toward the minimum
    minimum: int
    leave: int  # personal, sick and annual leave days
    absent: int  # unexplained absences (无故脱岗) confirmed
    paired: int = 0  # households paired at the period's end
    visited: int = 0  # of them, visited this quarter by the period's end
    visits: int = 0  # counted visits made in the period
    # Of the days counted, those in the village by presumption alone (no location, visit or
    # correction that day): the reader of "all met the minimum" needs it (issue 18).
    presumed: int = 0

    @property
    def met(self) -> bool:
        return self.counted >= self.minimum


@dataclass
class TeamLine:
    """One team's figures (named by its village): what the county group sees."""

    township: str
    village: str
    cadres: int = 0
    met: int = 0  # cadres at or above their minimum
    counted: int = 0
    minimum: int = 0
    leave: int = 0
    absent: int = 0
    paired: int = 0
    visited: int = 0
    presumed: int = 0

    def add(self, line: CadreLine) -> None:
        self.cadres += 1
        self.met += line.met
        for name in ("counted", "minimum", "leave", "absent", "paired", "visited", "presumed"):
            setattr(self, name, getattr(self, name) + getattr(line, name))


def team_lines(lines: list[CadreLine]) -> list[TeamLine]:
    """The cadres' lines summed per team, in the cadres' order."""
    teams: dict[tuple[str, str], TeamLine] = {}
    for line in lines:
        key = (line.township, line.village)
        teams.setdefault(key, TeamLine(*key)).add(line)
    return list(teams.values())


ROLES = {
    TeamRole.FIRST_SECRETARY: N_("First secretary"),
    TeamRole.LEADER: N_("Team leader"),
    TeamRole.MEMBER: N_("Team member"),
}
CADRE_HEADERS = [
    N_("No."), N_("Township"), N_("Village"), N_("Name"), N_("Role"),
    N_("Days counted in the village"), N_("Days required in the village"), N_("Minimum met"),
    N_("Leave days"), N_("Unexplained absences (days)"), N_("Paired households"),
    N_("Households visited this quarter"), N_("In-person visits this period"),
]  # fmt: skip
TEAM_HEADERS = [
    N_("No."), N_("Township"), N_("Village (team)"), N_("Cadres"), N_("Cadres meeting the minimum"),
    N_("Days counted in the village"), N_("Days required in the village"), N_("Leave days"),
    N_("Unexplained absences (days)"), N_("Paired households"),
    N_("Households visited this quarter"),
]  # fmt: skip


def _month(t: Translator, year: int, month: int) -> str:
    return t("{year}-{month:02d}", year=year, month=month)


def period_text(t: Translator, months: list[tuple[int, int]]) -> str:
    (y0, m0), (y1, m1) = months[0], months[-1]
    if (y0, m0) == (y1, m1):
        return _month(t, y1, m1)
    return t("{first} to {last}", first=_month(t, y0, m0), last=_month(t, y1, m1))


def file_name(county: str, months: list[tuple[int, int]], t: Translator) -> str:
    year, month = months[-1]
    return t("dispatch_{county}_{year}-{month:02d}.xlsx", county=county, year=year, month=month)


def _table(ws: Worksheet, title: str, headers: list[str], rows: list[list[Any]]) -> None:
    width = len(headers)
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(headers)
    header = ws.max_row
    for row in rows:
        ws.append(row)
    # The first cell's style is set the public way and its index array copied to the rest:
    # setting border and alignment per cell hashes both each time, and a national county
    # sheet has tens of thousands of cells (the sweeps benchmark: 3x faster).
    thin = Side(style="thin")
    first = ws.cell(row=header, column=1)
    first.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    first.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for cells in ws.iter_rows(min_row=header, max_row=ws.max_row, max_col=width):
        for cell in cells:
            cell._style = copy(first._style)  # type: ignore[union-attr]
    for cell in ws[header]:
        cell.font = Font(bold=True)
    for index, column in enumerate(ws.iter_cols(min_row=header, max_col=width), start=1):
        widest = max((len(str(c.value)) for c in column if c.value is not None), default=4)
        ws.column_dimensions[get_column_letter(index)].width = min(max(widest * 1.8, 6), 24)
    ws.freeze_panes = f"A{header + 1}"
    ws.page_setup.orientation = "landscape"


def _cadre_row(t: Translator, index: int, line: CadreLine) -> list[Any]:
    role = t(ROLES[line.team_role]) if line.team_role in ROLES else ""
    return [
        index, line.township, line.village, line.name, role,
        line.counted, line.minimum, t("Yes") if line.met else t("No"), line.leave, line.absent,
        line.paired, line.visited, line.visits,
    ]  # fmt: skip


def workbook(
    county: str, months: list[tuple[int, int]], lines: list[CadreLine], t: Translator
) -> bytes:
    """Sheet 调度表 (per cadre, with totals) and sheet 分队汇总 (per team)."""
    book = Workbook()
    cadres = book.active
    assert cadres is not None
    cadres.title = t("Dispatch check")
    period = period_text(t, months)
    rows = [_cadre_row(t, i, line) for i, line in enumerate(lines, start=1)]
    totals: list[Any] = [t("Total"), "", "", t("{n} cadres", n=len(lines)), ""]
    totals += [sum(line.counted for line in lines), sum(line.minimum for line in lines)]
    totals += [t("{n} met the minimum", n=sum(line.met for line in lines))]
    totals += [sum(getattr(line, f) for line in lines) for f in ("leave", "absent")]
    totals += [sum(getattr(line, f) for line in lines) for f in ("paired", "visited", "visits")]
    title = t(
        "{county} dispatch check of the resident cadres ({period})", county=county, period=period
    )
    _table(cadres, title, [t(h) for h in CADRE_HEADERS], [*rows, totals])
    team_rows = [
        [
            index, team.township, team.village, team.cadres, team.met, team.counted,
            team.minimum, team.leave, team.absent, team.paired, team.visited,
        ]
        for index, team in enumerate(team_lines(lines), start=1)
    ]  # fmt: skip
    title = t("{county} summary by team ({period})", county=county, period=period)
    _table(book.create_sheet(t("Team summary")), title, [t(h) for h in TEAM_HEADERS], team_rows)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
