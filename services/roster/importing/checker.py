"""What a roster check carries from sheet to sheet, and how it reads one row.

Every problem is collected (not just the first), located at its sheet, row and column.
A name that cannot be found because its own row is wrong, or because the sheet that
lists it is missing, is not reported again where it is used: one cause, one line.
The checks of each sheet (``check_places``, ``check_cadres``, ``check_approvers``,
``check_households``) fill one ``RosterCheck``: the problems, and a ``Plan`` of upserts
that ``apply`` writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from models.enums import Jurisdiction, TeamRole, UnitLevel
from services.roster.importing.cells import Cell, CellError, cell_text, person_name
from services.roster.importing.layout import SHEETS, VILLAGES
from services.roster.importing.plan import KEEP, CadrePlan, Keep, Plan, VillageKey
from services.roster.importing.problems import Param, Problem, Severity
from services.roster.importing.reader import RawRow, RosterFile, SheetData, iter_sheet_rows
from services.roster.importing.snapshot import Snapshot

T = TypeVar("T")


class Row:
    """One row being read: a cell that fails becomes a problem here and marks the row bad,
    so later cross-row checks skip it instead of piling up follow-on errors."""

    def __init__(self, problems: list[Problem], sheet: SheetData, raw: RawRow) -> None:
        self.problems = problems
        self.sheet = sheet
        self.raw = raw
        self.number = raw.number
        self.ok = True

    def report(
        self,
        key: str | None,
        code: str,
        variant: str = "",
        *,
        warning: bool = False,
        **params: Param,
    ) -> None:
        self.add(key, code, variant, params, warning=warning)

    def add(
        self,
        key: str | None,
        code: str,
        variant: str,
        params: Mapping[str, Param],
        *,
        warning: bool = False,
    ) -> None:
        """``report`` with the parameters already gathered (a ``CellError``'s, say)."""
        column = self.sheet.header(key) if key else None
        severity = Severity.WARNING if warning else Severity.ERROR
        self.problems.append(
            Problem(severity, self.sheet.title, self.number, column, code, params, variant)
        )
        self.ok = self.ok and warning

    def blank(self, key: str) -> bool:
        return cell_text(self.raw.values.get(key)) == ""

    def get(self, key: str, parse: Callable[[Cell], T]) -> T | None:
        """A required cell, parsed; None (and a problem) when blank or unreadable."""
        if self.blank(key):
            self.report(key, "required")
            return None
        return self._parse(key, parse)

    def optional(self, key: str, parse: Callable[[Cell], T]) -> T | Keep | None:
        """An optional cell: KEEP when the column is absent, None when blank."""
        if not self.sheet.has(key):
            return KEEP
        if self.blank(key):
            return None
        return self._parse(key, parse)

    def text(self, key: str, max_len: int = 60) -> str:
        value = self.get(key, cell_text) or ""
        return self._fits(key, value, max_len)

    def name(self, key: str = "name") -> str:
        return self._fits(key, self.get(key, person_name) or "", 40)

    def _fits(self, key: str, value: str, max_len: int) -> str:
        if len(value) > max_len:
            self.report(key, "too_long", max_len=max_len)
        return value

    def _parse(self, key: str, parse: Callable[[Cell], T]) -> T | None:
        try:
            return parse(self.raw.values.get(key))
        except CellError as exc:
            self.add(key, exc.code, exc.variant, exc.params)
            return None


class Places:
    """The villages known from the database and the file, to look names up in."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.villages: set[VillageKey] = set(snapshot.villages)

    def add(self, key: VillageKey) -> None:
        self.villages.add(key)

    def missing_level(self, key: VillageKey) -> str | None:
        """Which column names something unknown ("county", "township", "village"), if any."""
        if key in self.villages:
            return None
        if not any(v[0] == key[0] for v in self.villages):
            return "county"
        if not any(v[:2] == key[:2] for v in self.villages):
            return "township"
        return "village"

    def find(self, jurisdiction: Jurisdiction, parts: tuple[str, ...]) -> list[tuple[str, ...]]:
        """Places of that kind whose path ends with ``parts`` ("江口镇/下寨村")."""
        depth = {Jurisdiction.COUNTY: 1, Jurisdiction.TOWNSHIP: 2, Jurisdiction.VILLAGE: 3}
        size = depth[jurisdiction]
        keys = {v[:size] for v in self.villages}
        if len(parts) > size:
            return []
        return sorted(k for k in keys if k[size - len(parts) :] == parts)


@dataclass(frozen=True)
class Member:
    """A cadre of one team, from the file (``row``) or only from the database (``cadre_id``)."""

    name: str
    role: TeamRole
    leads: bool  # 队长 or 第一书记兼队长
    start: date
    end: date
    row: int | None = None
    phone: str | None = None
    cadre_id: int | None = None
    stored_leader: bool = False


class RosterCheck:
    """One check of a roster: what the sheets checked so far found, for the next ones."""

    def __init__(
        self, roster: RosterFile, snapshot: Snapshot, *, today: date, min_team_members: int
    ) -> None:
        self.roster = roster
        self.snap = snapshot
        self.today = today
        self.min_team_members = min_team_members
        self.problems: list[Problem] = list(roster.problems)
        self.plan = Plan()
        self.places = Places(snapshot)
        self.units: dict[str, UnitLevel | None] = {n: u.level for n, u in snapshot.units.items()}
        # phone → (name, sheet, row) where it was first seen, to catch one phone, two names
        self.names: dict[str, tuple[str, str, int]] = {}
        self.village_rows: dict[VillageKey, int] = {}
        self.phone_rows: dict[str, int] = {}  # every phone in 工作队员 → its first row
        self.cadre_rows: dict[str, tuple[int, VillageKey]] = {}  # good rows: phone → row, village
        self.team_villages = snapshot.team_village_keys()  # stored team id → village
        self.members: dict[VillageKey, list[Member]] = defaultdict(list)
        self.unsure_teams: set[VillageKey] = set()  # a cadre row there is wrong: not counted
        self.cadre_sheet: SheetData | None = None
        self.cadre_plans: dict[str, CadrePlan] = {}  # by phone, in file order
        self.failed_households: set[str] = set()  # codes and heads of household rows with errors
        self.household_rows: dict[str, tuple[int, bool]] = {}  # code → row, code was made

    def rows(self, key: str) -> Iterable[Row]:
        for sheet, raw in iter_sheet_rows(self.roster, key):
            yield Row(self.problems, sheet, raw)

    def claim_name(self, row: Row, phone: str, name: str) -> None:
        seen = self.names.setdefault(phone, (name, row.sheet.title, row.number))
        if seen[0] != name:
            row.report("name", "name_mismatch", name=seen[0], sheet=seen[1], row=seen[2])
        elif row.ok:
            self.plan.people.setdefault(phone, name)

    def unknown(
        self, row: Row, source: str, key: str, code: str, variant: str = "", **params: Param
    ) -> None:
        """Report a name not found in ``source``, unless that sheet is missing or its header
        is broken: that one error already says it all, a line per row would bury it."""
        sheet = self.roster.sheet(source)
        broken = sheet is not None and not sheet.usable
        missing = sheet is None and any(s.key == source and s.required for s in SHEETS)
        if broken or missing:
            row.ok = False
        else:
            row.add(key, code, variant, params)

    def village(self, row: Row) -> VillageKey | None:
        """The row's county/township/village, which must exist in 村 or the database."""
        key = (row.text("county"), row.text("township"), row.text("village"))
        if not all(key):
            return None
        level = self.places.missing_level(key)
        if level is not None:
            path = "/".join(key[: ("county", "township", "village").index(level) + 1])
            self.unknown(row, "villages", level, "unknown_place", path=path, sheet=VILLAGES.title)
            return None
        return key
