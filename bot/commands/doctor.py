"""``zhucun doctor``: configuration, database, policy pack, calendar, outbox and Telegram,
one line each (ok / warn / fail, what was found, the fix). Exit 1 when anything fails.

The local checks are in ``services/operations/doctor.py``; the two that ask Telegram (getMe for the
token, getWebhookInfo for the webhook state) are here, where aiogram lives.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.commands.base import Subparsers, add
from bot.config import Settings
from bot.context import AppContext

if TYPE_CHECKING:
    from services.operations.doctor import Check

TELEGRAM_TIMEOUT = 15.0


async def telegram_checks(settings: Settings) -> list[Check]:
    from services.operations.doctor import fail, ok, warn

    token = settings.token
    if token is None:
        return [
            warn("Telegram: token not checked (no token)", "set ZHUCUN_BOT_TOKEN, then run again"),
            warn("Telegram: webhook state not checked (no token)", "set ZHUCUN_BOT_TOKEN"),
        ]
    # aiogram takes a moment to import; only this check needs it.
    from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
    from aiogram.utils.token import TokenValidationError

    from bot.telegram.runtime import build_bot

    host = urlsplit(settings.bot_api_url).hostname or settings.bot_api_url
    try:
        bot = build_bot(token, settings.bot_api_url)
    except TokenValidationError:
        return [fail("Telegram: the token is malformed", "copy it again from @BotFather")]
    try:
        async with asyncio.timeout(TELEGRAM_TIMEOUT):
            me = await bot.get_me()
            info = await bot.get_webhook_info()
    except TelegramUnauthorizedError:
        return [
            fail(
                "Telegram refused the token (401 Unauthorized)",
                "copy the current token from @BotFather (/mybots → API Token)",
            )
        ]
    except (TelegramAPIError, OSError, TimeoutError) as exc:
        return [
            fail(
                f"Telegram: cannot reach {host} ({type(exc).__name__})",
                "check the network, a proxy, or ZHUCUN_BOT_API_URL",
            )
        ]
    finally:
        await bot.session.close()
    checks = [ok(f"Telegram: the token is valid: @{me.username} (id {me.id})")]
    if settings.bot_username and settings.bot_username.lstrip("@") != me.username:
        checks.append(
            warn(
                f"ZHUCUN_BOT_USERNAME is {settings.bot_username} but the bot is @{me.username}",
                "fix ZHUCUN_BOT_USERNAME (or leave it unset to ask Telegram), or invitation "
                "links point to another bot",
            )
        )
    checks.append(_webhook(settings, info.url, info.pending_update_count, info.last_error_message))
    return checks


def _webhook(settings: Settings, url: str, pending: int, error: str | None) -> Check:
    from services.operations.doctor import ok, warn

    where = (urlsplit(url).hostname or "?") if url else ""
    if error:
        return warn(
            f"Telegram: the webhook at {where} reports an error: {error}",
            "check that ZHUCUN_WEBHOOK_URL is reachable from the internet over HTTPS",
        )
    if url and settings.webhook_url is None:
        return warn(
            f"Telegram: a webhook is set (at {where}) but zhucun is configured to poll",
            "zhucun run removes it when it starts; if another program uses this bot, stop it "
            "first: two programs cannot share one bot",
        )
    if not url and settings.webhook_url is not None:
        return warn(
            "Telegram: no webhook registered yet although ZHUCUN_WEBHOOK_URL is set",
            "zhucun run registers it when it starts",
        )
    mode = f"webhook at {where}" if url else "no webhook, the bot polls"
    return ok(f"Telegram: {mode}; {pending} update(s) waiting")


async def run_doctor(ctx: AppContext, *, telegram: bool = True) -> list[Check]:
    from services.operations.doctor import local_checks

    s = ctx.settings
    checks = await local_checks(
        token=s.token,
        database_url=s.database_url,
        policy=s.policy,
        timezone=s.timezone,
        now=ctx.clock.now(),
    )
    if telegram:
        checks += await telegram_checks(s)
    return checks


async def _doctor(args: argparse.Namespace, ctx: AppContext) -> int:
    from services.operations.doctor import exit_code, summary

    checks = await run_doctor(ctx, telegram=not args.offline)
    for check in checks:
        print(check.line())
    print(f"doctor: {summary(checks)}")
    return exit_code(checks)


def register(sub: Subparsers) -> None:
    parser = add(
        sub,
        "doctor",
        _doctor,
        "check the configuration, database, policy pack, calendar, outbox and Telegram; "
        "one line each with the fix (exit 1 if anything fails)",
    )
    parser.add_argument("--offline", action="store_true", help="skip the checks that ask Telegram")
