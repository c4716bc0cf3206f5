"""aiogram routers, one module per feature. Parse, call one service, render the reply."""

from __future__ import annotations

from aiogram import Router


def routers() -> list[Router]:
    """Every router in the order they must see updates: features before the fallbacks."""
    from handlers import (
        common,
        coverage,
        fallback,
        leave,
        leave_approval,
        registration,
        strangers,
        visits,
    )

    return [
        registration.build_router(),
        common.build_router(),
        leave.build_router(),
        leave_approval.build_router(),
        visits.build_router(),
        coverage.build_router(),
        fallback.build_router(),
        strangers.build_router(),
    ]
