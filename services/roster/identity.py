"""Who is writing to the bot, and what the roster lets them do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Bundle
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind, Jurisdiction, RecallState, Role, TeamRole, UnitLevel
from models.presence import Recall
from models.tables import (
    ApproverPost,
    Cadre,
    ChannelAccount,
    County,
    DispatchingUnit,
    Person,
    Team,
    Township,
    Village,
)
from services.errors import DomainError
from services.roster import accounts as channel_accounts


@dataclass(frozen=True)
class CadrePosting:
    cadre_id: int
    team_id: int
    team_role: TeamRole
    is_leader: bool
    village: str
    township: str
    county: str
    unit: str
    dispatch_level: UnitLevel
    term_start: date
    term_end: date
    # A completed recall (召回: the unit has sent a replacement) ends the posting at once.
    recalled: bool = False

    def ended(self, today: date) -> bool:
        """Out of post from the day after the term's last day, or once recalled."""
        return self.recalled or today > self.term_end


@dataclass(frozen=True)
class Post:
    post_id: int
    kind: ApproverKind
    jurisdiction: Jurisdiction
    jurisdiction_key: str
    place: str  # the village, township, county or unit it covers, by name


@dataclass(frozen=True)
class Identity:
    person_id: int
    name: str
    phone: str
    language: str | None
    # Their id on each channel they have an account on (channel -> external id).
    accounts: Mapping[str, str] = field(default_factory=dict)
    cadre: CadrePosting | None = None
    posts: tuple[Post, ...] = field(default_factory=tuple)
    # The channels that refused to deliver to them (they blocked the bot there): nothing
    # is queued for them on those.
    blocked_on: frozenset[str] = frozenset()
    # A posting that has ended (term over or recalled), moved out of ``cadre`` by ``as_of``:
    # kept only to tell them why cadre commands are gone.
    ended: CadrePosting | None = None

    def as_of(self, today: date) -> Identity:
        """This identity with only the posts in force on ``today``: a cadre whose term is
        over (or who was recalled) has no cadre posting, hence no cadre role."""
        if self.cadre is None or not self.cadre.ended(today):
            return self
        return replace(self, cadre=None, ended=self.cadre)

    @property
    def out_of_post(self) -> bool:
        """A former cadre with no other post: nothing in the bot is theirs any more."""
        return self.ended is not None and self.cadre is None and not self.posts

    def blocked_bot(self, channel: str) -> bool:
        return channel in self.blocked_on

    @property
    def roles(self) -> frozenset[Role]:
        roles: set[Role] = set()
        if self.cadre is not None:
            roles.add(Role.CADRE)
            if self.cadre.is_leader:
                roles.add(Role.TEAM_LEADER)
        if self.posts:
            roles.add(Role.APPROVER)
        return frozenset(roles)

    @property
    def masked_phone(self) -> str:
        """Enough to recognise one's own number, not enough to call it."""
        return self.phone[:3] + "****" + self.phone[-4:] if len(self.phone) >= 8 else "****"


# One query for a cadre's posting and the names of its places (sqlmodel's select() takes
# at most four entities, so the names come as one bundle).
_PLACE_NAMES: Bundle[Any] = Bundle(
    "names",
    col(Village.name).label("village"),
    col(Township.name).label("township"),
    col(County.name).label("county"),
    col(DispatchingUnit.name).label("unit"),
)


async def _posting(session: AsyncSession, person_id: int) -> CadrePosting | None:
    row = (
        await session.exec(
            select(Cadre, _PLACE_NAMES)
            .select_from(Cadre)
            .join(DispatchingUnit, col(DispatchingUnit.id) == col(Cadre.unit_id))
            .join(Team, col(Team.id) == col(Cadre.team_id))
            .join(Village, col(Village.id) == col(Team.village_id))
            .join(Township, col(Township.id) == col(Village.township_id))
            .join(County, col(County.id) == col(Township.county_id))
            .where(col(Cadre.person_id) == person_id)
        )
    ).first()
    if row is None:
        return None
    cadre, names = row
    assert cadre.id is not None
    recalled = (
        await session.exec(
            select(Recall.id).where(
                col(Recall.cadre_id) == cadre.id, col(Recall.state) == RecallState.REPLACED
            )
        )
    ).first() is not None
    return CadrePosting(
        cadre_id=cadre.id,
        team_id=cadre.team_id,
        team_role=cadre.team_role,
        is_leader=cadre.is_leader,
        village=names.village,
        township=names.township,
        county=names.county,
        unit=names.unit,
        dispatch_level=cadre.dispatch_level,
        term_start=cadre.term_start,
        term_end=cadre.term_end,
        recalled=recalled,
    )


