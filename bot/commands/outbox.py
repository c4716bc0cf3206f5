"""``zhucun outbox``: what the relay has sent, what waits, and what failed and why.

No message text is printed (it may hold personal data): rows are shown by id, chat,
template and Telegram's reason.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.cli_language import t
from bot.commands.base import CliError, Subparsers, add
from bot.context import AppContext
from locales import N_
from models.enums import OutboxState

if TYPE_CHECKING:
    from services.messaging.outbox_status import OutboxStatus, ProblemRow

LIST_LIMIT = 20
STATE_WORDS = {
    OutboxState.PENDING: N_("pending"),
    OutboxState.SENT: N_("sent"),
    OutboxState.DEAD: N_("dead"),
    OutboxState.UNCERTAIN: N_("uncertain"),
}


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return t("{n} s", n=max(seconds, 0))
    if seconds < 7200:
        return t("{n} min", n=seconds // 60)
    if seconds < 172800:
        return t("{n} h", n=seconds // 3600)
    return t("{n} days", n=seconds // 86400)


def _when(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at else "-"


def _rows(title: str, rows: list[ProblemRow], total: int, zone: ZoneInfo) -> list[str]:
    if not total:
        return []
    shown = t(" (newest {n})", n=len(rows)) if total > len(rows) else ""
    lines = [t("{title}: {total}{shown}", title=title, total=total, shown=shown)]
    for r in rows:
        if r.person_id:
            who = t("person {id}", id=r.person_id)
        else:
            who = t("group") if r.is_group else t("chat")
        lines.append(
            f"  #{r.id:<6} {_when(r.created_at, zone)}  {r.template:<24} "
            + t(
                "to {who} ({channel} chat {chat}), {attempts} attempt(s)",
                who=who,
                channel=r.channel,
                chat=r.chat_id,
                attempts=r.attempts,
            )
        )
        lines.append(f"          {r.error or t('(no reason recorded)')}")
    return lines


def render_status(report: OutboxStatus, zone: ZoneInfo) -> str:
    counts = report.counts
    lines = [
        t(
            "outbox: {counts} (in flight {in_flight}, due now {due})",
            counts=t(", ").join(
                f"{counts[state]} {t(STATE_WORDS[state])}" for state in OutboxState
            ),
            in_flight=report.in_flight,
            due=report.due,
        )
    ]
    if report.oldest_pending is not None and report.oldest_pending_age is not None:
        lines.append(
            t(
                "oldest pending: created {when}, {age} ago",
                when=_when(report.oldest_pending, zone),
                age=_age(report.oldest_pending_age),
            )
        )
    dead, uncertain = OutboxState.DEAD, OutboxState.UNCERTAIN
    lines += _rows(t(STATE_WORDS[dead]), report.dead, counts[dead], zone)
    lines += _rows(t(STATE_WORDS[uncertain]), report.uncertain, counts[uncertain], zone)
    if counts[OutboxState.UNCERTAIN]:
        lines.append(
            t(
                "  uncertain rows may have arrived: ask the recipient, then "
                "`zhucun outbox retry <id>` to send again"
            )
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
        raise CliError(t("give one of: a row id, --dead or --uncertain"))
    from models.workflow import OutboxMessage
    from services.messaging import outbox_status

    async with await ctx.uow() as uow:
        if args.id is not None:
            row = await uow.session.get(OutboxMessage, args.id)
            if row is None:
                raise CliError(
                    t("there is no outbox row #{id} (see `zhucun outbox status`)", id=args.id), 1
                )
            if row.state not in (OutboxState.DEAD, OutboxState.UNCERTAIN):
                raise CliError(
                    t(
                        "outbox row #{id} is {state}, not dead or uncertain: only those are "
                        "sent again",
                        id=args.id,
                        state=t(STATE_WORDS[row.state]),
                    ),
                    1,
                )
        count = await outbox_status.retry(
            uow.session, args.id, dead=args.dead, uncertain=args.uncertain, now=ctx.clock.now()
        )
        await uow.commit()
    kind = t(STATE_WORDS[OutboxState.DEAD if args.dead else OutboxState.UNCERTAIN])
    if count == 0:
        print(t("no {kind} rows", kind=kind))
        return 0
    if args.id is not None:
        what = t("row #{id}", id=args.id)
    else:
        what = t("{count} {kind} row(s)", count=count, kind=kind)
    print(t("{what} queued again; the running bot sends within its poll interval", what=what))
    return 0


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "outbox",
        help=t("outbox: status, retry"),
        description=t("Messages the bot sends to people other than the sender."),
    )
    actions = parser.add_subparsers(dest="outbox_command", metavar=t("ACTION"), required=True)
    status = add(
        actions,
        "status",
        _status,
        N_("counts by state, the oldest pending message, dead and uncertain rows with reasons"),
    )
    status.add_argument(
        "--limit",
        type=int,
        default=LIST_LIMIT,
        help=t("rows listed per kind (default {limit})", limit=LIST_LIMIT),
    )
    retry = add(actions, "retry", _retry, N_("queue dead or uncertain rows again"))
    retry.add_argument("id", nargs="?", type=int, help=t("the row id shown by `outbox status`"))
    retry.add_argument("--dead", action="store_true", help=t("every dead row"))
    retry.add_argument(
        "--uncertain",
        action="store_true",
        help=t("every uncertain row (they may have arrived already: they would arrive twice)"),
    )
