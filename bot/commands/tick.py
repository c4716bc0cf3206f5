"""``zhucun tick``: run every sweep once, as of now or of a given instant.

For operators (catch up by hand, see what a day would send) and tests. It only queues
messages in the outbox: the relay of a running bot or worker sends them. Rows queued "as
of" a future instant wait until then (their not-before is that instant).
"""

from __future__ import annotations

import argparse
from datetime import datetime

from bot.cli_language import t
from bot.commands.base import CliError, Subparsers, add
from bot.context import AppContext
from locales import N_
from services.clock import FixedClock
from services.policy_loading import load_pack

EXAMPLE = "2026-12-20T09:00+08:00"
# What each sweep does, beside its name (the name is what the log says).
SWEEP_WORDS = {
    "close_out_of_post": N_("requests of cadres no longer in post closed"),
    "pending_approvals": N_("approvers reminded, requests escalated"),
    "unreturned": N_("cadres reminded to report back from leave"),
    "emergency_paperwork": N_("emergency leave paperwork chased"),
    "expire_checks": N_("unanswered spot checks closed"),
    "draft_sheets": N_("attendance sheets drafted"),
    "visit_due": N_("visit reminders"),
    "risk_follow_up": N_("unacknowledged risk flags chased"),
    "monthly_dispatch": N_("monthly dispatch check"),
    "training": N_("training reminders"),
    "half_year_reports": N_("half-year work reports chased"),
    "leader_meeting": N_("leading group meeting reminders"),
    "unit_duties": N_("dispatching units' duties reminded"),
    "term_end": N_("term end reminders"),
    "holidays_unknown": N_("next year's holidays still unknown (December)"),
}


def parse_instant(text: str, ctx: AppContext) -> datetime:
    """An ISO 8601 date and time; without an offset, in the deployment's zone."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise CliError(
            t(
                "--at {text!r}: expected a date and time such as {example}",
                text=text,
                example=EXAMPLE,
            )
        ) from exc
    return at if at.tzinfo is not None else at.replace(tzinfo=ctx.settings.zone)


async def _tick(args: argparse.Namespace, ctx: AppContext) -> int:
    from services.operations.schedule import FAILED, run_all

    at = parse_instant(args.at, ctx) if args.at is not None else ctx.clock.now()
    clock = FixedClock(at)
    pack = load_pack(ctx.settings.policy)
    counts = await run_all(await ctx.sessions(), pack, clock.now(), ctx.settings.zone)
    local = clock.now().astimezone(ctx.settings.zone)
    print(
        t(
            "tick as of {when} ({zone})",
            when=local.isoformat(timespec="minutes"),
            zone=ctx.settings.timezone,
        )
    )
    width = max(len(name) for name in counts)
    failed = t("failed (see the log)")
    for name, count in counts.items():
        said = failed if count == FAILED else str(count)
        words = t(SWEEP_WORDS[name]) if name in SWEEP_WORDS else ""
        print(f"{name:<{width}}  {said:<4}  {words}".rstrip())
    return 1 if FAILED in counts.values() else 0


def register(sub: Subparsers) -> None:
    parser = add(
        sub,
        "tick",
        _tick,
        N_(
            "run every scheduled sweep once (reminders, escalations, sheets, the dispatch "
            "check) and print what each did; messages are queued for the running bot to send"
        ),
    )
    parser.add_argument(
        "--at",
        metavar="WHEN",
        help=t(
            "as of this instant, e.g. {example} (no offset: the deployment's time zone); "
            "default: now",
            example=EXAMPLE,
        ),
    )
