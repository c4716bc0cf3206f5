"""aiogram routers, one module per feature. Parse, call one service, render the reply."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.core.routing import Core

if TYPE_CHECKING:  # the routers not yet on the core; aiogram is loaded only to build them
    from aiogram import Router


def routers() -> list[Router]:
    """Every router in the order they must see updates: features before the fallbacks."""
    from handlers.account import blocking, fallback, registration, strangers
    from handlers.account import help as common
    from handlers.groups import binding as groups

    return [
        registration.build_router(),
        groups.build_router(),
        blocking.build_router(),
        common.build_router(),
        fallback.build_router(),
        strangers.build_router(),
    ]


def core() -> Core:
    """The features already on the messenger-neutral core, in the order they see events.
    The Telegram bridge tries them before the aiogram routers above (none of which takes
    the same events)."""
    from handlers.leave import approval, requests
    from handlers.presence import attendance, spot_checks
    from handlers.presence import commands as presence
    from handlers.supervision import recall, team_reports, training
    from handlers.visits import commands as visits
    from handlers.visits import coverage

    return Core(
        [
            requests.routes(),
            approval.routes(),
            visits.routes(),
            coverage.routes(),
            presence.routes(),
            spot_checks.routes(),
            recall.routes(),
            attendance.routes(),
            training.routes(),
            team_reports.routes(),
        ]
    )
