"""工作队员 and the teams they make: one row per cadre, then per village at most one
第一书记 and one 队长 at a time, who leads, and whether the team is big enough."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from models.enums import TeamRole
from services.roster.importing.cells import ROLES, parse_date, parse_phone
from services.roster.importing.checker import Member, RosterCheck, Row
from services.roster.importing.layout import UNITS
from services.roster.importing.plan import CadrePlan, VillageKey
from services.roster.importing.problems import Param, Problem, Severity


def _overlap(a: Member, b: Member) -> bool:
    return a.start <= b.end and b.start <= a.end


def check_cadres(check: RosterCheck) -> None:
    for row in check.rows("cadres"):
        check.cadre_sheet = row.sheet
        read = _cadre(check, row)
        if read is None:
            continue
        cadre, name = read
        check.cadre_rows[cadre.phone] = (row.number, cadre.village)
        check.claim_name(row, cadre.phone, name)
        if not row.ok:
            continue
        check.cadre_plans[cadre.phone] = cadre
        member = Member(name, cadre.role, cadre.is_leader, cadre.term_start, cadre.term_end)
        check.members[cadre.village].append(replace(member, row=row.number, phone=cadre.phone))


def _unique_phone(check: RosterCheck, row: Row, phone: str) -> None:
    first = check.phone_rows.setdefault(phone, row.number)
    if first != row.number:
        row.report("phone", "duplicate_phone", first=first)


def _cadre(check: RosterCheck, row: Row) -> tuple[CadrePlan, str] | None:
    """The row as a plan whose ``is_leader`` says only whether the role leads by itself;
    the team check settles who leads a team without a 队长."""
    name = row.name()
    phone = row.get("phone", parse_phone)
    if phone:
        _unique_phone(check, row, phone)
    village = check.village(row)
    role = row.get("role", ROLES.parse)
    unit = row.text("unit", max_len=100)
    start = row.get("term_start", parse_date)
    end = row.get("term_end", parse_date)
    party = row.optional("party_since", lambda v: parse_date(v, allow_month=True))
    birth = row.optional("birth_date", lambda v: parse_date(v, allow_month=True))
    if unit and unit not in check.units:
        check.unknown(row, "units", "unit", "unknown_unit", unit=unit, sheet=UNITS.title)
    if start and end and end <= start:
        row.report("term_end", "term_end_before_start")
    level = check.units.get(unit)
    if not row.ok or not (phone and village and role and start and end and level):
        row.ok = False  # a bad 派出单位 row was reported there
        if village:
            check.unsure_teams.add(village)
        return None
    plan = CadrePlan(phone, village, role[0], role[1], unit, level, start, end, party, birth)
    return plan, name


def check_teams(check: RosterCheck) -> None:
    _stored_members(check)
    for village in dict.fromkeys(v for _, v in check.cadre_rows.values()):
        members = check.members[village]
        _one_at_a_time(
            check, members, "first_secretary", lambda m: m.role is TeamRole.FIRST_SECRETARY
        )
        _one_at_a_time(check, members, "leader", lambda m: m.leads)
        _settle_leaders(check, members)
    _team_sizes(check)


def _stored_members(check: RosterCheck) -> None:
    """Cadres stored but absent from the file still serve in their teams."""
    people = check.snap.people_by_id()
    for cadre in check.snap.cadres.values():
        person = people[cadre.person_id]
        village = check.team_villages.get(cadre.team_id)
        if person.phone in check.phone_rows or village is None:
            continue  # the file's row for this cadre (even a wrong one) speaks for them
        leads = cadre.team_role is TeamRole.LEADER
        member = Member(person.name, cadre.team_role, leads, cadre.term_start, cadre.term_end)
        check.members[village].append(
            replace(member, cadre_id=cadre.id, stored_leader=cadre.is_leader)
        )


def _one_at_a_time(
    check: RosterCheck, members: list[Member], post: str, holds: Callable[[Member], bool]
) -> None:
    """At most one 第一书记 (or 队长) per village at any time: terms must not overlap."""
    holders = [m for m in members if holds(m)]
    for i, first in enumerate(holders):
        for later in holders[i + 1 :]:
            if not _overlap(first, later) or (first.row is None and later.row is None):
                continue
            blamed, other = (later, first) if later.row is not None else (first, later)
            # A holder only in the database has no row to point at: its term says who,
            # and the wording says how to end it (list them with the term's end).
            where: dict[str, Param]
            if other.row is not None:
                variant, where = "", {"first": other.row}
            else:
                variant, where = "stored", {"start": str(other.start), "end": str(other.end)}
            params = {"post": post, "name": other.name, **where}
            _cadre_problem(check, blamed.row, "role", "one_per_village", params, variant)


def _settle_leaders(check: RosterCheck, members: list[Member]) -> None:
    """The 队长 leads; a team without one (during a 第一书记's term) is led by the
    第一书记. Stored cadres absent from the file are updated when this changes."""
    leaders = [m for m in members if m.leads]
    for member in members:
        leads = member.leads or (
            member.role is TeamRole.FIRST_SECRETARY
            and not any(_overlap(other, member) for other in leaders if other is not member)
        )
        if member.phone is not None:
            plan = check.cadre_plans[member.phone]
            check.cadre_plans[member.phone] = replace(plan, is_leader=leads)
        elif member.cadre_id is not None and leads != member.stored_leader:
            check.plan.leader_updates[member.cadre_id] = leads


def _team_sizes(check: RosterCheck) -> None:
    check.plan.cadres = list(check.cadre_plans.values())
    firsts: dict[VillageKey, int] = {}
    for row, village in check.cadre_rows.values():
        firsts.setdefault(village, row)
    for village in dict.fromkeys([*check.village_rows, *firsts]):
        serving = sum(1 for m in check.members[village] if m.end >= check.today)
        if serving >= check.min_team_members or village in check.unsure_teams:
            continue
        params: dict[str, Param] = {
            "village": village[2],
            "serving": serving,
            "minimum": check.min_team_members,
        }
        if village in firsts:
            _cadre_problem(check, firsts[village], "village", "small_team", params, warning=True)
        else:
            sheet = check.roster.sheets["villages"]
            check.problems.append(
                Problem(
                    Severity.WARNING,
                    sheet.title,
                    check.village_rows[village],
                    sheet.header("village"),
                    "small_team",
                    params,
                )
            )


def _cadre_problem(
    check: RosterCheck,
    row: int | None,
    key: str,
    code: str,
    params: dict[str, Param],
    variant: str = "",
    *,
    warning: bool = False,
) -> None:
    assert check.cadre_sheet is not None, "only cadre rows are blamed"
    severity = Severity.WARNING if warning else Severity.ERROR
    column = check.cadre_sheet.header(key)
    sheet = check.cadre_sheet.title
    check.problems.append(Problem(severity, sheet, row, column, code, params, variant))
