"""A small real roster written straight into the database, for tests that are not about
the roster import itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind, HouseholdCategory, Jurisdiction, TeamRole, UnitLevel
from models.tables import (
    ApproverPost,
    Cadre,
    County,
    DispatchingUnit,
    Household,
    Pairing,
    Person,
    Team,
    Township,
    Village,
)


@dataclass
class Roster:
    county: County
    township: Township
    village: Village
    team: Team
    unit: DispatchingUnit
    people: dict[str, Person]
    cadres: dict[str, Cadre]
    posts: dict[str, ApproverPost]
    households: dict[str, Household]


async def seed_roster(session: AsyncSession, now: datetime) -> Roster:
    """赣县区 / 江口镇 / 下寨村: a team of three and a township approver."""
    county = County(name="赣县区")
    session.add(county)
    await session.flush()
    assert county.id is not None
    township = Township(county_id=county.id, name="江口镇")
    session.add(township)
    await session.flush()
    assert township.id is not None
    village = Village(
        township_id=township.id, name="下寨村", latitude=25.86, longitude=115.01, needs=""
    )
    unit = DispatchingUnit(name="赣州市财政局", level=UnitLevel.CITY)
    session.add_all([village, unit])
    await session.flush()
    assert village.id is not None and unit.id is not None
    team = Team(village_id=village.id)
    session.add(team)
    await session.flush()
    assert team.id is not None

    people: dict[str, Person] = {}
    for name, phone in [
        ("王芳", "13800000001"),
        ("李强", "13800000002"),
        ("张伟", "13800000003"),
        ("刘洋", "13900000001"),
    ]:
        people[name] = Person(name=name, phone=phone, created_at=now, updated_at=now)
    session.add_all(people.values())
    await session.flush()

    cadres: dict[str, Cadre] = {}
    for name, role, leader in [
        ("王芳", TeamRole.FIRST_SECRETARY, True),
        ("李强", TeamRole.MEMBER, False),
        ("张伟", TeamRole.MEMBER, False),
    ]:
        person_id = people[name].id
        assert person_id is not None
        cadres[name] = Cadre(
            person_id=person_id,
            team_id=team.id,
            team_role=role,
            is_leader=leader,
            unit_id=unit.id,
            dispatch_level=UnitLevel.CITY,
            term_start=date(2025, 6, 1),
            term_end=date(2027, 5, 31),
        )
    session.add_all(cadres.values())
    approver_id = people["刘洋"].id
    assert approver_id is not None
    posts = {
        "乡镇党委": ApproverPost(
            kind=ApproverKind.TOWNSHIP_PARTY_COMMITTEE,
            person_id=approver_id,
            jurisdiction=Jurisdiction.TOWNSHIP,
            jurisdiction_key=f"township:{township.id}",
            township_id=township.id,
        )
    }
    session.add_all(posts.values())
    households = {
        "张伟明": Household(
            code="H0001",
            head_name="张伟明",
            village_id=village.id,
            category=HouseholdCategory.MARGINAL,
        )
    }
    session.add_all(households.values())
    await session.flush()
    cadre_id = cadres["王芳"].id
    household_id = households["张伟明"].id
    assert cadre_id is not None and household_id is not None
    session.add(Pairing(cadre_id=cadre_id, household_id=household_id, started_at=now))
    await session.flush()
    return Roster(county, township, village, team, unit, people, cadres, posts, households)
