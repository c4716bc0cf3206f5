"""The record of sanctions (``Sanction`` rows): one per cadre, kind and cause, audited."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.presence import Sanction
from services import audit

NOTICE = "notice"  # 全市通报 (ganzhou Art.21)
RECALL_PROPOSAL = "recall_proposal"  # 召回 proposed by threshold (ganzhou Art.21, Art.22)
NO_AWARD = "no_award"  # 取消当年评先评优资格 (qinghai-2018 item 4)
NO_PROMOTION = "no_promotion"  # 召回的两年内不得提拔使用 (qinghai-2018 item 6)


async def record(
    session: AsyncSession, cadre_id: int, kind: str, year: int, cause: str, note: str, at: datetime
) -> Sanction | None:
    """The sanction, unless this cause already produced one of this kind (then None)."""
    exists = (
        await session.exec(
            select(Sanction.id).where(
                col(Sanction.cadre_id) == cadre_id,
                col(Sanction.kind) == kind,
                col(Sanction.cause) == cause,
            )
        )
    ).first()
    if exists is not None:
        return None
    row = Sanction(cadre_id=cadre_id, kind=kind, year=year, cause=cause, at=at, note=note)
    session.add(row)
    await session.flush()
    await audit.record(
        session, entity="sanction", entity_id=row.id, action=kind, at=at, note=f"{cause} {note}"
    )
    return row


async def of_cadre(session: AsyncSession, cadre_id: int) -> list[Sanction]:
    rows = await session.exec(
        select(Sanction).where(col(Sanction.cadre_id) == cadre_id).order_by(col(Sanction.id))
    )
    return list(rows.all())
