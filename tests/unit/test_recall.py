"""召回 (ganzhou Art.22): the township proposes on one of seven grounds, the county leading
group decides once, the dispatching unit replaces; each step audited and the right people told.
qinghai-2018 item 6: a recall bars promotion for two years."""

from __future__ import annotations

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import RecallState
from models.presence import Recall, Sanction
from models.workflow import OutboxMessage
from services import audit
from services.clock import FixedClock
from services.errors import DomainError
from services.policy_loading import load_pack
from services.supervision import recall
from tests import presence_factories as pf
from tests.factories import (
    Roster,
    seed_roster,
    telegram_chat,
)

GANZHOU = load_pack("ganzhou-2021")


@pytest.fixture
async def roster(session: AsyncSession, clock: FixedClock) -> Roster:
    roster = await seed_roster(session, clock.now())
    await pf.register_everyone(session, roster)
    return roster


async def told(session: AsyncSession, roster: Roster, name: str) -> list[str]:
    rows = await session.exec(
        select(OutboxMessage.template)
        .where(col(OutboxMessage.chat_id) == await telegram_chat(session, roster.people[name]))
        .order_by(col(OutboxMessage.id))
    )
    return list(rows.all())


async def test_from_proposal_to_replacement(
    session: AsyncSession, clock: FixedClock, roster: Roster
) -> None:
    li = pf.cadre_id(roster, "李强")
    liu, zhao, wu = (pf.person_id(roster, n) for n in ("刘洋", "赵敏", "吴海"))
    found = await recall.find_cadre(session, GANZHOU, liu, "李强", clock.now().date())
    assert found.cadre_id == li and found.village == "下寨村"
    proposal = await recall.propose(
        session, GANZHOU, liu, li, "presence_not_guaranteed", "长期不在村", clock.now()
    )
    assert proposal.id is not None and proposal.state == RecallState.PROPOSED
    assert await told(session, roster, "赵敏") == ["recall.card"]
    with pytest.raises(DomainError, match="recall_open"):
        await recall.propose(session, GANZHOU, liu, li, "other", "再提一次", clock.now())
    with pytest.raises(DomainError, match="recall_not_approved"):
        await recall.replaced(session, GANZHOU, proposal.id, wu, clock.now())
    step = await recall.decide(
        session, GANZHOU, proposal.id, zhao, approve=True, note="同意召回", now=clock.now()
    )
    assert step.done_now and step.recall.state == RecallState.APPROVED
    again = await recall.decide(
        session, GANZHOU, proposal.id, zhao, approve=False, note="", now=clock.now()
    )
    assert not again.done_now and again.by == "赵敏" and again.recall.state == RecallState.APPROVED
    assert await told(session, roster, "刘洋") == ["recall.decided"]
    assert await told(session, roster, "吴海") == ["recall.replace"]
    assert await told(session, roster, "李强") == ["recall.cadre"]
    done = await recall.replaced(session, GANZHOU, proposal.id, wu, clock.now())
    assert done.done_now and done.recall.state == RecallState.REPLACED
    assert await told(session, roster, "赵敏") == ["recall.card", "recall.replaced"]
    trail = await audit.trail(session, "recall", proposal.id)
    assert [(e.action, e.actor_person_id) for e in trail] == [
        ("propose", liu),
        ("approve", zhao),
        ("replaced", wu),
    ]
    assert (await session.exec(select(Sanction))).all() == []  # ganzhou: no promotion bar


@pytest.mark.parametrize(
    ("step", "who", "code"),
    [
        ("propose", "赵敏", "recall_not_proposer"),  # Art.22 由乡镇党委提出
        ("propose", "王芳", "recall_not_proposer"),
        ("decide", "刘洋", "recall_not_decider"),  # Art.22 经县驻村工作领导小组审定
        ("decide", "陈静", "recall_not_decider"),
        ("replaced", "刘洋", "recall_not_unit"),
    ],
)
async def test_only_the_right_post_takes_each_step(
    session: AsyncSession, clock: FixedClock, roster: Roster, step: str, who: str, code: str
) -> None:
    li = pf.cadre_id(roster, "李强")
    person = pf.person_id(roster, who)
    with pytest.raises(DomainError) as caught:
        if step == "propose":
            await recall.propose(session, GANZHOU, person, li, "other", "说明", clock.now())
        else:
            row = await recall.propose(
                session, GANZHOU, pf.person_id(roster, "刘洋"), li, "other", "说明", clock.now()
            )
            assert row.id is not None
            if step == "decide":
                await recall.decide(
                    session, GANZHOU, row.id, person, approve=True, note="", now=clock.now()
                )
            else:
                await recall.replaced(session, GANZHOU, row.id, person, clock.now())
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("ground", "note", "code"),
    [("holiday", "说明", "recall_ground_unknown"), ("other", "  ", "recall_note_missing")],
)
async def test_a_proposal_needs_one_of_the_seven_grounds_and_a_note(
    session: AsyncSession, clock: FixedClock, roster: Roster, ground: str, note: str, code: str
) -> None:
    with pytest.raises(DomainError) as caught:
        await recall.propose(
            session, GANZHOU, pf.person_id(roster, "刘洋"), pf.cadre_id(roster, "李强"),
            ground, note, clock.now(),
        )  # fmt: skip
    assert caught.value.code == code


async def test_rejected_tells_the_proposer_only_and_a_new_proposal_may_follow(
    session: AsyncSession, clock: FixedClock, roster: Roster
) -> None:
    li, liu = pf.cadre_id(roster, "李强"), pf.person_id(roster, "刘洋")
    first = await recall.propose(session, GANZHOU, liu, li, "poor_style", "群众不认可", clock.now())
    assert first.id is not None
    await recall.decide(
        session, GANZHOU, first.id, pf.person_id(roster, "赵敏"), approve=False,
        note="再观察三个月", now=clock.now(),
    )  # fmt: skip
    assert await told(session, roster, "刘洋") == ["recall.decided"]
    assert await told(session, roster, "李强") == [] and await told(session, roster, "吴海") == []
    second = await recall.propose(session, GANZHOU, liu, li, "other", "仍未改正", clock.now())
    assert second.id != first.id


async def test_qinghai_bars_promotion_for_two_years_after_a_recall(
    session: AsyncSession, clock: FixedClock, roster: Roster
) -> None:
    qinghai = load_pack("qinghai-2018")
    li = pf.cadre_id(roster, "李强")
    row = await recall.propose(
        session, qinghai, pf.person_id(roster, "刘洋"), li, "not_competent", "不胜任", clock.now()
    )
    assert row.id is not None
    await recall.decide(
        session, qinghai, row.id, pf.person_id(roster, "赵敏"), approve=True, note="",
        now=clock.now(),
    )  # fmt: skip
    (bar,) = (await session.exec(select(Sanction))).all()
    assert (bar.kind, bar.cause, bar.note) == ("no_promotion", f"recall:{row.id}", "2")
    stored = await session.get(Recall, row.id)
    assert stored is not None and stored.decided_by_person_id == pf.person_id(roster, "赵敏")
