"""A small real roster written straight into the database, for tests that are not about
the roster import itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind, Channel, HouseholdCategory, Jurisdiction, TeamRole, UnitLevel
from models.tables import (
    ApproverPost,
    Cadre,
    ChannelAccount,
    County,
    DispatchingUnit,
    Household,
    Pairing,
    Person,
    Team,
    Township,
    Village,
)
from services.roster import accounts


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


def bind_telegram(
    session: AsyncSession,
    person: Person,
    user_id: int,
    *,
    blocked_at: datetime | None = None,
) -> ChannelAccount:
    """Registers ``person`` with Telegram account ``user_id`` (added to the session, not yet
    flushed). The private chat has the user's id, as on Telegram."""
    assert person.id is not None
    account = ChannelAccount(
        person_id=person.id,
        channel=Channel.TELEGRAM,
        external_id=str(user_id),
        chat_id=str(user_id),
        blocked_at=blocked_at,
    )
    session.add(account)
    return account


def telegram_user(user_id: int) -> dict[str, Any]:
    """The keywords ``invites.redeem`` takes for Telegram user ``user_id``."""
    return {"channel": Channel.TELEGRAM, "external_id": str(user_id), "chat_id": str(user_id)}


async def telegram_account(session: AsyncSession, person: Person) -> ChannelAccount | None:
    assert person.id is not None
    await session.flush()
    return await accounts.account_of(session, person.id, Channel.TELEGRAM)


async def telegram_chat(session: AsyncSession, person: Person) -> str | None:
    """The private chat the outbox writes to ``person`` in, None when unregistered."""
    account = await telegram_account(session, person)
    return None if account is None else account.chat_id


async def unbind_telegram(session: AsyncSession, person: Person) -> None:
    account = await telegram_account(session, person)
    if account is not None:
        await session.delete(account)
        await session.flush()


async def block_telegram(session: AsyncSession, person: Person, at: datetime) -> None:
    """``person`` blocked the bot on Telegram at ``at``."""
    account = await telegram_account(session, person)
    assert account is not None, "block_telegram needs a registered person"
    account.blocked_at = at
    session.add(account)
    await session.flush()


def _post(
    kind: ApproverKind,
    person: Person,
    *,
    village: Village | None = None,
    township: Township | None = None,
    county: County | None = None,
    unit: DispatchingUnit | None = None,
) -> ApproverPost:
    assert person.id is not None
    if village is not None:
        scope, ident = Jurisdiction.VILLAGE, village.id
    elif township is not None:
        scope, ident = Jurisdiction.TOWNSHIP, township.id
    elif county is not None:
        scope, ident = Jurisdiction.COUNTY, county.id
    else:
        assert unit is not None
        scope, ident = Jurisdiction.UNIT, unit.id
    return ApproverPost(
        kind=kind,
        person_id=person.id,
        jurisdiction=scope,
        jurisdiction_key=f"{scope.value}:{ident}",
        village_id=village.id if village else None,
        township_id=township.id if township else None,
        county_id=county.id if county else None,
        unit_id=unit.id if unit else None,
    )


async def seed_roster(session: AsyncSession, now: datetime) -> Roster:
    """赣县区 / 江口镇 / 下寨村: a team of three, and a holder for every approver post."""
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
        ("陈静", "13900000002"),
        ("赵敏", "13900000003"),
        ("孙磊", "13900000004"),
        ("周建国", "13900000005"),
        ("吴海", "13900000006"),
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
    posts = {
        "乡镇党委": _post(ApproverKind.TOWNSHIP_PARTY_COMMITTEE, people["刘洋"], township=township),
        "县驻村办": _post(ApproverKind.COUNTY_LEADING_GROUP_OFFICE, people["陈静"], county=county),
        "县驻村领导小组": _post(ApproverKind.COUNTY_LEADING_GROUP, people["赵敏"], county=county),
        "县委组织部": _post(ApproverKind.COUNTY_ORG_DEPT, people["孙磊"], county=county),
        "村党组织": _post(ApproverKind.VILLAGE_PARTY_ORG, people["周建国"], village=village),
        "派出单位": _post(ApproverKind.DISPATCHING_UNIT, people["吴海"], unit=unit),
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
