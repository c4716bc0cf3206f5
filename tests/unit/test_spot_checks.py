"""抽查: asking, answering by location, the deadline sweep, explanations, confirm or clear, and
the pack's thresholds on confirmed absences (ganzhou Art.21; qinghai-2018 item 4)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import CheckState, LeaveKind, RecallState
from models.presence import LocationReport, Recall, Sanction, SpotCheckTarget
from models.workflow import OutboxMessage
from services.clock import FixedClock
from services.errors import DomainError
from services.policy import PolicyPack
from services.policy_loading import load_pack
from services.presence import locations, spot_check_decisions, spot_checks
from tests import presence_factories as pf
from tests.factories import (
    Roster,
    seed_roster,
    telegram_chat,
)

GANZHOU = load_pack("ganzhou-2021")
QINGHAI = load_pack("qinghai-2018")
TODAY = date(2026, 11, 23)


@pytest.fixture
async def roster(session: AsyncSession, clock: FixedClock) -> Roster:
    roster = await seed_roster(session, clock.now())
    await pf.register_everyone(session, roster)
    return roster


async def sent(session: AsyncSession, template: str) -> list[OutboxMessage]:
    rows = await session.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.template) == template)
        .order_by(col(OutboxMessage.id))
    )
    return list(rows.all())


async def to(session: AsyncSession, roster: Roster, name: str, template: str) -> int:
    chat = await telegram_chat(session, roster.people[name])
    return sum(1 for m in await sent(session, template) if m.chat_id == chat)


async def test_asking_a_village_asks_each_cadre_not_on_leave(
    session: AsyncSession, clock: FixedClock, roster: Roster
) -> None:
    zhang = pf.cadre_id(roster, "张伟")
    await pf.leave(session, zhang, LeaveKind.MEETING, TODAY, TODAY)
    started = await spot_checks.start(
        session, GANZHOU, pf.person_id(roster, "刘洋"), "下寨村", clock.now(), pf.ZONE
    )
    states = {t.name: t.state for t in started.targets}
    assert states == {"王芳": CheckState.ASKED, "李强": CheckState.ASKED, "张伟": CheckState.FINE}
    assert started.deadline_at == clock.now() + timedelta(minutes=30)  # pack: 30 minutes
    asks = await sent(session, "spotcheck.ask")
    assert len(asks) == 2 and all(json.loads(m.params)["target_id"] for m in asks)


@pytest.mark.parametrize(
    ("who", "query", "code"),
    [
        ("周建国", "王芳", "spot_check_not_allowed"),  # the village party organisation
        ("王芳", "李强", "spot_check_not_allowed"),  # a cadre
        ("刘洋", "赵敏", "spot_check_nobody"),  # not a cadre
        ("刘洋", " ", "spot_check_query_missing"),
    ],
)
async def test_who_may_ask_whom(
    session: AsyncSession, clock: FixedClock, roster: Roster, who: str, query: str, code: str
) -> None:
    with pytest.raises(DomainError) as caught:
        await spot_checks.start(
            session, GANZHOU, pf.person_id(roster, who), query, clock.now(), pf.ZONE
        )
    assert caught.value.code == code


@pytest.mark.parametrize("checker", ["刘洋", "陈静", "赵敏", "孙磊", "吴海"])
async def test_each_checking_post_may_ask(
    session: AsyncSession, clock: FixedClock, roster: Roster, checker: str
) -> None:
    started = await spot_checks.start(
        session, GANZHOU, pf.person_id(roster, checker), "王芳", clock.now(), pf.ZONE
    )
    assert [t.name for t in started.targets] == ["王芳"]


@pytest.mark.parametrize(
    ("where", "leave", "state", "reason"),
    [
        (pf.NEAR, None, CheckState.FINE, "inside"),
        (pf.FAR, None, CheckState.SUSPECTED, "outside"),
        (pf.FAR, LeaveKind.BUSINESS, CheckState.FINE, "on_leave"),
    ],
)
async def test_answering_by_location(
    session: AsyncSession,
    clock: FixedClock,
    roster: Roster,
    where: tuple[float, float],
    leave: LeaveKind | None,
    state: CheckState,
    reason: str,
) -> None:
    wang = pf.cadre_id(roster, "王芳")
    started = await spot_checks.start(
        session, GANZHOU, pf.person_id(roster, "刘洋"), "王芳", clock.now(), pf.ZONE
    )
    if leave is not None:  # emergency leave taken after the question went out
        await pf.leave(session, wang, leave, TODAY, TODAY)
    clock.advance(timedelta(minutes=10))
    shared = await locations.share(session, GANZHOU, wang, *where, now=clock.now())
    assert [(a.state, a.reason) for a in shared.answered] == [(state, reason)]
    target = await session.get(SpotCheckTarget, started.targets[0].target_id)
    assert target is not None and target.state == state
    assert target.location_report_id == shared.report_id
    template = "spotcheck.fine" if state == CheckState.FINE else "spotcheck.suspected"
    assert await to(session, roster, "刘洋", template) == 1


async def test_a_late_location_answers_nothing_and_the_sweep_settles_once(
    session: AsyncSession, clock: FixedClock, roster: Roster
) -> None:
    wang = pf.cadre_id(roster, "王芳")
    started = await spot_checks.start(
        session, GANZHOU, pf.person_id(roster, "刘洋"), "王芳", clock.now(), pf.ZONE
    )
    clock.advance(timedelta(minutes=29))
    assert await spot_checks.expire_checks(session, GANZHOU, clock.now()) == 0
    clock.advance(timedelta(minutes=2))
    shared = await locations.share(session, GANZHOU, wang, *pf.NEAR, now=clock.now())
    assert shared.answered == () and shared.inside
    assert await spot_checks.expire_checks(session, GANZHOU, clock.now()) == 1
    clock.advance(timedelta(hours=5))  # run again, late: nothing more
    assert await spot_checks.expire_checks(session, GANZHOU, clock.now()) == 0
    target = await session.get(SpotCheckTarget, started.targets[0].target_id)
    assert target is not None and target.state == CheckState.SUSPECTED
    assert await to(session, roster, "刘洋", "spotcheck.suspected") == 1
    assert await to(session, roster, "王芳", "spotcheck.missed") == 1
    report = await session.get(LocationReport, shared.report_id)
    assert report is not None and report.inside  # still evidence of the day


async def test_explain_then_clear_and_a_second_press_is_told(
    session: AsyncSession, clock: FixedClock, roster: Roster
) -> None:
    wang = pf.cadre_id(roster, "王芳")
    target = await pf.target(session, roster, wang, TODAY, CheckState.SUSPECTED)
    assert target.id is not None
    with pytest.raises(DomainError, match="nothing_to_explain"):
        await spot_check_decisions.explain(
            session, GANZHOU, pf.cadre_id(roster, "李强"), "我在村里", clock.now()
        )
    await spot_check_decisions.explain(
        session, GANZHOU, wang, "在山上信号不好，没收到消息", clock.now()
    )
    assert await to(session, roster, "刘洋", "spotcheck.explained") == 1
    with pytest.raises(DomainError, match="not_your_check"):
        await spot_check_decisions.decide(
            session, GANZHOU, target.id, pf.person_id(roster, "周建国"), confirm=True,
            now=clock.now(),
        )  # fmt: skip
    cleared = await spot_check_decisions.decide(
        session, GANZHOU, target.id, pf.person_id(roster, "刘洋"), confirm=False, now=clock.now()
    )
    assert cleared.decided_now and cleared.target.state == CheckState.CLEARED
    again = await spot_check_decisions.decide(
        session, GANZHOU, target.id, pf.person_id(roster, "陈静"), confirm=True, now=clock.now()
    )
    assert not again.decided_now and again.decided_by == "刘洋"
    assert again.target.state == CheckState.CLEARED
    assert (await session.exec(select(Sanction))).all() == []


async def confirm(
    session: AsyncSession, pack: PolicyPack, roster: Roster, day: date, clock: FixedClock
) -> tuple[str, ...]:
    target = await pf.target(
        session, roster, pf.cadre_id(roster, "王芳"), day, CheckState.SUSPECTED
    )
    assert target.id is not None
    decided = await spot_check_decisions.decide(
        session, pack, target.id, pf.person_id(roster, "刘洋"), confirm=True, now=clock.now()
    )
    return decided.sanctions


# (pack, confirmed absences in order, what each confirmation does, why)
THRESHOLDS = [
    ("ganzhou-2021", [date(2026, 11, 2)], [("notice",)], "Art.21 一次无故脱岗: 全市通报"),
    (
        "ganzhou-2021",
        [date(2026, 11, 2), date(2026, 11, 9)],
        [("notice",), ("recall_proposal",)],
        "Art.21 两次以上: 召回",
    ),
    (
        "ganzhou-2021",
        [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)],
        [("notice",), ("recall_proposal",), ()],
        "a third absence while the recall is open opens no second one",
    ),
    ("qinghai-2018", [date(2026, 11, 2)], [("no_award",)], "item 4 取消当年评先评优资格"),
    (
        "qinghai-2018",
        [date(2026, 11, 2), date(2026, 11, 9), date(2027, 1, 4)],
        [("no_award",), (), ("no_award",)],
        "item 4: once a year; no recall threshold in qinghai",
    ),
]


@pytest.mark.parametrize(("pack_id", "days", "actions", "why"), THRESHOLDS)
async def test_thresholds_per_pack(
    session: AsyncSession,
    clock: FixedClock,
    roster: Roster,
    pack_id: str,
    days: list[date],
    actions: list[tuple[str, ...]],
    why: str,
) -> None:
    pack = load_pack(pack_id)
    done = [await confirm(session, pack, roster, day, clock) for day in days]
    assert done == actions, why
    kinds = [s.kind for s in (await session.exec(select(Sanction))).all()]
    assert sorted(kinds) == sorted(k for action in actions for k in action)
    recalls = (await session.exec(select(Recall))).all()
    if any("recall_proposal" in a for a in actions):
        (recall,) = recalls
        assert recall.state == RecallState.PROPOSED and recall.proposed_by_person_id is None
        assert recall.ground == "absent_not_correcting"  # Art.22 (四)
        assert await to(session, roster, "赵敏", "recall.card") == 1  # the county group decides
    else:
        assert recalls == []
    if pack_id == "ganzhou-2021":
        assert await to(session, roster, "赵敏", "sanction.notice") == 1  # the county is told
    else:
        assert await to(session, roster, "孙磊", "sanction.no_award") == actions.count(
            ("no_award",)
        )
        assert await to(session, roster, "吴海", "sanction.no_award") == actions.count(
            ("no_award",)
        )
    assert await to(session, roster, "王芳", "spotcheck.decided") == len(days)
