"""aiogram routers, one module per feature. Parse, call one service, render the reply."""

from __future__ import annotations

from aiogram import Router


def routers() -> list[Router]:
    """Every router in the order they must see updates: features before the fallbacks."""
    from handlers.account import blocking, fallback, registration, strangers
    from handlers.account import help as common
    from handlers.groups import binding as groups
    from handlers.leave import approval as leave_approval
    from handlers.leave import requests as leave
    from handlers.presence import attendance, spot_checks
    from handlers.presence import commands as presence
    from handlers.supervision import recall, team_reports, training
    from handlers.visits import commands as visits
    from handlers.visits import coverage

    return [
        registration.build_router(),
        groups.build_router(),
        blocking.build_router(),
        common.build_router(),
        leave.build_router(),
        leave_approval.build_router(),
        visits.build_router(),
        coverage.build_router(),
        # Presence (issue #5): after visits, whose open card takes a location first.
        presence.build_router(),
        spot_checks.build_router(),
        recall.build_router(),
        attendance.build_router(),
        training.build_router(),
        team_reports.build_router(),
        fallback.build_router(),
        strangers.build_router(),
    ]
