"""Importing the roster (花名册): villages, dispatching units, cadres, approvers,
households and pairings, from a workbook or a folder of CSV files.

All or nothing: every row is checked against the file and the database first and every
problem collected; only a roster without errors is written, as upserts on natural keys
(a phone, a household code, a place's names), so importing the same file twice changes
nothing and an edited file updates rows in place.

The file is the whole roster: a cadre in post or an approver post it leaves out has ended
(``departures``). Those ends are shown to ``confirm`` before anything is written; refused,
nothing is. Households and pairings are never deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from services.roster.importing.apply import EntityCounts, apply_plan, empty_counts
from services.roster.importing.check_approvers import check_approvers
from services.roster.importing.check_cadres import check_cadres, check_teams
from services.roster.importing.check_households import check_households, check_pairings
from services.roster.importing.check_places import check_units, check_villages
from services.roster.importing.checker import RosterCheck
from services.roster.importing.departures import Departures, end_memberships, find_departures
from services.roster.importing.layout import CADRES, EXAMPLE_MARK, UNITS, VILLAGES
from services.roster.importing.plan import Plan
from services.roster.importing.problems import Problem, RosterFileError, Severity
from services.roster.importing.reader import RosterFile, is_empty, read_roster
from services.roster.importing.snapshot import Snapshot, load_snapshot

# In this order: each sheet names only what the sheets before it list (or the database
# holds), and the team checks need every cadre row read first.
CHECKS = (
    check_villages,
    check_units,
    check_cadres,
    check_teams,
    check_approvers,
    check_households,
    check_pairings,
)

DEFAULT_MIN_TEAM_MEMBERS = 3


@dataclass
class ImportResult:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # Entity → created/updated/unchanged; all zero when errors stopped the import.
    counts: dict[str, EntityCounts] = field(default_factory=empty_counts)
    # Whose cadre term or approver posts the file ended (or would have, when refused).
    departed: Departures = field(default_factory=Departures)
    # The ends were not confirmed: nothing was written.
    refused: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not self.refused


@dataclass
class Validation:
    plan: Plan
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


async def import_roster(
    session: AsyncSession,
    path: Path,
    *,
    now: datetime,
    min_team_members: int = DEFAULT_MIN_TEAM_MEMBERS,
    today: date | None = None,
    confirm: Callable[[Departures], bool] | None = None,
) -> ImportResult:
    """Check the roster at ``path`` and, if it has no errors, write it into ``session``.

    The caller commits (or, for a dry run, does not). ``today`` (the local date; default
    ``now``'s date) decides which cadres count as serving and the day a left-out cadre's
    term ends (yesterday). When the file leaves people out, ``confirm`` is asked first
    (None: the ends are written without asking); if it says no, nothing is written.
    """
    try:
        roster = read_roster(path)
    except RosterFileError as exc:
        return ImportResult(errors=[_file_problem(path, exc)])
    if is_empty(roster):
        # A blank template would otherwise "import" nothing and end everyone on the roster.
        empty = Problem(
            Severity.ERROR, path.name, None, None, "roster_empty", {"mark": EXAMPLE_MARK}
        )
        return ImportResult(errors=[empty])
    snapshot = await load_snapshot(session)
    today = today or now.date()
    checked = validate(roster, snapshot, today=today, min_team_members=min_team_members)
    if checked.errors:
        return ImportResult(errors=checked.errors, warnings=checked.warnings)
    departed = await find_departures(session, roster, checked.plan, snapshot, today=today)
    if departed and confirm is not None and not confirm(departed):
        return ImportResult(warnings=checked.warnings, departed=departed, refused=True)
    counts = await apply_plan(session, checked.plan, snapshot, now=now)
    await end_memberships(session, departed, today=today)
    return ImportResult(warnings=checked.warnings, counts=counts, departed=departed)


# The CSV files a folder should hold, named as the advice names them.
_CSV_EXAMPLES = {
    "roster_no_csv": (VILLAGES, UNITS, CADRES),
    "roster_single_csv": (VILLAGES, CADRES),
}


def _file_problem(path: Path, exc: RosterFileError) -> Problem:
    examples = _CSV_EXAMPLES.get(exc.code, ())
    params = {"files": tuple(f"{s.title}.csv" for s in examples)} if examples else {}
    return Problem(Severity.ERROR, path.name, None, None, exc.code, params)


def validate(
    roster: RosterFile,
    snapshot: Snapshot,
    *,
    today: date,
    min_team_members: int = DEFAULT_MIN_TEAM_MEMBERS,
) -> Validation:
    """Every problem of ``roster`` read against ``snapshot``, and the plan to write it."""
    check = RosterCheck(roster, snapshot, today=today, min_team_members=min_team_members)
    for step in CHECKS:
        step(check)
    return Validation(plan=check.plan, problems=check.problems)
