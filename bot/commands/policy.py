"""``zhucun policy``: the policy packs, and who approves a leave under one of them."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator

from bot.commands.base import CliError, Subparsers, add
from bot.commands.calendar import parse_day
from bot.context import AppContext
from models.enums import ApproverKind
from services.calendar import WorkCalendar, load_calendar
from services.errors import DomainError
from services.leave.routing import LeaveRoute, count_leave_days, route_leave
from services.policy import PolicyPack
from services.policy_loading import list_packs, load_pack

# The operator's terminal gets both languages; chat users get gettext-translated labels.
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


def _zh(approver: ApproverKind) -> str:
    return APPROVERS[approver][0]


def _en(approver: ApproverKind) -> str:
    return APPROVERS[approver][1]


def _span(low: int, high: int | None) -> str:
    return f"{low}+" if high is None else (f"{low}" if low == high else f"{low}–{high}")


def pack_or_fail(pack_id: str) -> PolicyPack:
    """The pack, or the one-line error naming the packs there are."""
    try:
        return load_pack(pack_id)
    except DomainError as exc:
        if exc.code != "policy_unknown":
            raise
        raise CliError(f"unknown policy {pack_id!r} (known: {exc.params['known']})") from None


async def _list(args: argparse.Namespace, ctx: AppContext) -> int:
    for pack in list_packs():
        print(f"{pack.id:<15} {pack.level:<9} {pack.year}  {pack.title}")
    return 0


def _summary(pack: PolicyPack) -> Iterator[str]:
    team, leave, presence, visits = pack.team, pack.leave, pack.presence, pack.visits
    money, recall, training, cal = pack.money, pack.recall, pack.training, pack.calendar
    yield f"{pack.id}: {pack.title} ({pack.level}, {pack.year})"
    yield "  documents:"
    for document in pack.documents:
        short = f"{document.short}: " if document.short else ""
        yield f"    {short}{document.citation()}"
    if pack.based_on:
        yield f"  values the documents leave open come from: {', '.join(pack.based_on)}"
    term = f"{team.term_years} years" if team.term_years else "not set"
    if team.term_end_date:
        term += f", ending {team.term_end_date}"
    yield f"team: at least {team.min_members} people; term {term}"
    yield f"leave 请假 ({leave.day_count} days, first and last day included):"
    for tier in leave.tiers:
        extra = ", replacement required 须安排接替" if tier.replacement_required else ""
        days = _span(tier.min_days, tier.max_days)
        yield f"  {days:>6} days  {_zh(tier.approver)} {_en(tier.approver)}{extra}  [{tier.source}]"
    chain = " → ".join(_en(a) for a in leave.escalation)
    yield (
        f"  approver reminded after {leave.reminder_hours} h, escalated after "
        f"{leave.escalation_hours} h: {chain}"
    )
    yield f"  emergency leave: paperwork within {leave.emergency_completion_days} days"
    official = ", ".join(leave.official_business_kinds)
    yield f"  kinds: {', '.join(leave.kinds)}; official business: {official}"
    yield (
        f"presence 驻村: at least {presence.min_days_per_month} days a month "
        f"(counting {', '.join(presence.counted_classes)}); "
        f"check-in radius {presence.radius_km:g} km; "
        f"spot checks answered within {presence.spot_check_deadline_minutes} min"
    )
    yield (
        f"visits 走访: households per cadre {visits.households_per_cadre}, each visited at least "
        f"{visits.min_per_quarter}× a quarter ({', '.join(visits.counted_modes)} counts)"
    )
    rates = [
        f"allowance {money.allowance_per_day} yuan/day" if money.allowance_per_day else "",
        f"transport {money.transport_per_km} yuan/km" if money.transport_per_km else "",
        f"≤ {money.transport_max_round_trips_per_month} round trips a month"
        if money.transport_max_round_trips_per_month
        else "",
        f"team fund ≥ {money.team_fund_per_year} yuan a year" if money.team_fund_per_year else "",
    ]
    yield "money 经费: " + ("; ".join(r for r in rates if r) or "no rates set (local rates apply)")
    sanctions = [
        f"notice at {recall.notice_at_confirmed_absences}"
        if recall.notice_at_confirmed_absences
        else "",
        f"recall at {recall.recall_at_confirmed_absences}"
        if recall.recall_at_confirmed_absences
        else "",
        f"no award at {recall.no_award_at_confirmed_absences}"
        if recall.no_award_at_confirmed_absences
        else "",
    ]
    counted = ", ".join(s for s in sanctions if s)
    yield (
        f"recall 召回: {counted + ' unexplained absences; ' if counted else ''}"
        f"proposed by {_en(recall.proposed_by)}, decided by {_en(recall.decided_by)}; "
        f"{len(recall.grounds)} grounds"
    )
    if training.min_days_per_year or training.county_training_per_term:
        yield (
            f"training 培训: {training.min_days_per_year or '-'} days a year; "
            f"{training.county_training_per_term or '-'} county training per term"
        )
    yield (
        f"supervision 督导: dispatch check {cal.dispatch_check}, "
        f"leader meeting {cal.leader_meeting}, work report {cal.work_report}, "
        f"assessment {cal.assessment}"
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
        raise CliError("give either --days or --start/--end, not both")
    if args.days is None and not ranged:
        raise CliError("give --days N, or --start YYYY-MM-DD and --end YYYY-MM-DD")
    if args.days is not None:
        return int(args.days)
    if args.start is None or args.end is None:
        raise CliError("--start and --end go together")
    start, end = parse_day(args.start, "--start"), parse_day(args.end, "--end")
    if end < start:
        raise CliError(f"--end {end} is before --start {start}")
    calendar = WorkCalendar()
    if pack.leave.day_count == "working":  # only working days need the administrator's overrides
        async with await ctx.uow() as uow:
            calendar = await load_calendar(uow.session)
    days = count_leave_days(pack, start, end, calendar)
    if days < 1:
        raise CliError(f"no working days from {start} to {end}; {pack.id} counts working days")
    return days


def _line(pack: PolicyPack, days: int, route: LeaveRoute) -> str:
    kind_zh = KINDS.get(route.kind or "", "假")
    kind_en = f"{route.kind} " if route.kind else ""
    zh = f"请{kind_zh}{days}天，由{_zh(route.approver)}审批"
    en = f"{days}-day {kind_en}leave is approved by the {_en(route.approver)}"
    if route.replacement_required:
        zh += "；派出单位须安排人员接替"
        en += "; the dispatching unit must arrange a replacement"
    tier = _span(route.min_days, route.max_days)
    return f"{pack.id}: {zh} / {en} (tier {tier} days; {route.source})"


async def _route(args: argparse.Namespace, ctx: AppContext) -> int:
    pack = pack_or_fail(args.policy or ctx.settings.policy)
    days = await _days(args, ctx, pack)
    if days < 1:
        raise CliError(f"--days must be at least 1, not {days}")
    if args.kind is not None and args.kind not in pack.leave.kinds:
        raise CliError(f"unknown leave kind {args.kind!r} (known: {', '.join(pack.leave.kinds)})")
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
        help="policy packs: list, show, route",
        description="The policy packs (rules as data) and leave routing under them.",
    )
    actions = parser.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    add(actions, "list", _list, "list the policy packs")
    show = add(actions, "show", _show, "summarise one policy pack")
    show.add_argument("id", help="pack id, e.g. ganzhou-2021")
    show.add_argument("--json", action="store_true", help="print the whole pack as JSON")
    route = add(actions, "route", _route, "who approves a leave of N days (or from/to dates)")
    route.add_argument("--policy", help="pack id (default: ZHUCUN_POLICY)")
    route.add_argument("--days", type=int, help="length of the leave in days")
    route.add_argument("--start", help="first day of leave, YYYY-MM-DD")
    route.add_argument("--end", help="last day of leave, YYYY-MM-DD")
    route.add_argument("--kind", metavar="KIND", help=f"kind of leave: {'|'.join(KINDS)}")
    route.add_argument("--json", action="store_true", help="print one JSON object")
