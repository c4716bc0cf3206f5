"""Finding cadres: by name (or by village) among those an approver's posts cover, and the
person behind a cadre id."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind
from models.tables import ApproverPost, Cadre, Person, Team, Township, Village
from services.errors import DomainError


@dataclass(frozen=True)
class Found:
    cadre_id: int
    person_id: int
    name: str
    village: str
    township_id: int


def _covers(post: ApproverPost) -> Any:
    """The cadres a post's jurisdiction covers, as a condition over Cadre/Village/Township."""
    ident = int(post.jurisdiction_key.partition(":")[2])
    return {
        "village": col(Village.id) == ident,
        "township": col(Township.id) == ident,
        "county": col(Township.county_id) == ident,
        "unit": col(Cadre.unit_id) == ident,
    }[post.jurisdiction.value]


async def covered(
    session: AsyncSession,
    person_id: int,
    kinds: Iterable[ApproverKind],
    query: str,
    on: date,
    *,
    by_village: bool = False,
) -> list[Found]:
    """Cadres in post on ``on`` named ``query`` (or, with ``by_village``, posted in a village
    of that name) under the person's posts of those kinds. DomainError when the person holds
    none of those posts."""
    posts = (
        await session.exec(
            select(ApproverPost).where(
                col(ApproverPost.person_id) == person_id, col(ApproverPost.kind).in_(list(kinds))
            )
        )
    ).all()
    if not posts:
        raise DomainError("post_required")
    named = col(Person.name) == query.strip()
    if by_village:
        named = or_(named, col(Village.name) == query.strip())
    rows = await session.exec(
        select(Cadre, Person, Village)
        .join(Person, col(Person.id) == col(Cadre.person_id))
        .join(Team, col(Team.id) == col(Cadre.team_id))
        .join(Village, col(Village.id) == col(Team.village_id))
        .join(Township, col(Township.id) == col(Village.township_id))
        .where(
            or_(*[_covers(p) for p in posts]),
            named,
            col(Cadre.term_start) <= on,
            col(Cadre.term_end) >= on,
        )
        .order_by(col(Village.name), col(Cadre.id))
    )
    out = []
    for cadre, person, village in rows.all():
        assert cadre.id is not None
        out.append(Found(cadre.id, person.id or 0, person.name, village.name, village.township_id))
    return out


async def one_covered(
    session: AsyncSession, person_id: int, kinds: Iterable[ApproverKind], name: str, on: date
) -> Found:
    """Exactly one cadre of that name under the person's posts, or a DomainError."""
    found = await covered(session, person_id, kinds, name, on)
    if not found:
        raise DomainError("cadre_not_found", name=name)
    if len(found) > 1:
        raise DomainError(
            "cadre_ambiguous", name=name, villages="、".join(f.village for f in found)
        )
    return found[0]


async def cadre_person_id(session: AsyncSession, cadre_id: int) -> int:
    cadre = await session.get(Cadre, cadre_id)
    assert cadre is not None
    return cadre.person_id


async def cadre_name(session: AsyncSession, cadre_id: int) -> str:
    person = await session.get(Person, await cadre_person_id(session, cadre_id))
    return person.name if person else ""
