"""Checking a roster against itself and the database, row by row and across rows.

Every problem is collected (not just the first), located at its sheet, row and column.
A name that cannot be found because its own row is wrong, or because the sheet that
lists it is missing, is not reported again where it is used: one cause, one line.
The result is a ``Plan`` of upserts that ``services.roster.apply`` writes.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import TypeVar

from models.enums import POST_JURISDICTION, Jurisdiction, TeamRole, UnitLevel
from services.roster.apply import (
    KEEP,
    ApproverPlan,
    CadrePlan,
    HouseholdPlan,
    Keep,
    PairingPlan,
    Plan,
    Snapshot,
    Target,
    UnitPlan,
    VillageKey,
    VillagePlan,
)
from services.roster.cells import (
    HOUSEHOLD_CATEGORIES,
    LEVELS,
    POSTS,
    ROLES,
    Cell,
    CellError,
    cell_text,
    parse_coordinate,
    parse_date,
    parse_needs,
    parse_phone,
    parse_positive_int,
    person_name,
)
from services.roster.parse import (
    SHEETS,
    Problem,
    RawRow,
    RosterFile,
    Severity,
    SheetData,
    iter_sheet_rows,
)

T = TypeVar("T")


def check_roster(
    roster: RosterFile, snapshot: Snapshot, *, today: date, min_team_members: int
) -> tuple[Plan, list[Problem]]:
    """The plan for ``roster`` over ``snapshot``, and every problem found on the way."""
    checker = _Checker(roster, snapshot, today=today, min_team_members=min_team_members)
    checker.run()
    return checker.plan, checker.problems


# --- reading one row -----------------------------------------------------------------------


class _Row:
    """One row being read: a cell that fails becomes a problem here and marks the row bad,
    so later cross-row checks skip it instead of piling up follow-on errors."""

    def __init__(self, problems: list[Problem], sheet: SheetData, raw: RawRow) -> None:
        self.problems = problems
        self.sheet = sheet
        self.raw = raw
        self.number = raw.number
        self.ok = True

    def report(self, key: str | None, code: str, message: str, *, warning: bool = False) -> None:
        column = self.sheet.header(key) if key else None
        severity = Severity.WARNING if warning else Severity.ERROR
        self.problems.append(
            Problem(severity, self.sheet.title, self.number, column, code, message)
        )
        self.ok = self.ok and warning

    def blank(self, key: str) -> bool:
        return cell_text(self.raw.values.get(key)) == ""

    def get(self, key: str, parse: Callable[[Cell], T]) -> T | None:
        """A required cell, parsed; None (and a problem) when blank or unreadable."""
        if self.blank(key):
            self.report(key, "required", "必填")
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
            self.report(key, "too_long", f"过长：最多{max_len}个字")
        return value

    def _parse(self, key: str, parse: Callable[[Cell], T]) -> T | None:
        try:
            return parse(self.raw.values.get(key))
        except CellError as exc:
            self.report(key, exc.code, exc.message)
            return None


# --- places known from the database and the file -------------------------------------------

_PATH_SEPARATORS = re.compile(r"\s*[/／\\>＞]\s*")
_PLACE_WORDS = {
    Jurisdiction.VILLAGE: "村",
    Jurisdiction.TOWNSHIP: "乡镇",
    Jurisdiction.COUNTY: "县",
}


class _Places:
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


def _overlap(a: _Member, b: _Member) -> bool:
    return a.start <= b.end and b.start <= a.end


@dataclass(frozen=True)
class _Member:
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


def household_code(key: VillageKey, head: str) -> str:
    """A code for a household listed without one: stable, so re-imports find it again."""
    digest = hashlib.sha1("/".join((*key, head)).encode()).hexdigest()
    return "H" + digest[:10].upper()


# --- the checks ----------------------------------------------------------------------------


class _Checker:
    def __init__(
        self, roster: RosterFile, snapshot: Snapshot, *, today: date, min_team_members: int
    ) -> None:
        self.roster = roster
        self.snap = snapshot
        self.today = today
        self.min_team_members = min_team_members
        self.problems: list[Problem] = list(roster.problems)
        self.plan = Plan()
        self.places = _Places(snapshot)
        self.units: dict[str, UnitLevel | None] = {n: u.level for n, u in snapshot.units.items()}
        # phone → (name, sheet, row) where it was first seen, to catch one phone, two names
        self.names: dict[str, tuple[str, str, int]] = {}
        self.village_rows: dict[VillageKey, int] = {}
        self.phone_rows: dict[str, int] = {}  # every phone in 工作队员 → its first row
        self.cadre_rows: dict[str, tuple[int, VillageKey]] = {}  # good rows: phone → row, village
        self.team_villages = snapshot.team_village_keys()  # stored team id → village
        self.members: dict[VillageKey, list[_Member]] = defaultdict(list)
        self.unsure_teams: set[VillageKey] = set()  # a cadre row there is wrong: not counted
        self.cadre_sheet: SheetData | None = None
        self.cadre_plans: dict[str, CadrePlan] = {}  # by phone, in file order
        self.failed_households: set[str] = set()  # codes and heads of household rows with errors
        self.household_rows: dict[str, tuple[int, bool]] = {}  # code → row, code was made

    def run(self) -> None:
        self._villages()
        self._units()
        self._cadres()
        self._teams()
        self._approvers()
        self._households()
        self._pairings()

    def rows(self, key: str) -> Iterable[_Row]:
        for sheet, raw in iter_sheet_rows(self.roster, key):
            yield _Row(self.problems, sheet, raw)

    def _claim_name(self, row: _Row, phone: str, name: str) -> None:
        seen = self.names.setdefault(phone, (name, row.sheet.title, row.number))
        if seen[0] != name:
            where = f"{seen[1]}第{seen[2]}行"
            row.report("name", "name_mismatch", f"同一手机号在{where}的姓名为“{seen[0]}”，不一致")
        elif row.ok:
            self.plan.people.setdefault(phone, name)

    def _unknown(self, row: _Row, source: str, key: str, code: str, message: str) -> None:
        """Report a name not found in ``source``, unless that sheet is missing or its header
        is broken: that one error already says it all, a line per row would bury it."""
        sheet = self.roster.sheet(source)
        broken = sheet is not None and not sheet.usable
        missing = sheet is None and any(s.key == source and s.required for s in SHEETS)
        if broken or missing:
            row.ok = False
        else:
            row.report(key, code, message)

    def _village(self, row: _Row) -> VillageKey | None:
        """The row's county/township/village, which must exist in 村 or the database."""
        key = (row.text("county"), row.text("township"), row.text("village"))
        if not all(key):
            return None
        level = self.places.missing_level(key)
        if level is not None:
            path = "/".join(key[: ("county", "township", "village").index(level) + 1])
            message = f"找不到“{path}”：请先在“村”表中列出该村"
            self._unknown(row, "villages", level, "unknown_place", message)
            return None
        return key

    # 村 ----------------------------------------------------------------------------------

    def _villages(self) -> None:
        for row in self.rows("villages"):
            key = (row.text("county"), row.text("township"), row.text("village"))
            needs = row.optional("needs", parse_needs)
            coords = self._coords(row)
            if not all(key):
                continue
            if key in self.village_rows:
                first = self.village_rows[key]
                row.report("village", "duplicate_village", f"村重复（与第{first}行相同）")
                continue
            # Known even when another cell of the row is wrong, so rows naming this
            # village are still checked rather than all reported as "not found".
            self.village_rows[key] = row.number
            self.places.add(key)
            if row.ok:
                needs = "" if needs is None else needs
                self.plan.villages.append(VillagePlan(key, needs, coords))

    def _coords(self, row: _Row) -> tuple[float, float] | Keep | None:
        lat = row.optional("latitude", lambda v: parse_coordinate(v, 90, "纬度"))
        lon = row.optional("longitude", lambda v: parse_coordinate(v, 180, "经度"))
        if lat is KEEP and lon is KEEP:
            return KEEP
        if isinstance(lat, float) and isinstance(lon, float):
            return (lat, lon)
        if isinstance(lat, float) != isinstance(lon, float):
            blank = "longitude" if isinstance(lat, float) else "latitude"
            if row.blank(blank):  # not when the other one was there but unreadable
                row.report(blank, "half_coordinates", "纬度和经度须同时填写或同时留空")
        return None

    # 派出单位 ------------------------------------------------------------------------------

    def _units(self) -> None:
        seen: dict[str, int] = {}
        for row in self.rows("units"):
            name = row.text("unit", max_len=100)
            level = row.get("level", LEVELS.parse)
            if not name:
                continue
            if name in seen:
                row.report("unit", "duplicate_unit", f"单位重复（与第{seen[name]}行相同）")
                continue
            seen[name] = row.number
            # None marks a unit whose row is wrong: known, but its cadres cannot be planned.
            self.units[name] = level if row.ok else None
            if row.ok and level is not None:
                self.plan.units.append(UnitPlan(name, level))

    # 工作队员 ------------------------------------------------------------------------------

    def _cadres(self) -> None:
        for row in self.rows("cadres"):
            self.cadre_sheet = row.sheet
            read = self._cadre(row)
            if read is None:
                continue
            cadre, name = read
            self.cadre_rows[cadre.phone] = (row.number, cadre.village)
            self._claim_name(row, cadre.phone, name)
            if not row.ok:
                continue
            self.cadre_plans[cadre.phone] = cadre
            member = _Member(name, cadre.role, cadre.is_leader, cadre.term_start, cadre.term_end)
            self.members[cadre.village].append(replace(member, row=row.number, phone=cadre.phone))

    def _unique_phone(self, row: _Row, phone: str) -> None:
        first = self.phone_rows.setdefault(phone, row.number)
        if first != row.number:
            row.report("phone", "duplicate_phone", f"手机号重复（与第{first}行相同）")

    def _cadre(self, row: _Row) -> tuple[CadrePlan, str] | None:
        """The row as a plan whose ``is_leader`` says only whether the role leads by itself;
        the team check settles who leads a team without a 队长."""
        name = row.name()
        phone = row.get("phone", parse_phone)
        if phone:
            self._unique_phone(row, phone)
        village = self._village(row)
        role = row.get("role", ROLES.parse)
        unit = row.text("unit", max_len=100)
        start = row.get("term_start", parse_date)
        end = row.get("term_end", parse_date)
        party = row.optional("party_since", lambda v: parse_date(v, allow_month=True))
        birth = row.optional("birth_date", lambda v: parse_date(v, allow_month=True))
        if unit and unit not in self.units:
            message = f"找不到派出单位“{unit}”：请先在“派出单位”表中列出"
            self._unknown(row, "units", "unit", "unknown_unit", message)
        if start and end and end <= start:
            row.report("term_end", "term_end_before_start", "任期结束须晚于任期开始")
        level = self.units.get(unit)
        if not row.ok or not (phone and village and role and start and end and level):
            row.ok = False  # a bad 派出单位 row was reported there
            if village:
                self.unsure_teams.add(village)
            return None
        plan = CadrePlan(phone, village, role[0], role[1], unit, level, start, end, party, birth)
        return plan, name

    # teams -------------------------------------------------------------------------------

    def _teams(self) -> None:
        self._stored_members()
        for village in dict.fromkeys(v for _, v in self.cadre_rows.values()):
            members = self.members[village]
            self._one_at_a_time(members, "第一书记", lambda m: m.role is TeamRole.FIRST_SECRETARY)
            self._one_at_a_time(members, "队长", lambda m: m.leads)
            self._settle_leaders(members)
        self._team_sizes()

    def _stored_members(self) -> None:
        """Cadres stored but absent from the file still serve in their teams."""
        people = self.snap.people_by_id()
        for cadre in self.snap.cadres.values():
            person = people[cadre.person_id]
            village = self.team_villages.get(cadre.team_id)
            if person.phone in self.phone_rows or village is None:
                continue  # the file's row for this cadre (even a wrong one) speaks for them
            leads = cadre.team_role is TeamRole.LEADER
            member = _Member(person.name, cadre.team_role, leads, cadre.term_start, cadre.term_end)
            self.members[village].append(
                replace(member, cadre_id=cadre.id, stored_leader=cadre.is_leader)
            )

    def _one_at_a_time(
        self, members: list[_Member], title: str, holds: Callable[[_Member], bool]
    ) -> None:
        """At most one 第一书记 (or 队长) per village at any time: terms must not overlap."""
        holders = [m for m in members if holds(m)]
        for i, first in enumerate(holders):
            for later in holders[i + 1 :]:
                if not _overlap(first, later) or (first.row is None and later.row is None):
                    continue
                blamed, other = (later, first) if later.row is not None else (first, later)
                if other.row is not None:
                    whom = f"第{other.row}行的{other.name}"
                else:
                    whom = f"系统中已有的{other.name}（任期{other.start}至{other.end}）"
                self._cadre_problem(
                    blamed.row,
                    "role",
                    "one_per_village",
                    f"与{whom}任期重叠：每村同一时间只能有一名{title}"
                    + ("" if other.row else "；如已更换，请在本表列出原任者并填写其任期结束"),
                )

    def _settle_leaders(self, members: list[_Member]) -> None:
        """The 队长 leads; a team without one (during a 第一书记's term) is led by the
        第一书记. Stored cadres absent from the file are updated when this changes."""
        leaders = [m for m in members if m.leads]
        for member in members:
            leads = member.leads or (
                member.role is TeamRole.FIRST_SECRETARY
                and not any(_overlap(other, member) for other in leaders if other is not member)
            )
            if member.phone is not None:
                plan = self.cadre_plans[member.phone]
                self.cadre_plans[member.phone] = replace(plan, is_leader=leads)
            elif member.cadre_id is not None and leads != member.stored_leader:
                self.plan.leader_updates[member.cadre_id] = leads

    def _team_sizes(self) -> None:
        self.plan.cadres = list(self.cadre_plans.values())
        firsts: dict[VillageKey, int] = {}
        for row, village in self.cadre_rows.values():
            firsts.setdefault(village, row)
        for village in dict.fromkeys([*self.village_rows, *firsts]):
            serving = sum(1 for m in self.members[village] if m.end >= self.today)
            if serving >= self.min_team_members or village in self.unsure_teams:
                continue
            message = f"{village[2]}工作队在任人员{serving}名，少于{self.min_team_members}名"
            if village in firsts:
                self._cadre_problem(firsts[village], "village", "small_team", message, True)
            else:
                sheet = self.roster.sheets["villages"]
                self.problems.append(
                    Problem(
                        Severity.WARNING,
                        sheet.title,
                        self.village_rows[village],
                        sheet.header("village"),
                        "small_team",
                        message,
                    )
                )

    def _cadre_problem(
        self, row: int | None, key: str, code: str, message: str, warning: bool = False
    ) -> None:
        assert self.cadre_sheet is not None, "only cadre rows are blamed"
        severity = Severity.WARNING if warning else Severity.ERROR
        column = self.cadre_sheet.header(key)
        self.problems.append(Problem(severity, self.cadre_sheet.title, row, column, code, message))

    # 审批人 --------------------------------------------------------------------------------

    def _approvers(self) -> None:
        seen: dict[ApproverPlan, int] = {}
        for row in self.rows("approvers"):
            name = row.name()
            phone = row.get("phone", parse_phone)
            kind = row.get("post", POSTS.parse)
            text = row.text("jurisdiction", max_len=120)
            target = self._target(row, POST_JURISDICTION[kind], text) if kind and text else None
            if not row.ok or phone is None or kind is None or target is None:
                continue
            post = ApproverPlan(phone, kind, target)
            if post in seen:
                message = f"与第{seen[post]}行重复，已忽略"
                row.report("jurisdiction", "duplicate_approver", message, warning=True)
                continue
            seen[post] = row.number
            self._claim_name(row, phone, name)
            if row.ok:
                self.plan.approvers.append(post)

    def _target(self, row: _Row, jurisdiction: Jurisdiction, text: str) -> Target | None:
        """The place (or unit) a post covers, by name or by a path like "江口镇/下寨村"."""
        if jurisdiction is Jurisdiction.UNIT:
            if text in self.units:
                return Target(jurisdiction, (text,))
            message = f"找不到派出单位“{text}”"
            self._unknown(row, "units", "jurisdiction", "unknown_jurisdiction", message)
            return None
        parts = tuple(p for p in _PATH_SEPARATORS.split(text) if p)
        found = self.places.find(jurisdiction, parts)
        what = _PLACE_WORDS[jurisdiction]
        if len(found) == 1:
            return Target(jurisdiction, found[0])
        if not found:
            message = f"找不到{what}“{text}”"
            self._unknown(row, "villages", "jurisdiction", "unknown_jurisdiction", message)
        else:
            paths = ["/".join(f) for f in found]
            row.report(
                "jurisdiction",
                "ambiguous_jurisdiction",
                f"{what}“{text}”不唯一：{'、'.join(paths)}；请写出上级，如“{paths[0]}”",
            )
        return None

    # 农户 ----------------------------------------------------------------------------------

    def _households(self) -> None:
        for row in self.rows("households"):
            given = row.optional("code", cell_text)
            head = row.name("head")
            village = self._village(row)
            category = row.get("category", HOUSEHOLD_CATEGORIES.parse)
            size = row.optional("size", parse_positive_int)
            if not row.ok or village is None or category is None:
                # so a pairing naming this household does not repeat the problem
                self.failed_households |= {head, given if isinstance(given, str) else ""}
                continue
            made = not isinstance(given, str)
            code = given if isinstance(given, str) else household_code(village, head)
            if len(code) > 40:
                row.report("code", "too_long", "过长：最多40个字符")
            elif self._new_household_code(row, code, made):
                self.household_rows[code] = (row.number, made)
                self.plan.households.append(HouseholdPlan(code, head, village, category, size))

    def _new_household_code(self, row: _Row, code: str, made: bool) -> bool:
        if code not in self.household_rows:
            return True
        first, first_made = self.household_rows[code]
        if made and first_made:
            message = f"同村已有同名户主（第{first}行）：请在“编号”列为这两户各填一个编号"
            row.report("head", "duplicate_household", message)
        else:
            row.report("code", "duplicate_code", f"编号重复（与第{first}行相同）")
        return False

    # 结对 ----------------------------------------------------------------------------------

    def _pairings(self) -> None:
        index = self._household_index()
        by_head: dict[str, list[str]] = defaultdict(list)
        for household, (head, _) in index.items():
            by_head[head].append(household)
        seen: dict[str, tuple[int, str]] = {}  # household code → row, cadre phone
        for row in self.rows("pairings"):
            phone = row.get("cadre_phone", parse_phone)
            cadre_village = self._cadre_village(row, phone) if phone else None
            code = self._paired_household(row, index, by_head)
            if not row.ok or phone is None or code is None:
                continue
            if self._new_pairing(row, seen, code, phone):
                seen[code] = (row.number, phone)
                if cadre_village is not None and index[code][1] != cadre_village:
                    message = f"该户不在此干部驻村的{cadre_village[2]}"
                    row.report("cadre_phone", "other_village", message, warning=True)
                self.plan.pairings.append(PairingPlan(phone, code))

    def _household_index(self) -> dict[str, tuple[str, VillageKey]]:
        """Code → (head, village) for households stored or in the file (the file wins)."""
        keys = self.snap.village_keys()
        index = {
            code: (h.head_name, keys[h.village_id]) for code, h in self.snap.households.items()
        }
        index.update({h.code: (h.head, h.village) for h in self.plan.households})
        return index

    def _cadre_village(self, row: _Row, phone: str) -> VillageKey | None:
        if phone in self.cadre_rows:
            return self.cadre_rows[phone][1]
        person = self.snap.people.get(phone)
        cadre = self.snap.cadres.get(person.id) if person and person.id is not None else None
        if cadre is not None:
            return self.team_villages.get(cadre.team_id)
        if phone in self.phone_rows:
            row.ok = False  # its cadre row already has an error; do not repeat it here
        else:
            message = f"找不到手机号为{phone}的工作队员：请先在“工作队员”表中列出"
            self._unknown(row, "cadres", "cadre_phone", "unknown_cadre", message)
        return None

    def _paired_household(
        self, row: _Row, index: dict[str, tuple[str, VillageKey]], by_head: dict[str, list[str]]
    ) -> str | None:
        code = row.optional("household_code", cell_text)
        if isinstance(code, str):
            return self._household_by_code(row, index, code)
        if not all(row.sheet.has(k) for k in ("head", "township", "village")):
            row.report("household_code", "required", "必填")
            return None
        head = row.name("head")
        township, village = row.text("township"), row.text("village")
        county = row.optional("county", cell_text)
        if not (head and township and village):
            return None
        found = [
            c
            for c in by_head.get(head, [])
            if index[c][1][1:] == (township, village)
            and (not isinstance(county, str) or index[c][1][0] == county)
        ]
        if len(found) == 1:
            return found[0]
        if not found:
            message = f"找不到户主为“{head}”的农户（{township}/{village}）"
            self._unknown_household(row, head, "head", message)
        else:
            message = (
                f"有{len(found)}户户主为“{head}”（编号 {'、'.join(sorted(found))}）：请填写农户编号"
            )
            row.report("head", "ambiguous_household", message)
        return None

    def _unknown_household(self, row: _Row, name: str, key: str, message: str) -> None:
        if name in self.failed_households:
            row.ok = False  # its 农户 row already has an error; do not repeat it here
        else:
            self._unknown(row, "households", key, "unknown_household", message)

    def _household_by_code(
        self, row: _Row, index: dict[str, tuple[str, VillageKey]], code: str
    ) -> str | None:
        if code not in index:
            self._unknown_household(row, code, "household_code", f"找不到编号为“{code}”的农户")
            return None
        head = row.optional("head", person_name)
        if isinstance(head, str) and head != index[code][0]:
            message = f"编号“{code}”的户主是“{index[code][0]}”，与本行的“{head}”不一致"
            row.report("head", "head_mismatch", message)
        return code

    def _new_pairing(
        self, row: _Row, seen: dict[str, tuple[int, str]], code: str, phone: str
    ) -> bool:
        """One cadre per household: the same pair twice is harmless, two cadres are not."""
        if code not in seen:
            return True
        first, first_phone = seen[code]
        if first_phone == phone:
            row.report(
                "cadre_phone", "duplicate_pairing", f"与第{first}行重复，已忽略", warning=True
            )
        else:
            message = f"该户已在第{first}行与另一名干部结对：每户只能有一名结对干部"
            row.report("cadre_phone", "household_paired_twice", message)
        return False
