"""Group chats bound to a team (its village), a township or a county, for broadcasts that
carry counts and cadres' names only, never households or reasons for leave.

Who may bind: a group becomes *their* team's, township's or county's — the team leader or
the village party organisation for a village, a township post holder for a township, a
county post holder for a county.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ApproverKind, GroupScope, Jurisdiction, OutboxState
from models.tables import GroupChat, Team, Village
from models.workflow import OutboxMessage
from services import audit
from services.errors import DomainError
from services.roster.identity import Identity

SCOPE_POSTS: dict[GroupScope, Jurisdiction] = {
    GroupScope.VILLAGE: Jurisdiction.VILLAGE,
    GroupScope.TOWNSHIP: Jurisdiction.TOWNSHIP,
    GroupScope.COUNTY: Jurisdiction.COUNTY,
}


@dataclass(frozen=True)
class Place:
    scope: GroupScope
    target_id: int
    name: str


async def places_of(session: AsyncSession, identity: Identity, scope: GroupScope) -> list[Place]:
    """The places of that scope this person may bind a group to."""
    places: list[Place] = []
    if scope == GroupScope.VILLAGE and identity.cadre is not None and identity.cadre.is_leader:
        team = await session.get(Team, identity.cadre.team_id)
        village = await session.get(Village, team.village_id) if team else None
        if village is not None and village.id is not None:
            # Named as an approver's village post is: township and village.
            places.append(Place(scope, village.id, identity.cadre.township + village.name))
    for post in identity.posts:
        if post.kind == ApproverKind.DISPATCHING_UNIT or post.jurisdiction != SCOPE_POSTS[scope]:
            continue
        target = int(post.jurisdiction_key.split(":", 1)[1])
        if all(p.target_id != target for p in places):
            places.append(Place(scope, target, post.place))
    return places


async def bind(
    session: AsyncSession,
    identity: Identity,
    *,
    channel: str,
    chat_id: str,
    title: str,
    scope: GroupScope,
    name: str,
    now: datetime,
) -> Place:
    """Bind (or re-bind) the group ``chat_id`` on ``channel``. ``name`` picks among several
    places the person covers."""
    places = await places_of(session, identity, scope)
    if name.strip():
        places = [p for p in places if name.strip() in p.name]
    if not places:
        raise DomainError("group_bind_not_allowed", scope=scope.value)
    if len(places) > 1:
        raise DomainError("group_bind_ambiguous", choices=[p.name for p in places])
    place = places[0]
    group = await _group(session, channel, chat_id)
    if group is None:
        group = GroupChat(channel=channel, chat_id=chat_id, scope=scope, bound_at=now)
    group.title = title[:255]
    group.scope = scope
    group.village_id = place.target_id if scope == GroupScope.VILLAGE else None
    group.township_id = place.target_id if scope == GroupScope.TOWNSHIP else None
    group.county_id = place.target_id if scope == GroupScope.COUNTY else None
    group.bound_by_person_id = identity.person_id
    group.bound_at = now
    session.add(group)
    await session.flush()
    await audit.record(
        session,
        entity="group",
        entity_id=group.id,
        action="bind",
        to_state=f"{scope.value}:{place.target_id}",
        actor_person_id=identity.person_id,
        at=now,
    )
    return place


async def unbind(
    session: AsyncSession,
    identity: Identity | None,
    *,
    channel: str,
    chat_id: str,
    now: datetime,
) -> bool:
    """Unbind the group. ``identity`` None: the bot was removed from it (no check needed).
    Otherwise only someone who could bind it to the same place may unbind it."""
    group = await _group(session, channel, chat_id)
    if group is None:
        return False
    if identity is not None:
        await _may_unbind(session, identity, group)
    await audit.record(
        session,
        entity="group",
        entity_id=group.id,
        action="unbind",
        from_state=group.scope.value,
        actor_person_id=identity.person_id if identity else None,
        at=now,
    )
    await session.delete(group)
    return True


async def may_unbind(
    session: AsyncSession, identity: Identity, *, channel: str, chat_id: str
) -> bool:
    """Whether the group is bound, when this person may unbind it (asked before they are
    asked to confirm); raises ``group_bind_not_allowed`` when they may not."""
    group = await _group(session, channel, chat_id)
    if group is None:
        return False
    await _may_unbind(session, identity, group)
    return True


async def _may_unbind(session: AsyncSession, identity: Identity, group: GroupChat) -> None:
    target = group.village_id or group.township_id or group.county_id
    allowed = await places_of(session, identity, group.scope)
    if all(p.target_id != target for p in allowed):
        raise DomainError("group_bind_not_allowed", scope=group.scope.value)


async def follow_migration(
    session: AsyncSession, *, channel: str, old_chat_id: str, new_chat_id: str, now: datetime
) -> bool:
    """A group became a supergroup and Telegram gave it a new id: the binding and the
    messages still waiting for the group move with it, so the group loses no notice and
    nobody has to bind it again. True when a binding moved; running it twice (Telegram says
    so in both chats, and the relay learns it from a refused send) changes nothing more."""
    await session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.channel) == channel,
            col(OutboxMessage.chat_id) == old_chat_id,
            col(OutboxMessage.state) == OutboxState.PENDING,
        )
        .values(chat_id=new_chat_id)
    )
    group = await _group(session, channel, old_chat_id)
    if group is None:
        return False
    taken = await _group(session, channel, new_chat_id)
    if taken is not None:
        # The supergroup was bound on its own already: that binding stands.
        await session.delete(group)
        return False
    group.chat_id = new_chat_id
    session.add(group)
    await audit.record(
        session,
        entity="group",
        entity_id=group.id,
        action="migrate",
        from_state=str(old_chat_id),
        to_state=str(new_chat_id),
        actor_person_id=None,
        at=now,
    )
    return True


async def _group(session: AsyncSession, channel: str, chat_id: str) -> GroupChat | None:
    """The group bound under this chat id on this channel (ids are only unique per channel)."""
    return (
        await session.exec(
            select(GroupChat).where(
                col(GroupChat.channel) == channel, col(GroupChat.chat_id) == chat_id
            )
        )
    ).first()


async def groups_of(
    session: AsyncSession, scope: GroupScope, target_ids: list[int]
) -> list[GroupChat]:
    column = {
        GroupScope.VILLAGE: GroupChat.village_id,
        GroupScope.TOWNSHIP: GroupChat.township_id,
        GroupScope.COUNTY: GroupChat.county_id,
    }[scope]
    result = await session.exec(
        select(GroupChat).where(col(GroupChat.scope) == scope, col(column).in_(target_ids))
    )
    return list(result.all())
