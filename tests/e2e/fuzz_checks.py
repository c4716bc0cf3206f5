"""What must hold after a fuzz run (tests/e2e/fuzz_world.py): nothing logged at ERROR,
nobody told of a crash or that nothing was saved, every press answered, no call against
the Bot API spec, no paired household's name in a group."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import col, select

from models.enums import OutboxState
from models.tables import Household, Pairing
from models.workflow import OutboxMessage
from sandbox.telegram.emulator import BotApiSandbox

if TYPE_CHECKING:
    from tests.e2e.conftest import Harness

MISLEADING = ("Traceback", "没有保存任何内容", "nothing was saved")


async def paired_household_names(harness: Harness) -> list[str]:
    async with await harness.ctx.uow() as uow:
        query = select(Household.head_name).join(
            Pairing, col(Pairing.household_id) == col(Household.id)
        )
        return sorted(set((await uow.session.exec(query)).all()))


async def settle(harness: Harness, timeout: float = 20) -> None:  # noqa: ASYNC109
    """Until the relay has sent (or given up on) every notice the sweeps queued."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        async with await harness.ctx.uow() as uow:
            query = select(OutboxMessage.id).where(col(OutboxMessage.state) == OutboxState.PENDING)
            if not (await uow.session.exec(query)).first():
                return
        await asyncio.sleep(0.1)


@dataclass
class Findings:
    errors: list[str]  # ERROR log lines (with their exception)
    misled: list[str]  # texts telling a person of a crash or of nothing saved
    unanswered: list[str]  # presses never answered
    violations: list[str]  # Bot API calls against the spec
    leaked: list[str]  # a household's name in a group

    def problems(self) -> dict[str, list[str]]:
        return {k: v for k, v in vars(self).items() if v}


def findings(
    sandbox: BotApiSandbox, records: list[logging.LogRecord], household_names: list[str]
) -> Findings:
    errors = [
        f"{r.name}: {r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else r.getMessage()
        for r in records
        if r.levelno >= logging.ERROR
    ]
    texts: list[tuple[int, str]] = []
    for message in sandbox.sent():
        versions = [*message.edits, message.raw]
        texts += [(message.chat_id, str(v.get("text", v.get("caption", "")))) for v in versions]
    answers = [str((c.answer or {}).get("text", "")) for c in sandbox.callbacks.values()]
    misled = [
        text[:200]
        for text in [*(t for _, t in texts), *answers]
        if any(word in text for word in MISLEADING)
    ]
    leaked = [
        f"{chat}: {text[:200]}"
        for chat, text in texts
        if chat < 0 and any(name in text for name in household_names)
    ]
    unanswered = [f"chat {c.chat_id}: {c.data!r}" for c in sandbox.unanswered_callbacks()]
    return Findings(errors, misled, unanswered, list(sandbox.violations), leaked)
