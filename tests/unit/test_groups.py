"""Binding a group: to one's own team, township or county, and nothing else."""

from __future__ import annotations

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import Channel, GroupScope, OutboxState
from models.tables import GroupChat
from models.workflow import OutboxMessage
from services.clock import FixedClock
from services.errors import DomainError
from services.messaging import groups
from services.roster.identity import identity_of
from tests.factories import Roster, seed_roster

TG = Channel.TELEGRAM


@pytest.fixture
async def roster(session: AsyncSession, clock: FixedClock) -> Roster:
    return await seed_roster(session, clock.now())


@pytest.mark.parametrize(
    ("name", "scope", "place"),
    [
        ("王芳", GroupScope.VILLAGE, "江口镇下寨村"),  # the team leader: her team's village
        ("周建国", GroupScope.VILLAGE, "江口镇下寨村"),  # village party organisation
        ("刘洋", GroupScope.TOWNSHIP, "江口镇"),
        ("陈静", GroupScope.COUNTY, "赣县区"),
        ("孙磊", GroupScope.COUNTY, "赣县区"),
    ],
)
async def test_who_binds_what(
    session: AsyncSession,
    roster: Roster,
    clock: FixedClock,
    name: str,
    scope: GroupScope,
    place: str,
) -> None:
    person_id = roster.people[name].id
    assert person_id is not None
    who = await identity_of(session, person_id)
    bound = await groups.bind(
        session, who, channel=TG, chat_id="-1001", title="群", scope=scope, name="", now=clock.now()
    )
    assert bound.name == place
    group = (await session.exec(select(GroupChat))).one()
    assert group.scope == scope


async def test_a_group_is_bound_on_the_channel_it_is_on(
    session: AsyncSession, roster: Roster, clock: FixedClock
) -> None:
    """Its notices go out on that channel: a DingTalk group's by the DingTalk relay."""
    person_id = roster.people["陈静"].id
    assert person_id is not None
    who = await identity_of(session, person_id)
    for chat_id, channel in (("cidGroup==", "dingtalk"), ("-1002", "telegram")):
        await groups.bind(
            session,
            who,
            chat_id=chat_id,
            title="群",
            scope=GroupScope.COUNTY,
            name="",
            now=clock.now(),
            channel=channel,
        )
        group = (await session.exec(select(GroupChat).where(GroupChat.chat_id == chat_id))).one()
        assert group.channel == channel


@pytest.mark.parametrize(
    ("name", "scope"),
    [
        ("李强", GroupScope.VILLAGE),  # a member, not the leader
        ("刘洋", GroupScope.COUNTY),  # a township approver cannot bind the county
        ("吴海", GroupScope.TOWNSHIP),  # the dispatching unit binds nothing
        ("王芳", GroupScope.TOWNSHIP),
    ],
)
async def test_others_are_refused(
    session: AsyncSession, roster: Roster, clock: FixedClock, name: str, scope: GroupScope
) -> None:
    person_id = roster.people[name].id
    assert person_id is not None
    who = await identity_of(session, person_id)
    with pytest.raises(DomainError) as err:
        await groups.bind(
            session,
            who,
            channel=TG,
            chat_id="-1001",
            title="群",
            scope=scope,
            name="",
            now=clock.now(),
        )
    assert err.value.code == "group_bind_not_allowed"


async def test_rebind_moves_the_group_and_unbind_removes_it(
    session: AsyncSession, roster: Roster, clock: FixedClock
) -> None:
    liu_id, chen_id = roster.people["刘洋"].id, roster.people["陈静"].id
    assert liu_id and chen_id
    liu, chen = await identity_of(session, liu_id), await identity_of(session, chen_id)
    await groups.bind(
        session,
        liu,
        channel=TG,
        chat_id="-1001",
        title="江口镇",
        scope=GroupScope.TOWNSHIP,
        name="",
        now=clock.now(),
    )
    await groups.bind(
        session,
        chen,
        channel=TG,
        chat_id="-1001",
        title="全县",
        scope=GroupScope.COUNTY,
        name="",
        now=clock.now(),
    )
    (group,) = (await session.exec(select(GroupChat))).all()
    assert group.scope == GroupScope.COUNTY and group.township_id is None
    with pytest.raises(DomainError):  # a township approver may not unbind the county's group
        await groups.unbind(session, liu, channel=TG, chat_id="-1001", now=clock.now())
    # Who may be asked to confirm an unbinding: the same rule, and nothing is removed.
    with pytest.raises(DomainError):
        await groups.may_unbind(session, liu, channel=TG, chat_id="-1001")
    assert await groups.may_unbind(session, chen, channel=TG, chat_id="-1001")
    assert await groups.unbind(session, chen, channel=TG, chat_id="-1001", now=clock.now())
    assert not await groups.may_unbind(session, chen, channel=TG, chat_id="-1001")
    assert not await groups.unbind(session, None, channel=TG, chat_id="-1001", now=clock.now())


