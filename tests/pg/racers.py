"""What a second process runs in the concurrency tests (not a test module itself).

    python -c "from tests.pg.racers import main; main()" decide URL LEAVE PERSON APPROVE NOW

decides one leave in a unit of work of its own, commits, and prints the decision as one
line of JSON: ``{"decided_now": ..., "approved": ..., "decided_by": ...}``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from models.db import UnitOfWork, create_engine, session_factory
from services.leave import approvals
from services.policy_loading import load_pack

PACK = "ganzhou-2021"
REASON = "人手不足，请改期"  # a rejection needs one


async def decide(url: str, leave_id: int, person_id: int, approve: bool, now: datetime) -> None:
    engine = create_engine(url)
    try:
        async with UnitOfWork(session_factory(engine)) as uow:
            decision = await approvals.decide(
                uow.session,
                load_pack(PACK),
                leave_id,
                person_id,
                approve=approve,
                note="" if approve else REASON,
                now=now,
                zone=ZoneInfo("Asia/Shanghai"),
            )
            await uow.commit()
    finally:
        await engine.dispose()
    print(
        json.dumps(
            {
                "decided_now": decision.decided_now,
                "approved": decision.approved,
                "decided_by": decision.decided_by,
            },
            ensure_ascii=False,
        ),
        flush=True,
    )


def main() -> None:
    what, *args = sys.argv[1:]
    if what != "decide":
        raise SystemExit(f"unknown racer {what!r}")
    url, leave_id, person_id, approve, now = args
    asyncio.run(
        decide(url, int(leave_id), int(person_id), approve == "1", datetime.fromisoformat(now))
    )
