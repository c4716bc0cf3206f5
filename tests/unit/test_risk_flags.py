"""A risk flag is followed up: the township acknowledges it (only its own approvers, the
first press standing), and until then the sweep sends it again once per period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.workflow import OutboxMessage, Visit
from services.calendar import WorkCalendar
from services.clock import FixedClock
from services.errors import DomainError
from services.policy_loading import load_pack
from services.visits.records import log_visit
from services.visits.risk_flags import acknowledge, risk_follow_up
from tests.factories import bind_telegram, seed_roster
from tests.presence_factories import ZONE
from tests.visit_factories import VisitWorld, seed_visit_world

PACK = load_pack("ganzhou-2021")
CALENDAR = WorkCalendar()


@pytest.fixture
async def world(session: AsyncSession, clock: FixedClock) -> VisitWorld:
    roster = await seed_roster(session, clock.now())
    world = await seed_visit_world(session, roster, clock.now())
    for number, name in enumerate(["刘洋", "陈静", "孙丽", "王芳"], start=1):
        bind_telegram(session, world.people[name], 7000 + number)
    await session.flush()
    return world


async def flag(session: AsyncSession, clock: FixedClock, world: VisitWorld) -> int:
    cadre, household = world.cadres["王芳"].id, world.households["张伟明"].id
    assert cadre is not None and household is not None
    saved = await log_visit(
        session, cadre_id=cadre, household_id=household, mode="in_person", pack=PACK,
        now=clock.now(), risk=True, risk_note="户主重病", zone=ZONE,
    )  # fmt: skip
    return saved.visit_id


async def reminders(session: AsyncSession) -> list[OutboxMessage]:
    rows = await session.exec(
        select(OutboxMessage).where(OutboxMessage.template == "visit.risk_remind")
    )
    return list(rows.all())


def test_the_default_period_is_a_day() -> None:
    assert PACK.visits.risk_reminder_hours == 24


async def test_reminders_go_once_per_period_until_acknowledged(
    session: AsyncSession, clock: FixedClock, world: VisitWorld
) -> None:
    visit_id = await flag(session, clock, world)
    start = clock.now()
    # (hours after the flag, reminders queued by this run)
    for hours, queued in [(23, 0), (24, 1), (24, 0), (30, 0), (47, 0), (48, 1), (49, 0)]:
        done = await risk_follow_up(session, PACK, CALENDAR, start + timedelta(hours=hours), ZONE)
        assert done == queued, hours
    rows = await reminders(session)
    assert {r.person_id for r in rows} == {world.people["刘洋"].id}  # only the township's
    assert sorted(r.dedup_key for r in rows) == [
        f"visit-risk-remind:{visit_id}:1:{world.people['刘洋'].id}",
        f"visit-risk-remind:{visit_id}:2:{world.people['刘洋'].id}",
    ]
    liu = world.people["刘洋"].id
    assert liu is not None
    await acknowledge(session, visit_id, liu, start + timedelta(hours=50), ZONE)
    assert await risk_follow_up(session, PACK, CALENDAR, start + timedelta(hours=72), ZONE) == 0


async def test_the_pack_sets_the_period(
    session: AsyncSession, clock: FixedClock, world: VisitWorld
) -> None:
    await flag(session, clock, world)
    visits = PACK.visits.model_copy(update={"risk_reminder_hours": 6})
    pack = PACK.model_copy(update={"visits": visits})
    assert (
        await risk_follow_up(session, pack, CALENDAR, clock.now() + timedelta(hours=5), ZONE) == 0
    )
    assert (
        await risk_follow_up(session, pack, CALENDAR, clock.now() + timedelta(hours=6), ZONE) == 1
    )


@pytest.mark.parametrize(
    ("who", "refused"),
    [("刘洋", False), ("陈静", True), ("孙丽", True), ("王芳", True)],
)
async def test_only_the_township_acknowledges(
    session: AsyncSession, clock: FixedClock, world: VisitWorld, who: str, refused: bool
) -> None:
    visit_id = await flag(session, clock, world)
    person = world.people[who].id
    assert person is not None
    if refused:
        with pytest.raises(DomainError) as caught:
            await acknowledge(session, visit_id, person, clock.now(), ZONE)
        assert caught.value.code == "visit_risk_not_township"
        visit = await session.get(Visit, visit_id)
        assert visit is not None and visit.risk_acked_at is None
    else:
        acked = await acknowledge(session, visit_id, person, clock.now(), ZONE)
        assert acked.done_now and acked.by == "刘洋"
        again = await acknowledge(session, visit_id, person, clock.now() + timedelta(hours=1), ZONE)
        assert not again.done_now and again.by == "刘洋"
        visit = await session.get(Visit, visit_id)
        assert visit is not None and visit.risk_acked_at == clock.now()
        assert visit.risk_acked_by_person_id == person
        # The cadre who raised the flag hears it, once.
        told = await session.exec(
            select(OutboxMessage).where(OutboxMessage.template == "visit.risk_acked")
        )
        assert [r.person_id for r in told.all()] == [world.people["王芳"].id]


async def test_a_visit_without_a_flag_cannot_be_acknowledged(
    session: AsyncSession, clock: FixedClock, world: VisitWorld
) -> None:
    cadre, household = world.cadres["王芳"].id, world.households["张伟明"].id
    assert cadre is not None and household is not None
    saved = await log_visit(
        session, cadre_id=cadre, household_id=household, mode="in_person", pack=PACK,
        now=clock.now(), zone=ZONE,
    )  # fmt: skip
    liu = world.people["刘洋"].id
    assert liu is not None
    with pytest.raises(DomainError):
        await acknowledge(session, saved.visit_id, liu, clock.now(), ZONE)