async def _bind_county(
    session: AsyncSession, roster: Roster, clock: FixedClock, chat_id: str, channel: str = TG
) -> None:
    person_id = roster.people["陈静"].id
    assert person_id is not None
    who = await identity_of(session, person_id)
    await groups.bind(
        session,
        who,
        channel=channel,
        chat_id=chat_id,
        title="群",
        scope=GroupScope.COUNTY,
        name="",
        now=clock.now(),
    )


async def test_a_group_upgraded_to_a_supergroup_takes_its_binding_and_waiting_messages(
    session: AsyncSession, roster: Roster, clock: FixedClock
) -> None:
    await _bind_county(session, roster, clock, chat_id="-5")
    for key, state in (("waiting", OutboxState.PENDING), ("gone", OutboxState.SENT)):
        session.add(
            OutboxMessage(
                dedup_key=key, chat_id="-5", is_group=True, template="test.echo", params="{}",
                state=state, created_at=clock.now(), not_before=clock.now(),
            )
        )  # fmt: skip
    await session.flush()

    moved = await groups.follow_migration(
        session, channel=TG, old_chat_id="-5", new_chat_id="-1001000000009", now=clock.now()
    )
    assert moved
    assert (await session.exec(select(GroupChat.chat_id))).all() == ["-1001000000009"]
    rows = {r.dedup_key: r.chat_id for r in (await session.exec(select(OutboxMessage))).all()}
    assert rows == {"waiting": "-1001000000009", "gone": "-5"}  # what was sent stays as it was
    # Telegram says it in both chats, and the relay may learn it too: only once moved.
    assert not await groups.follow_migration(
        session, channel=TG, old_chat_id="-5", new_chat_id="-1001000000009", now=clock.now()
    )


async def test_an_upgrade_onto_an_already_bound_supergroup_keeps_that_binding(
    session: AsyncSession, roster: Roster, clock: FixedClock
) -> None:
    await _bind_county(session, roster, clock, chat_id="-5")
    await _bind_county(session, roster, clock, chat_id="-1001000000009")
    assert not await groups.follow_migration(
        session, channel=TG, old_chat_id="-5", new_chat_id="-1001000000009", now=clock.now()
    )
    assert (await session.exec(select(GroupChat.chat_id))).all() == ["-1001000000009"]


async def test_a_group_remembers_its_channel_and_ids_are_per_channel(
    session: AsyncSession, roster: Roster, clock: FixedClock
) -> None:
    """The same chat id on two messengers is two groups; unbinding one leaves the other."""
    await _bind_county(session, roster, clock, chat_id="cid1", channel=Channel.DINGTALK)
    await _bind_county(session, roster, clock, chat_id="cid1", channel=TG)
    bound = (await session.exec(select(GroupChat.channel, GroupChat.chat_id))).all()
    assert sorted(bound) == [("dingtalk", "cid1"), ("telegram", "cid1")]
    assert await groups.unbind(
        session, None, channel=Channel.DINGTALK, chat_id="cid1", now=clock.now()
    )
    assert (await session.exec(select(GroupChat.channel))).all() == ["telegram"]
    assert not await groups.follow_migration(
        session, channel=Channel.DINGTALK, old_chat_id="cid1", new_chat_id="cid2", now=clock.now()
    )
    assert (await session.exec(select(GroupChat.chat_id))).all() == ["cid1"]
