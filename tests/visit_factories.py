"""Households, pairings and a second township on top of ``seed_roster``, for visit tests.

下寨村 (江口镇): 王芳 is paired with 张伟明 (seed_roster) and 李秀英; 李强 with 曾国藩; 张伟 with
区志强; 张为明 (sounds like 张伟明) lives in the village unpaired.
洋塘村 (茅店镇, same county): cadre 赵敏 paired with 单雄信; 陈静 holds 茅店镇's township party
committee post. 孙丽 holds the county leading group office post over 赣县区.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind, HouseholdCategory, Jurisdiction, TeamRole, UnitLevel
from models.tables import (
    ApproverPost,
    Cadre,
    Household,
    Pairing,
    Person,
    Team,
    Township,
    Village,
)
from services.roster.names import household_search_key
from tests.factories import Roster


@dataclass
class VisitWorld:
    roster: Roster
    township2: Township
    village2: Village
    people: dict[str, Person]  # every person, seed_roster's included
    cadres: dict[str, Cadre]
    households: dict[str, Household]


def household(code: str, name: str, village_id: int, category: HouseholdCategory) -> Household:
    return Household(
        code=code,
        head_name=name,
        name_pinyin=household_search_key(name),
        village_id=village_id,
        category=category,
    )


async def seed_visit_world(session: AsyncSession, roster: Roster, now: datetime) -> VisitWorld:
    assert roster.county.id is not None and roster.village.id is not None
    township2 = Township(county_id=roster.county.id, name="茅店镇")
    session.add(township2)
    await session.flush()
    assert township2.id is not None
    village2 = Village(township_id=township2.id, name="洋塘村", latitude=25.9, longitude=115.1)
    session.add(village2)
    await session.flush()
    assert village2.id is not None
    team2 = Team(village_id=village2.id)
    session.add(team2)

    people = dict(roster.people)
    for name, phone in [("赵敏", "13800000011"), ("陈静", "13900000011"), ("孙丽", "13900000021")]:
        people[name] = Person(name=name, phone=phone, created_at=now, updated_at=now)
        session.add(people[name])
    await session.flush()
    assert team2.id is not None and roster.unit.id is not None
    cadres = dict(roster.cadres)
    zhao_id = people["赵敏"].id
    assert zhao_id is not None
    cadres["赵敏"] = Cadre(
        person_id=zhao_id,
        team_id=team2.id,
        team_role=TeamRole.FIRST_SECRETARY,
        is_leader=True,
        unit_id=roster.unit.id,
        dispatch_level=UnitLevel.CITY,
        term_start=date(2025, 6, 1),
        term_end=date(2027, 5, 31),
    )
    session.add(cadres["赵敏"])
    session.add_all(
        [
            ApproverPost(
                kind=ApproverKind.TOWNSHIP_PARTY_COMMITTEE,
                person_id=people["陈静"].id or 0,
                jurisdiction=Jurisdiction.TOWNSHIP,
                jurisdiction_key=f"township:{township2.id}",
                township_id=township2.id,
            ),
            ApproverPost(
                kind=ApproverKind.COUNTY_LEADING_GROUP_OFFICE,
                person_id=people["孙丽"].id or 0,
                jurisdiction=Jurisdiction.COUNTY,
                jurisdiction_key=f"county:{roster.county.id}",
                county_id=roster.county.id,
            ),
        ]
    )
    village_id = roster.village.id
    households = dict(roster.households)
    for code, name, where, category in [
        ("H0002", "李秀英", village_id, HouseholdCategory.UNSTABLE),
        ("H0003", "曾国藩", village_id, HouseholdCategory.OUT_OF_POVERTY),
        ("H0004", "张为明", village_id, HouseholdCategory.MARGINAL),
        ("H0005", "区志强", village_id, HouseholdCategory.SUDDEN_HARDSHIP),
        ("H0101", "单雄信", village2.id, HouseholdCategory.MARGINAL),
    ]:
        households[name] = household(code, name, where, category)
        session.add(households[name])
    await session.flush()
    for cadre, name in [
        ("王芳", "李秀英"),
        ("李强", "曾国藩"),
        ("张伟", "区志强"),
        ("赵敏", "单雄信"),
    ]:
        cadre_id, household_id = cadres[cadre].id, households[name].id
        assert cadre_id is not None and household_id is not None
        session.add(Pairing(cadre_id=cadre_id, household_id=household_id, started_at=now))
    await session.flush()
    return VisitWorld(roster, township2, village2, people, cadres, households)
