"""Presence records written straight into the database, on top of ``seed_roster``: leave as
it stands after its decision, shared locations, visits with a location, spot check targets."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import (
    ApproverKind,
    CheckState,
    LeaveKind,
    LeaveState,
    TeamRole,
    UnitLevel,
    VisitMode,
)
from models.presence import LocationReport, SpotCheck, SpotCheckTarget
from models.tables import Cadre, Person, Team, Village
from models.workflow import LeaveRequest, Visit
from tests.factories import Roster, bind_telegram

ZONE = ZoneInfo("Asia/Shanghai")
VILLAGE = (25.86, 115.01)  # 下寨村 on the roster
NEAR = (25.87, 115.02)  # about 1.5 km away
FAR = (25.95, 115.20)  # about 21 km away


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """An instant on that local (Beijing) day, in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)


def cadre_id(roster: Roster, name: str) -> int:
    ident = roster.cadres[name].id
    assert ident is not None
    return ident


def person_id(roster: Roster, name: str) -> int:
    ident = roster.people[name].id
    assert ident is not None
    return ident


async def register_everyone(session: AsyncSession, roster: Roster) -> None:
    """Everyone has opened the bot, so the outbox can write to them."""
    for number, person in enumerate(roster.people.values(), start=1):
        bind_telegram(session, person, 9000 + number)
    await session.flush()


async def leave(
    session: AsyncSession,
    cadre: int,
    kind: LeaveKind,
    start: date,
    end: date,
    *,
    state: LeaveState = LeaveState.APPROVED,
    returned_on: date | None = None,
) -> LeaveRequest:
    now = local(start) - timedelta(days=3)
    row = LeaveRequest(
        cadre_id=cadre,
        kind=kind,
        start_date=start,
        end_date=end,
        days=(end - start).days + 1,
        state=state,
        routed_to=ApproverKind.TOWNSHIP_PARTY_COMMITTEE,
        waiting_on=ApproverKind.TOWNSHIP_PARTY_COMMITTEE,
        route_key="township:1",
        waiting_since=now,
        created_at=now,
        written_at=now,
        decided_at=now,
        returned_on=returned_on,
    )
    session.add(row)
    await session.flush()
    return row


async def location(
    session: AsyncSession, cadre: int, at: datetime, *, inside: bool = True
) -> LocationReport:
    lat, lon = NEAR if inside else FAR
    row = LocationReport(
        cadre_id=cadre, at=at, latitude=lat, longitude=lon, source="location", inside=inside
    )
    session.add(row)
    await session.flush()
    return row


async def visit(
    session: AsyncSession, roster: Roster, cadre: int, at: datetime, where: tuple[float, float]
) -> Visit:
    household_id = roster.households["张伟明"].id
    assert household_id is not None
    row = Visit(
        household_id=household_id,
        cadre_id=cadre,
        visited_at=at,
        mode=VisitMode.IN_PERSON,
        latitude=where[0],
        longitude=where[1],
    )
    session.add(row)
    await session.flush()
    return row


async def target(
    session: AsyncSession,
    roster: Roster,
    cadre: int,
    day: date,
    state: CheckState,
    *,
    by: str = "刘洋",
) -> SpotCheckTarget:
    """A spot check of one cadre on ``day`` already in ``state``."""
    at = local(day, 9)
    check = SpotCheck(
        requested_by_person_id=person_id(roster, by),
        query="test",
        created_at=at,
        deadline_at=at + timedelta(minutes=30),
    )
    session.add(check)
    await session.flush()
    assert check.id is not None
    row = SpotCheckTarget(spot_check_id=check.id, cadre_id=cadre, day=day, state=state)
    session.add(row)
    await session.flush()
    return row


async def more_cadres(session: AsyncSession, roster: Roster, count: int) -> list[int]:
    """``count`` more villages of one cadre each in the same township (for query counts)."""
    assert roster.township.id is not None and roster.unit.id is not None
    out = []
    for n in range(count):
        village = Village(township_id=roster.township.id, name=f"测试{n}村", latitude=25.0)
        person = Person(name=f"干部{n}", phone=f"137{n:08d}")
        session.add_all([village, person])
        await session.flush()
        assert village.id is not None and person.id is not None
        team = Team(village_id=village.id)
        session.add(team)
        await session.flush()
        assert team.id is not None
        cadre = Cadre(
            person_id=person.id,
            team_id=team.id,
            team_role=TeamRole.FIRST_SECRETARY,
            is_leader=True,
            unit_id=roster.unit.id,
            dispatch_level=UnitLevel.CITY,
            term_start=date(2025, 6, 1),
            term_end=date(2027, 5, 31),
        )
        session.add(cadre)
        await session.flush()
        assert cadre.id is not None
        out.append(cadre.id)
    return out
