"""``zhucun invite``: one-time registration links for people on the roster."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from bot.commands.base import CliError, Subparsers, add
from bot.context import AppContext
from services.errors import DomainError

CSV_HEADER = ["姓名", "手机", "链接", "有效期至"]


async def bot_username(ctx: AppContext) -> str:
    """From ZHUCUN_BOT_USERNAME, else asked of Telegram (getMe) with the token."""
    if ctx.settings.bot_username:
        return ctx.settings.bot_username.lstrip("@")
    token = ctx.settings.token
    if token is None:
        raise CliError(
            "the link must name the bot: set ZHUCUN_BOT_USERNAME, "
            "or ZHUCUN_BOT_TOKEN to ask Telegram"
        )
    from aiogram.exceptions import TelegramAPIError, TelegramNetworkError

    from bot.telegram.runtime import build_bot

    bot = build_bot(token, ctx.settings.bot_api_url)
    try:
        me = await bot.get_me()
    except (TelegramAPIError, TelegramNetworkError) as exc:
        raise CliError(
            f"could not ask Telegram for the bot's username ({type(exc).__name__}); "
            "set ZHUCUN_BOT_USERNAME instead"
        ) from exc
    finally:
        await bot.session.close()
    return me.username or ""


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    # utf-8-sig: Excel opens it with the Chinese intact.
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_HEADER)
        writer.writerows(rows)


def link(username: str, token: str) -> str:
    return f"https://t.me/{username}?start={token}"


async def _invite(args: argparse.Namespace, ctx: AppContext) -> int:
    if bool(args.phone) == bool(args.all):
        raise CliError("give either a phone number or --all")
    if args.all and not args.out:
        raise CliError("--all writes a CSV file: add --out invites.csv")
    from services.roster import invites
    from services.roster.accounts import TELEGRAM, account_of

    username = await bot_username(ctx)
    zone = ctx.settings.zone
    async with await ctx.uow() as uow:
        if args.all:
            people = await invites.unregistered_people(uow.session)
        else:
            try:
                people = [await invites.person_by_phone(uow.session, args.phone)]
            except DomainError as exc:
                raise CliError(f"no one with phone {args.phone} is on the roster") from exc
            bound = await account_of(uow.session, people[0].id or 0, TELEGRAM)
            if bound is not None and not args.rebind:
                raise CliError(
                    f"{people[0].name} is already registered; add --rebind to move them "
                    "to a new Telegram account"
                )
        issued = [await invites.issue(uow.session, person, ctx.clock.now()) for person in people]
        if args.all:
            out = Path(args.out)
            out.parent.mkdir(parents=True, exist_ok=True)
            rows = [
                [
                    inv.name,
                    inv.phone,
                    link(username, inv.token),
                    inv.expires_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                ]
                for inv in issued
            ]
            _write_csv(out, rows)
        await uow.commit()
    if args.all:
        print(
            f"{len(issued)} invitation links written to {args.out} (valid 7 days, each works once)"
        )
    else:
        inv = issued[0]
        expires = inv.expires_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        print(link(username, inv.token))
        print(f"for {inv.name}, works once, valid until {expires} ({ctx.settings.timezone})")
    return 0


def register(sub: Subparsers) -> None:
    parser = add(sub, "invite", _invite, "print one-time registration links (t.me deep links)")
    parser.add_argument("phone", nargs="?", help="the person's phone number as on the roster")
    parser.add_argument("--all", action="store_true", help="everyone not yet registered")
    parser.add_argument("--out", help="CSV file to write with --all")
    parser.add_argument(
        "--rebind", action="store_true", help="invite a registered person to a new account"
    )
