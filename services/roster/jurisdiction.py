"""Where a cadre sits in the map of villages, townships, counties and units, and who holds
which approving post over them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import POST_JURISDICTION, ApproverKind, Jurisdiction
from models.tables import ApproverPost, Cadre, ChannelAccount, Person, Team, Township, Village
from services.errors import DomainError
from services.roster.accounts import reachable_on


@dataclass(frozen=True)
class Place:
    village_id: int
    township_id: int
    county_id: int
    unit_id: int
    team_id: int


async def place_of_cadre(session: AsyncSession, cadre_id: int) -> Place:
    row = (
        await session.exec(
            select(Cadre, Village, Township)
            .join(Team, col(Team.id) == col(Cadre.team_id))
            .join(Village, col(Village.id) == col(Team.village_id))
            .join(Township, col(Township.id) == col(Village.township_id))
            .where(col(Cadre.id) == cadre_id)
        )
    ).first()
    if row is None:
        raise DomainError("cadre_unknown", cadre_id=cadre_id)
    cadre, village, township = row
    assert village.id is not None
    assert township.id is not None
    return Place(village.id, township.id, township.county_id, cadre.unit_id, cadre.team_id)


def key_for(kind: ApproverKind, place: Place) -> str:
    """The jurisdiction key of the ``kind`` post that covers ``place``."""
    scope = POST_JURISDICTION[kind]
    ident = {
        Jurisdiction.VILLAGE: place.village_id,
        Jurisdiction.TOWNSHIP: place.township_id,
        Jurisdiction.COUNTY: place.county_id,
        Jurisdiction.UNIT: place.unit_id,
    }[scope]
    return f"{scope.value}:{ident}"


async def holders(session: AsyncSession, kind: ApproverKind, key: str) -> list[Person]:
    """Everyone holding the ``kind`` post for that jurisdiction (a 书记 and a deputy, say)."""
    result = await session.exec(
        select(Person)
        .join(ApproverPost, col(ApproverPost.person_id) == col(Person.id))
        .where(col(ApproverPost.kind) == kind, col(ApproverPost.jurisdiction_key) == key)
        .order_by(col(Person.id))
    )
    return list(result.all())


async def holds(session: AsyncSession, person_id: int, kind: ApproverKind, key: str) -> bool:
    post = (
        await session.exec(
            select(ApproverPost.id).where(
                col(ApproverPost.person_id) == person_id,
                col(ApproverPost.kind) == kind,
                col(ApproverPost.jurisdiction_key) == key,
            )
        )
    ).first()
    return post is not None


async def post_holders(
    session: AsyncSession, kind: ApproverKind, column: Any, ids: list[int]
) -> dict[int, list[ChannelAccount]]:
    """The accounts the bot can write to holders of ``kind`` posts on (Telegram's), by the
    id in ``column`` (ApproverPost.county_id, ApproverPost.unit_id), in one query."""
    out: dict[int, list[ChannelAccount]] = {}
    if not ids:
        return out
    rows = await session.exec(
        select(column, ChannelAccount)
        .select_from(ApproverPost)
        .join(ChannelAccount, reachable_on(person_id=col(ApproverPost.person_id)))
        .where(col(ApproverPost.kind) == kind, col(column).in_(ids))
        .order_by(col(ChannelAccount.person_id))
    )
    for ident, account in rows.all():
        out.setdefault(int(ident), []).append(account)
    return out