async def _place_name(session: AsyncSession, post: ApproverPost) -> str:
    if post.village_id is not None:
        village = await session.get(Village, post.village_id)
        township = await session.get(Township, village.township_id) if village else None
        return f"{township.name if township else ''}{village.name if village else ''}"
    if post.township_id is not None:
        township = await session.get(Township, post.township_id)
        return township.name if township else ""
    if post.county_id is not None:
        county = await session.get(County, post.county_id)
        return county.name if county else ""
    if post.unit_id is not None:
        unit = await session.get(DispatchingUnit, post.unit_id)
        return unit.name if unit else ""
    return ""


async def _identity(session: AsyncSession, person: Person) -> Identity:
    assert person.id is not None
    bound = (
        await session.exec(
            select(ChannelAccount)
            .where(col(ChannelAccount.person_id) == person.id)
            .order_by(col(ChannelAccount.channel))
        )
    ).all()
    posts = (
        await session.exec(
            select(ApproverPost)
            .where(ApproverPost.person_id == person.id)
            .order_by(col(ApproverPost.id))
        )
    ).all()
    return Identity(
        person_id=person.id,
        name=person.name,
        phone=person.phone,
        language=person.language,
        accounts={a.channel: a.external_id for a in bound},
        blocked_on=frozenset(a.channel for a in bound if a.blocked_at is not None),
        cadre=await _posting(session, person.id),
        posts=tuple(
            [
                Post(
                    p.id or 0,
                    p.kind,
                    p.jurisdiction,
                    p.jurisdiction_key,
                    await _place_name(session, p),
                )
                for p in posts
            ]
        ),
    )


async def identify(session: AsyncSession, channel: str, external_id: str) -> Identity | None:
    """The registered person behind an account on a channel, or None for a stranger."""
    account = await channel_accounts.account_by_external_id(session, channel, external_id)
    if account is None:
        return None
    person = await session.get(Person, account.person_id)
    return None if person is None else await _identity(session, person)


async def identity_of(session: AsyncSession, person_id: int) -> Identity:
    person = await session.get(Person, person_id)
    if person is None:
        raise DomainError("person_unknown", person_id=person_id)
    return await _identity(session, person)


async def set_language(session: AsyncSession, person_id: int, language: str, now: datetime) -> None:
    person = await session.get(Person, person_id)
    if person is None:
        raise DomainError("person_unknown", person_id=person_id)
    person.language = language
    person.updated_at = now
    session.add(person)


async def set_bot_blocked(
    session: AsyncSession, channel: str, external_id: str, *, blocked: bool, now: datetime
) -> bool:
    """Whether the person behind an account has blocked the bot on that channel: set when
    they block it, cleared when they unblock it or write to it again, so reminders resume
    for someone who came back. True when that changed anything."""
    where = (col(ChannelAccount.channel) == channel) & (
        col(ChannelAccount.external_id) == external_id
    )
    return await channel_accounts.set_blocked(session, where, blocked=blocked, now=now)


async def record_menu(session: AsyncSession, person_id: int, menu_hash: str) -> None:
    person = await session.get(Person, person_id)
    if person is not None:
        person.menu_hash = menu_hash
        session.add(person)


async def registered_people(
    session: AsyncSession, channel: str
) -> list[tuple[Person, ChannelAccount]]:
    """Everyone with an account on ``channel``, with that account."""
    result = await session.exec(
        select(Person, ChannelAccount)
        .join(ChannelAccount, col(ChannelAccount.person_id) == col(Person.id))
        .where(col(ChannelAccount.channel) == channel)
        .order_by(col(Person.id))
    )
    return [(person, account) for person, account in result.all()]
