"""The demo's scheduler tick: every sweep as of the demo clock; the full schedule
(``services.operations.schedule.run_all``) when this build has it, else the sweeps known
here."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from models.db import UnitOfWork
from services.calendar import load_calendar
from services.leave import sweeps as leave_sweeps
from services.policy import PolicyPack
from services.presence import attendance, spot_checks


class SweepRunner(Protocol):
    def __call__(
        self, sessions: Any, pack: PolicyPack, now: datetime, zone: ZoneInfo
    ) -> Awaitable[Mapping[str, int]]: ...


@dataclass(frozen=True)
class SweepReport:
    counts: dict[str, int]
    note: str | None = None  # said when the full schedule was not available


def schedule_runner() -> SweepRunner | None:
    """``services.operations.schedule.run_all`` when this build has it."""
    try:
        module = importlib.import_module("services.operations.schedule")
    except ImportError:
        return None
    return cast(SweepRunner | None, getattr(module, "run_all", None))


async def known_sweeps(
    uow: UnitOfWork, pack: PolicyPack, now: datetime, zone: ZoneInfo
) -> dict[str, int]:
    """Leave, spot-check and sheet sweeps, in one unit of work (``ctx.uow()``)."""
    async with uow:
        calendar = await load_calendar(uow.session)
        pending = await leave_sweeps.pending_approvals(uow.session, pack, calendar, now)
        counts = {
            "pending_approvals": pending.reminded + pending.escalated,
            "unreturned": (await leave_sweeps.unreturned(uow.session, pack, now, zone)).reminded,
            "expire_checks": await spot_checks.expire_checks(uow.session, pack, now),
            "draft_sheets": await attendance.draft_sheets(uow.session, pack, calendar, now, zone),
        }
        await uow.commit()
    return counts


NO_SCHEDULE = (
    "本版本没有 services.operations.schedule："
    "只运行了请假、抽查和考勤表的定时任务，没有每月调度和走访提醒 "
    "(services.operations.schedule is not in this build: leave, spot-check and sheet sweeps only)"
)
