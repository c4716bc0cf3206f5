"""Whether a cadre is still in post: from the day after their term's last day, or once a
recall has been carried out (the unit sent a replacement), they are not.

The chat applies the same rule through ``Identity.as_of``; this is the rule for services
that hold a cadre id (deciding leave, closing what they left pending).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import RecallState
from models.presence import Recall
from models.tables import Cadre

TERM_OVER = "term_over"
RECALLED = "recalled"


def _recalled() -> Any:
    return select(Recall.cadre_id).where(col(Recall.state) == RecallState.REPLACED)


def ended_clause(today: date) -> Any:
    """A WHERE clause on ``Cadre``: the cadres out of post on ``today``."""
    return or_(col(Cadre.term_end) < today, col(Cadre.id).in_(_recalled()))


async def why_out_of_post(session: AsyncSession, cadre_id: int, today: date) -> str | None:
    """``TERM_OVER`` or ``RECALLED`` for a cadre out of post on ``today``; None while in post
    (and for an id that names no cadre)."""
    cadre = await session.get(Cadre, cadre_id)
    if cadre is None:
        return None
    recalled = (await session.exec(_recalled().where(col(Recall.cadre_id) == cadre_id))).first()
    if recalled is not None:
        return RECALLED
    return TERM_OVER if today > cadre.term_end else None
