"""``zhucun audit``: the recorded history of one leave request or recall (who, when, from,
to)."""

from __future__ import annotations

import argparse

from bot.cli_language import t
from bot.commands.base import CliError, Subparsers, add
from bot.context import AppContext
from locales import N_


async def _leave(args: argparse.Namespace, ctx: AppContext) -> int:
    return await _print_trail(ctx, "leave", args.id)


async def _recall(args: argparse.Namespace, ctx: AppContext) -> int:
    return await _print_trail(ctx, "recall", args.id)


async def _print_trail(ctx: AppContext, entity: str, entity_id: int) -> int:
    from models.tables import Person
    from services import audit

    zone = ctx.settings.zone
    async with await ctx.uow() as uow:
        events = await audit.trail(uow.session, entity, entity_id)
        if not events:
            what = t("leave request") if entity == "leave" else t("recall")
            raise CliError(t("no recorded history for {what} #{id}", what=what, id=entity_id))
        for event in events:
            who = t("system")
            if event.actor_person_id is not None:
                person = await uow.session.get(Person, event.actor_person_id)
                who = person.name if person else t("person {id}", id=event.actor_person_id)
            moved = ""
            if event.from_state or event.to_state:
                moved = f" {event.from_state or '-'} → {event.to_state or '-'}"
            note = f"  ({event.note})" if event.note else ""
            print(f"{event.at.astimezone(zone):%Y-%m-%d %H:%M}  {who}  {event.action}{moved}{note}")
    return 0


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "audit", help=t("show a record's audit trail"), description=t("show a record's audit trail")
    )
    asub = parser.add_subparsers(dest="audit_kind", metavar=t("KIND"), required=True)
    leave = add(asub, "leave", _leave, N_("the history of a leave request"))
    leave.add_argument("id", type=int, help=t("the leave request's number (#id)"))
    recall = add(
        asub, "recall", _recall, N_("the history of a recall (召回): proposal to replacement")
    )
    recall.add_argument("id", type=int, help=t("the recall's number (#id)"))
