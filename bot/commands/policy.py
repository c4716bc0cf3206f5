"""``zhucun policy``: the policy packs, and who approves a leave under one of them."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator

from bot.cli_language import cli, t
from bot.commands.base import CliError, Subparsers, add
from bot.commands.calendar import parse_day
from bot.context import AppContext
from locales import N_
from models.enums import ApproverKind
from services.calendar import WorkCalendar, load_calendar
from services.errors import DomainError
from services.leave.routing import LeaveRoute, count_leave_days, route_leave
from services.policy import PolicyPack
from services.policy_loading import list_packs, load_pack

# Posts' and kinds' names as the documents (Chinese) and their English readers say them.
APPROVERS: dict[ApproverKind, tuple[str, str]] = {
    ApproverKind.VILLAGE_PARTY_ORG: ("村党组织", "village party organisation"),
    ApproverKind.TOWNSHIP_PARTY_COMMITTEE: ("乡镇党委", "township party committee"),
    ApproverKind.COUNTY_LEADING_GROUP_OFFICE: (
        "县驻村工作领导小组办公室",
        "county leading group office",
    ),
    ApproverKind.COUNTY_LEADING_GROUP: ("县驻村工作领导小组", "county leading group"),
    ApproverKind.COUNTY_ORG_DEPT: ("县委组织部", "county organisation department"),
    ApproverKind.DISPATCHING_UNIT: ("派出单位", "dispatching unit"),
}
KINDS = {
    "personal": "事假",
    "sick": "病假",
    "annual": "年休假",
    "business": "出差",
    "meeting": "开会",
    "training": "培训",
}


def _zh() -> bool:
    return cli().language == "zh"


def _post(approver: ApproverKind) -> str:
    return APPROVERS[approver][0 if _zh() else 1]


def _kind(kind: str) -> str:
    return KINDS.get(kind, kind) if _zh() else kind


def _span(low: int, high: int | None) -> str:
    return f"{low}+" if high is None else (f"{low}" if low == high else f"{low}–{high}")


def pack_or_fail(pack_id: str) -> PolicyPack:
    """The pack, or the one-line error naming the packs there are."""
    try:
        return load_pack(pack_id)
    except DomainError as exc:
        if exc.code != "policy_unknown":
            raise
        raise CliError(
            t(
                "unknown policy {policy!r} (known: {known})",
                policy=pack_id,
                known=exc.params["known"],
            )
        ) from None


LEVELS = {
    "national": N_("national"),
    "province": N_("province"),
    "city": N_("city"),
    "county": N_("county"),
}


async def _list(args: argparse.Namespace, ctx: AppContext) -> int:
    for pack in list_packs():
        level = t(LEVELS[pack.level]) if pack.level in LEVELS else pack.level
        print(f"{pack.id:<15} {level:<9} {pack.year}  {pack.title}")
    return 0


def _summary(pack: PolicyPack) -> Iterator[str]:
    team, leave, presence, visits = pack.team, pack.leave, pack.presence, pack.visits
    money, recall, training, cal = pack.money, pack.recall, pack.training, pack.calendar
    sep = t(", ")
    yield f"{pack.id}: {pack.title} ({pack.level}, {pack.year})"
    yield t("  documents:")
    for document in pack.documents:
        short = f"{document.short}: " if document.short else ""
        yield f"    {short}{document.citation()}"
    if pack.based_on:
        yield t(
            "  values the documents leave open come from: {sources}",
            sources=sep.join(pack.based_on),
        )
    term = t("{years} years", years=team.term_years) if team.term_years else t("not set")
    if team.term_end_date:
        term += t(", ending {date}", date=team.term_end_date)
    yield t("team: at least {n} people; term {term}", n=team.min_members, term=term)
    counted_days = t("working days") if leave.day_count == "working" else t("calendar days")
    yield t("leave ({count}, first and last day included):", count=counted_days)
    for tier in leave.tiers:
        extra = t(", replacement required") if tier.replacement_required else ""
        days = _span(tier.min_days, tier.max_days)
        yield t(
            "  {days:>6} days  {post}{extra}  [{source}]",
            days=days,
            post=_post(tier.approver),
            extra=extra,
            source=tier.source,
        )
    yield t(
        "  approver reminded after {reminder} h, escalated after {escalation} h: {chain}",
        reminder=leave.reminder_hours,
        escalation=leave.escalation_hours,
        chain=" → ".join(_post(a) for a in leave.escalation),
    )
    yield t("  emergency leave: paperwork within {days} days", days=leave.emergency_completion_days)
    yield t(
        "  kinds: {kinds}; official business: {official}",
        kinds=sep.join(_kind(k) for k in leave.kinds),
        official=sep.join(_kind(k) for k in leave.official_business_kinds),
    )
    yield t(
        "presence: at least {days} days a month (counting {classes}); check-in radius "
        "{radius:g} km; spot checks answered within {minutes} min",
        days=presence.min_days_per_month,
        classes=sep.join(presence.counted_classes),
        radius=presence.radius_km,
        minutes=presence.spot_check_deadline_minutes,
    )
    yield t(
        "visits: households per cadre {households}, each visited at least {n}× a quarter "
        "({modes} counts)",
        households=visits.households_per_cadre,
        n=visits.min_per_quarter,
        modes=sep.join(visits.counted_modes),
    )
    rates = [
        t("allowance {n} yuan/day", n=money.allowance_per_day) if money.allowance_per_day else "",
        t("transport {n} yuan/km", n=money.transport_per_km) if money.transport_per_km else "",
        t("≤ {n} round trips a month", n=money.transport_max_round_trips_per_month)
        if money.transport_max_round_trips_per_month
        else "",
        t("team fund ≥ {n} yuan a year", n=money.team_fund_per_year)
        if money.team_fund_per_year
        else "",
    ]
    yield t(
        "money: {rates}",
        rates=t("; ").join(r for r in rates if r) or t("no rates set (local rates apply)"),
    )
    sanctions = [
        t("notice at {n}", n=recall.notice_at_confirmed_absences)
        if recall.notice_at_confirmed_absences
        else "",
        t("recall at {n}", n=recall.recall_at_confirmed_absences)
        if recall.recall_at_confirmed_absences
        else "",
        t("no award at {n}", n=recall.no_award_at_confirmed_absences)
        if recall.no_award_at_confirmed_absences
        else "",
    ]
    counted = sep.join(s for s in sanctions if s)
    yield t(
        "recall: {counted}proposed by {proposer}, decided by {decider}; {n} grounds",
        counted=t("{sanctions} unexplained absences; ", sanctions=counted) if counted else "",
        proposer=_post(recall.proposed_by),
        decider=_post(recall.decided_by),
        n=len(recall.grounds),
    )
    if training.min_days_per_year or training.county_training_per_term:
        yield t(
            "training: {days} days a year; {county} county training per term",
            days=training.min_days_per_year or "-",
            county=training.county_training_per_term or "-",
        )
    yield t(
        "supervision: dispatch check {dispatch}, leader meeting {meeting}, work report "
        "{report}, assessment {assessment}",
        dispatch=cal.dispatch_check,
        meeting=cal.leader_meeting,
        report=cal.work_report,
        assessment=cal.assessment,
    )


async def _show(args: argparse.Namespace, ctx: AppContext) -> int:
    pack = pack_or_fail(args.id)
    if args.json:
        print(json.dumps(pack.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print("\n".join(_summary(pack)))
    return 0


async def _days(args: argparse.Namespace, ctx: AppContext, pack: PolicyPack) -> int:
    """Leave length from --days, or counted from --start/--end as the pack says."""
    ranged = args.start is not None or args.end is not None
    if args.days is not None and ranged:
        raise CliError(t("give either --days or --start/--end, not both"))
    if args.days is None and not ranged:
        raise CliError(t("give --days N, or --start YYYY-MM-DD and --end YYYY-MM-DD"))
    if args.days is not None:
        return int(args.days)
    if args.start is None or args.end is None:
        raise CliError(t("--start and --end go together"))
    start, end = parse_day(args.start, "--start"), parse_day(args.end, "--end")
    if end < start:
        raise CliError(t("--end {end} is before --start {start}", end=end, start=start))
    calendar = WorkCalendar()
    if pack.leave.day_count == "working":  # only working days need the administrator's overrides
        async with await ctx.uow() as uow:
            calendar = await load_calendar(uow.session)
    days = count_leave_days(pack, start, end, calendar)
    if days < 1:
        raise CliError(
            t(
                "no working days from {start} to {end}; {policy} counts working days",
                start=start,
                end=end,
                policy=pack.id,
            )
        )
    return days


def _line(pack: PolicyPack, days: int, route: LeaveRoute) -> str:
    if _zh():
        text = f"请{KINDS.get(route.kind or '', '假')}{days}天，由{_post(route.approver)}审批"
    else:
        kind = f"{route.kind} " if route.kind else ""
        text = f"{days}-day {kind}leave is approved by the {_post(route.approver)}"
    if route.replacement_required:
        text += t("; the dispatching unit must arrange a replacement")
    tier = _span(route.min_days, route.max_days)
    return t(
        "{policy}: {text} (tier {tier} days; {source})",
        policy=pack.id,
        text=text,
        tier=tier,
        source=route.source,
    )


async def _route(args: argparse.Namespace, ctx: AppContext) -> int:
    pack = pack_or_fail(args.policy or ctx.settings.policy)
    days = await _days(args, ctx, pack)
    if days < 1:
        raise CliError(t("--days must be at least 1, not {days}", days=days))
    if args.kind is not None and args.kind not in pack.leave.kinds:
        raise CliError(
            t(
                "unknown leave kind {kind!r} (known: {known})",
                kind=args.kind,
                known=", ".join(pack.leave.kinds),
            )
        )
    route = route_leave(pack, days, args.kind)
    if not args.json:
        print(_line(pack, days, route))
        return 0
    out: dict[str, object] = {
        "policy": pack.id,
        "days": days,
        "approver": route.approver.value,
        "replacement_required": route.replacement_required,
        "kind": route.kind,
    }
    if args.start is not None:
        out |= {"start": args.start, "end": args.end}
    out |= {"day_count": pack.leave.day_count, "tier": [route.min_days, route.max_days]}
    print(json.dumps(out, ensure_ascii=False))
    return 0


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "policy",
        help=t("policy packs: list, show, route"),
        description=t("The policy packs (rules as data) and leave routing under them."),
    )
    actions = parser.add_subparsers(dest="policy_command", metavar=t("ACTION"), required=True)
    add(actions, "list", _list, N_("list the policy packs"))
    show = add(actions, "show", _show, N_("summarise one policy pack"))
    show.add_argument("id", help=t("pack id, e.g. ganzhou-2021"))
    show.add_argument("--json", action="store_true", help=t("print the whole pack as JSON"))
    route = add(actions, "route", _route, N_("who approves a leave of N days (or from/to dates)"))
    route.add_argument("--policy", help=t("pack id (default: ZHUCUN_POLICY)"))
    route.add_argument("--days", type=int, help=t("length of the leave in days"))
    route.add_argument("--start", help=t("first day of leave, YYYY-MM-DD"))
    route.add_argument("--end", help=t("last day of leave, YYYY-MM-DD"))
    route.add_argument(
        "--kind", metavar="KIND", help=t("kind of leave: {kinds}", kinds="|".join(KINDS))
    )
    route.add_argument("--json", action="store_true", help=t("print one JSON object"))
