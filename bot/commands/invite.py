"""``zhucun invite``: one-time registration links for people on the roster: a Telegram
deep link, and what to send the DingTalk robot (``绑定 <token>``) when DingTalk is set up;
or, with ``--by-mobile``, binding to DingTalk by the contacts' mobile numbers
(``invite_dingtalk.py``)."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from bot.cli_language import t
from bot.commands.base import CliError, Subparsers, add
from bot.context import AppContext
from locales import N_
from services.errors import DomainError

CHANNEL_NAMES = {"telegram": N_("Telegram"), "dingtalk": N_("DingTalk")}
CSV_HEADER = ["姓名", "手机", "链接", "有效期至"]
DINGTALK_COLUMN = "钉钉单聊发送"


async def bot_username(ctx: AppContext) -> str:
    """From ZHUCUN_BOT_USERNAME, else asked of Telegram (getMe) with the token."""
    if ctx.settings.bot_username:
        return ctx.settings.bot_username.lstrip("@")
    token = ctx.settings.token
    if token is None:
        raise CliError(
            t(
                "the link must name the bot: set ZHUCUN_BOT_USERNAME, "
                "or ZHUCUN_BOT_TOKEN to ask Telegram"
            )
        )
    from aiogram.exceptions import TelegramAPIError, TelegramNetworkError

    from bot.telegram.runtime import build_bot

    bot = build_bot(token, ctx.settings.bot_api_url)
    try:
        me = await bot.get_me()
    except (TelegramAPIError, TelegramNetworkError) as exc:
        raise CliError(
            t(
                "could not ask Telegram for the bot's username ({error}); "
                "set ZHUCUN_BOT_USERNAME instead",
                error=type(exc).__name__,
            )
        ) from exc
    finally:
        await bot.session.close()
    return me.username or ""


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    # utf-8-sig: Excel opens it with the Chinese intact.
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def link(username: str, token: str) -> str:
    return f"https://t.me/{username}?start={token}"


def dingtalk_words(token: str) -> str:
    """What to send the robot in a private DingTalk chat (the adapter reads it as /start)."""
    return f"绑定 {token}"


def dingtalk_line(token: str) -> str:
    return t(
        "DingTalk: send 「{words}」 to the robot in a private chat", words=dingtalk_words(token)
    )


def _telegram(ctx: AppContext) -> bool:
    """Telegram is set up: the bot's username is known or can be asked with the token."""
    return bool(ctx.settings.bot_username or ctx.settings.token)


async def _invite(args: argparse.Namespace, ctx: AppContext) -> int:
    if args.by_mobile:
        from bot.commands.invite_dingtalk import invite_by_mobile

        return await invite_by_mobile(args, ctx)
    if bool(args.phone) == bool(args.all):
        raise CliError(t("give either a phone number or --all"))
    if args.all and not args.out:
        raise CliError(t("--all writes a CSV file: add --out invites.csv"))
    from models.enums import Channel
    from services.roster import invites
    from services.roster.accounts import account_of

    dingtalk = ctx.settings.dingtalk
    if not dingtalk and not _telegram(ctx):
        raise CliError(
            t(
                "an invitation needs a channel: set ZHUCUN_BOT_USERNAME (or ZHUCUN_BOT_TOKEN) "
                "for Telegram links, or ZHUCUN_DINGTALK_CLIENT_ID and "
                "ZHUCUN_DINGTALK_CLIENT_SECRET for DingTalk"
            )
        )
    # With DingTalk alone there is no link to print.
    username = await bot_username(ctx) if _telegram(ctx) else None
    channels = ([Channel.TELEGRAM] if username is not None else []) + (
        [Channel.DINGTALK] if dingtalk else []
    )
    zone = ctx.settings.zone
    async with await ctx.uow() as uow:
        if args.all:
            people = await invites.unregistered_people(uow.session)
        else:
            try:
                people = [await invites.person_by_phone(uow.session, args.phone)]
            except DomainError as exc:
                raise CliError(
                    t("no one with phone {phone} is on the roster", phone=args.phone)
                ) from exc
            # Registered on every channel offered: a new invitation moves them (--rebind).
            bound = [await account_of(uow.session, people[0].id or 0, c) for c in channels]
            if all(account is not None for account in bound) and not args.rebind:
                names = "/".join(t(CHANNEL_NAMES[c]) for c in channels)
                raise CliError(
                    t(
                        "{name} is already registered; add --rebind to move them to a new "
                        "{channels} account",
                        name=people[0].name,
                        channels=names,
                    )
                )
        issued = [await invites.issue(uow.session, person, ctx.clock.now()) for person in people]
        if args.all:
            out = Path(args.out)
            out.parent.mkdir(parents=True, exist_ok=True)
            header = CSV_HEADER[:2] + (CSV_HEADER[2:3] if username is not None else [])
            header += ([DINGTALK_COLUMN] if dingtalk else []) + CSV_HEADER[3:]
            rows = [
                [inv.name, inv.phone]
                + ([link(username, inv.token)] if username is not None else [])
                + ([dingtalk_words(inv.token)] if dingtalk else [])
                + [inv.expires_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")]
                for inv in issued
            ]
            _write_csv(out, header, rows)
        await uow.commit()
    if args.all:
        print(
            t(
                "{count} invitation links written to {path} (valid 7 days, each works once)",
                count=len(issued),
                path=args.out,
            )
        )
    else:
        inv = issued[0]
        expires = inv.expires_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        if username is not None:
            print(link(username, inv.token))
        if dingtalk:
            print(dingtalk_line(inv.token))
        print(
            t(
                "for {name}, works once, valid until {expires} ({zone})",
                name=inv.name,
                expires=expires,
                zone=ctx.settings.timezone,
            )
        )
    return 0


def register(sub: Subparsers) -> None:
    parser = add(
        sub,
        "invite",
        _invite,
        N_("print one-time registration links (t.me deep links; 绑定 <code> for DingTalk)"),
    )
    parser.add_argument("phone", nargs="?", help=t("the person's phone number as on the roster"))
    parser.add_argument("--all", action="store_true", help=t("everyone not yet registered"))
    parser.add_argument("--out", help=t("CSV file to write with --all"))
    parser.add_argument(
        "--rebind", action="store_true", help=t("invite a registered person to a new account")
    )
    parser.add_argument(
        "--by-mobile",
        action="store_true",
        help=t(
            "bind them at once to the DingTalk account with their mobile number in the "
            "organisation's contacts (needs the app's contact permission)"
        ),
    )
