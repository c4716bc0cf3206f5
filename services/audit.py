"""The audit trail: every state change with who, when, from and to."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.workflow import AuditEvent


async def record(
    session: AsyncSession,
    *,
    entity: str,
    entity_id: int | None,
    action: str,
    at: datetime,
    actor_person_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    note: str = "",
) -> None:
    session.add(
        AuditEvent(
            entity=entity,
            entity_id=entity_id,
            action=action,
            from_state=from_state,
            to_state=to_state,
            actor_person_id=actor_person_id,
            at=at,
            note=note,
        )
    )


async def trail(session: AsyncSession, entity: str, entity_id: int) -> list[AuditEvent]:
    result = await session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.entity) == entity, col(AuditEvent.entity_id) == entity_id)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    return list(result.all())
