"""Who a roster leaves out: the import is the whole roster, so a cadre in post or an
approver post that the file no longer lists has ended.

Only a sheet the file has speaks: a file without the 审批人 sheet ends no post, one without
cadres (which the reader refuses anyway) ends no term. A cadre's term ends yesterday (so
from today they are out of post: ``services.roster.tenure``); an approver post is deleted,
and with it the powers it gave (every decision re-reads the posts). Cadres already out of
post are not counted again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind, Jurisdiction
from models.tables import ApproverPost, Cadre, Person
from services.roster.importing.plan import Plan, Target
from services.roster.importing.reader import RosterFile
from services.roster.importing.snapshot import Snapshot


@dataclass(frozen=True)
class Departure:
    """One person whose membership the import ends: their cadre term, posts, or both."""

    person_id: int
    name: str
    phone: str
    cadre_id: int | None = None
    post_ids: tuple[int, ...] = ()
    posts: tuple[ApproverKind, ...] = ()


@dataclass
class Departures:
    people: list[Departure] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.people)

    def __len__(self) -> int:
        return len(self.people)

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.people]


def _key(snap: Snapshot, target: Target) -> str | None:
    """The stored jurisdiction key a file's post names; None for a place not stored yet
    (no stored post can cover it)."""
    path = target.path
    own: object = None
    match target.jurisdiction:
        case Jurisdiction.UNIT:
            own = snap.units.get(path[0])
        case Jurisdiction.COUNTY:
            own = snap.counties.get(path[0])
        case Jurisdiction.TOWNSHIP if len(path) >= 2:
            own = snap.townships.get((path[0], path[1]))
        case Jurisdiction.VILLAGE if len(path) >= 3:
            own = snap.villages.get((path[0], path[1], path[2]))
    own_id = getattr(own, "id", None)
    return None if own_id is None else f"{target.jurisdiction.value}:{own_id}"


async def find_departures(
    session: AsyncSession, roster: RosterFile, plan: Plan, snap: Snapshot, *, today: date
) -> Departures:
    """The people whose cadre term or approver posts the file leaves out, by name."""
    cadres: dict[int, Cadre] = {}
    if roster.sheet("cadres") is not None:
        listed = {snap.people[p.phone].id for p in plan.cadres if p.phone in snap.people}
        cadres = {
            person_id: cadre
            for person_id, cadre in snap.cadres.items()
            if person_id not in listed and cadre.term_end >= today
        }
    posts: dict[int, list[ApproverPost]] = {}
    if roster.sheet("approvers") is not None:
        kept = {
            (a.kind, _key(snap, a.target), snap.people[a.phone].id)
            for a in plan.approvers
            if a.phone in snap.people
        }
        stored = (await session.exec(select(ApproverPost).order_by(col(ApproverPost.id)))).all()
        for post in stored:
            if (post.kind, post.jurisdiction_key, post.person_id) not in kept:
                posts.setdefault(post.person_id, []).append(post)
    people = []
    for person_id in sorted(set(cadres) | set(posts)):
        person = await session.get(Person, person_id)
        assert person is not None
        cadre, ended = cadres.get(person_id), posts.get(person_id, [])
        people.append(
            Departure(
                person_id=person_id,
                name=person.name,
                phone=person.phone,
                cadre_id=cadre.id if cadre else None,
                post_ids=tuple(p.id for p in ended if p.id is not None),
                posts=tuple(p.kind for p in ended),
            )
        )
    return Departures(people)


async def end_memberships(session: AsyncSession, departures: Departures, *, today: date) -> None:
    """Write the ends: cadre terms end yesterday, approver posts are deleted."""
    yesterday = today - timedelta(days=1)
    for departure in departures.people:
        if departure.cadre_id is not None:
            cadre = await session.get(Cadre, departure.cadre_id)
            assert cadre is not None
            cadre.term_end = yesterday
            session.add(cadre)
        if departure.post_ids:
            await session.exec(
                delete(ApproverPost).where(col(ApproverPost.id).in_(departure.post_ids))
            )
    await session.flush()
