"""``zhucun outbox``: what the relay has sent, what waits, and what failed and why.

No message text is printed (it may hold personal data): rows are shown by id, chat,
template and Telegram's reason.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.commands.base import CliError, Subparsers, add
from bot.context import AppContext
from models.enums import OutboxState

if TYPE_CHECKING:
    from services.messaging.outbox_status import OutboxStatus, ProblemRow

LIST_LIMIT = 20


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{max(seconds, 0)} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _when(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at else "-"


def _rows(title: str, rows: list[ProblemRow], total: int, zone: ZoneInfo) -> list[str]:
    if not total:
        return []
    shown = f" (newest {len(rows)})" if total > len(rows) else ""
    lines = [f"{title}: {total}{shown}"]
    for r in rows:
        who = f"person {r.person_id}" if r.person_id else "group" if r.is_group else "chat"
        lines.append(
            f"  #{r.id:<6} {_when(r.created_at, zone)}  {r.template:<24} to {who} "
            f"({r.channel} chat {r.chat_id}), {r.attempts} attempt(s)"
        )
        lines.append(f"          {r.error or '(no reason recorded)'}")
    return lines


def render_status(report: OutboxStatus, zone: ZoneInfo) -> str:
    counts = report.counts
    lines = [
        "outbox: "
        + ", ".join(f"{counts[state]} {state.value}" for state in OutboxState)
        + f" (in flight {report.in_flight}, due now {report.due})"
    ]
    if report.oldest_pending is not None and report.oldest_pending_age is not None:
        lines.append(
            f"oldest pending: created {_when(report.oldest_pending, zone)}, "
            f"{_age(report.oldest_pending_age)} ago"
        )
    lines += _rows("dead", report.dead, counts[OutboxState.DEAD], zone)
    lines += _rows("uncertain", report.uncertain, counts[OutboxState.UNCERTAIN], zone)
    if counts[OutboxState.UNCERTAIN]:
        lines.append(
            "  uncertain rows may have arrived: ask the recipient, then "
            "`zhucun outbox retry <id>` to send again"
        )
    return "\n".join(lines)


async def _status(args: argparse.Namespace, ctx: AppContext) -> int:
    from services.messaging import outbox_status

    async with await ctx.uow() as uow:
        report = await outbox_status.status(uow.session, ctx.clock.now(), limit=args.limit)
    print(render_status(report, ctx.settings.zone))
    return 0


async def _retry(args: argparse.Namespace, ctx: AppContext) -> int:
    chosen = [args.id is not None, args.dead, args.uncertain]
    if sum(chosen) != 1:
        raise CliError("give one of: a row id, --dead or --uncertain")
    from services.messaging import outbox_status

    async with await ctx.uow() as uow:
        count = await outbox_status.retry(
            uow.session, args.id, dead=args.dead, uncertain=args.uncertain, now=ctx.clock.now()
        )
        await uow.commit()
    if args.id is not None and count == 0:
        raise CliError(
            f"outbox row #{args.id} is not dead or uncertain (see `zhucun outbox status`)"
        )
    kind = "dead" if args.dead else "uncertain"
    if count == 0:
        print(f"no {kind} rows")
        return 0
    what = f"row #{args.id}" if args.id is not None else f"{count} {kind} row(s)"
    print(f"{what} queued again; the running bot sends within its poll interval")
    return 0


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "outbox",
        help="outbox: status, retry",
        description="Messages the bot sends to people other than the sender.",
    )
    actions = parser.add_subparsers(dest="outbox_command", metavar="ACTION", required=True)
    status = add(
        actions,
        "status",
        _status,
        "counts by state, the oldest pending message, dead and uncertain rows with reasons",
    )
    status.add_argument(
        "--limit", type=int, default=LIST_LIMIT, help=f"rows listed per kind (default {LIST_LIMIT})"
    )
    retry = add(actions, "retry", _retry, "queue dead or uncertain rows again")
    retry.add_argument("id", nargs="?", type=int, help="the row id shown by `outbox status`")
    retry.add_argument("--dead", action="store_true", help="every dead row")
    retry.add_argument(
        "--uncertain",
        action="store_true",
        help="every uncertain row (they may have arrived already: they would arrive twice)",
    )
