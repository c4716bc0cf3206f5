"""/team: the team leader sees each member's month so far, their leave and the quarter's
visits, from the same ledgers the members' own commands use; the menu offers it to team
leaders only."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.account.menu import commands_for
from handlers.supervision.team_view import team_text
from locales import Catalogs
from models.enums import LeaveKind, LeaveState, Role
from services.calendar import WorkCalendar
from services.clock import FixedClock
from services.policy_loading import load_pack
from services.supervision.team_view import team_view
from tests import presence_factories as pf
from tests.factories import seed_roster

ZH = Catalogs().get("zh")
GANZHOU = load_pack("ganzhou-2021")


async def test_the_leader_sees_days_leave_and_visits_of_each_member(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await seed_roster(session, clock.now())
    wang, li, zhang = (pf.cadre_id(roster, n) for n in ("王芳", "李强", "张伟"))
    await pf.location(session, wang, pf.local(date(2026, 11, 3)))
    await pf.leave(session, li, LeaveKind.PERSONAL, date(2026, 12, 1), date(2026, 12, 2),
                   state=LeaveState.PENDING)  # fmt: skip
    await pf.leave(session, zhang, LeaveKind.SICK, date(2026, 11, 9), date(2026, 11, 13))
    await pf.leave(session, zhang, LeaveKind.PERSONAL, date(2026, 11, 30), date(2026, 12, 1))
    await pf.visit(session, roster, wang, pf.local(date(2026, 11, 5)), pf.NEAR)
    now = pf.local(date(2026, 11, 20), 9)
    view = await team_view(session, GANZHOU, WorkCalendar(), roster.team.id or 0, now, pf.ZONE)
    assert (view.village, view.quarter.label, view.visits_per_quarter) == ("下寨村", "2026Q4", 1)
    by_name = {m.name: m for m in view.members}
    assert list(by_name) == ["王芳", "张伟", "李强"]  # the first secretary first
    w, z, l_ = by_name["王芳"], by_name["张伟"], by_name["李强"]
    # Working days 2–20 November: 15; 王芳 shown on the 3rd and the 5th (the visit).
    assert (w.counted, w.in_village, w.evidenced, w.minimum) == (15, 15, 2, 20)
    assert (w.visited, w.pairings) == (1, 1)
    assert (z.counted, z.pending) == (10, 0)  # five days of sick leave
    # The sick leave is over; the leave still to come is listed.
    assert [(s.start, s.kind) for s in z.away] == [(date(2026, 11, 30), LeaveKind.PERSONAL)]
    assert (l_.pending, l_.away) == (1, ())

    text = team_text(ZH, view)
    assert "下寨村工作队" in text and "计入驻村 15/20 天" in text
    assert "1 项待审批" in text and "事假 11月30日–12月1日" in text
    assert "结对户已完成 1/1 户" in text
    assert "张伟明" not in text  # households are counted, never named


def test_only_team_leaders_have_team_in_their_menu() -> None:
    assert "team" in [c.command for c in commands_for({Role.CADRE, Role.TEAM_LEADER})]
    assert "team" not in [c.command for c in commands_for({Role.CADRE, Role.APPROVER})]
