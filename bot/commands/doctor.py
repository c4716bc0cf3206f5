"""``zhucun doctor``: configuration, database, policy pack, calendar, outbox, backups,
Telegram and DingTalk, one line each (ok / warn / fail, what was found, the fix). Exit 1
when anything fails.

The local checks are in ``services/operations/doctor.py``, except the backups' age (the
backup folder is ``bot/backup.py``'s); the ones that ask a messenger are
here, where its client lives: Telegram's getMe (the token) and getWebhookInfo (the webhook
state), and DingTalk's access token (the app's client id and secret). No secret or token is
ever part of a line.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.commands.base import Subparsers, add
from bot.config import DINGTALK_API_URL, Settings
from bot.context import AppContext

if TYPE_CHECKING:
    from services.operations.doctor import Check

TELEGRAM_TIMEOUT = 15.0
DINGTALK_TIMEOUT = 10.0


async def telegram_checks(settings: Settings) -> list[Check]:
    from services.operations.doctor import fail, ok, warn

    token = settings.token
    if token is None and settings.dingtalk:
        return []  # DingTalk only: there is no Telegram bot to check
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


async def dingtalk_checks(settings: Settings) -> list[Check]:
    """Ask DingTalk for an access token with the configured client id and secret. Nothing
    when DingTalk is not configured (a half-configured one is a local check's)."""
    from services.operations.doctor import fail, ok

    secret = settings.dingtalk_secret
    client_id = settings.dingtalk_client_id
    if not (client_id and secret):
        return []
    # Imported here, as aiogram is above: only this check needs aiohttp.
    import aiohttp

    from bot.dingtalk.api import DingTalkApi, DingTalkError

    url = settings.dingtalk_api_url.rstrip("/")
    api = DingTalkApi(
        client_id=client_id,
        client_secret=secret,
        robot_code=settings.dingtalk_robot,
        api_url=url,
        oapi_url=settings.dingtalk_oapi,
    )
    try:
        async with asyncio.timeout(DINGTALK_TIMEOUT):
            await api.token()
    except DingTalkError as exc:
        if exc.bad_credentials:
            return [
                fail(
                    "钉钉：应用凭据错误 DingTalk refused the client id or secret "
                    "(ZHUCUN_DINGTALK_CLIENT_ID / ZHUCUN_DINGTALK_CLIENT_SECRET)",
                    "copy both again from the app's 凭证与基础信息 page in the DingTalk "
                    "developer console",
                )
            ]
        return [
            fail(
                f"钉钉：获取凭证失败 DingTalk refused the access token request "
                f"({exc.status} {exc.code})",
                "is the app published and enabled? See DingTalk's error code",
            )
        ]
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return [
            fail(
                f"钉钉：无法连接 DingTalk's API at {url} could not be reached "
                f"({type(exc).__name__})",
                "check the network (outbound HTTPS to it) or ZHUCUN_DINGTALK_API_URL",
            )
        ]
    except (KeyError, ValueError):
        return [
            fail(
                f"钉钉：应答异常 DingTalk's API at {url} answered without an access token",
                f"is ZHUCUN_DINGTALK_API_URL DingTalk's API? (default {DINGTALK_API_URL})",
            )
        ]
    finally:
        await api.close()
    return [ok(f"钉钉：应用凭据有效 DingTalk: the app's credentials are valid ({client_id})")]


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


def backup_checks(settings: Settings, now: datetime) -> list[Check]:
    """The newest backup of an SQLite database: ok when under two days old. Nothing for
    PostgreSQL (pg_dump's business) or a database not created yet."""
    from bot import backup
    from services.operations.doctor import ok, warn

    try:
        database = backup.sqlite_file(settings.database_url)
    except backup.BackupError:
        return []  # an in-memory database, or a bad URL (its own check fails)
    if database is None or not database.is_file():
        return []
    folder = backup.backup_folder(database, settings.backup_dir)
    fresh, what = backup.freshness(folder, now)
    if fresh:
        return [ok(what)]
    fix = "zhucun backup (zhucun run takes one daily from 03:00); README, Backups"
    return [warn(what, fix)]


async def run_doctor(ctx: AppContext, *, online: bool = True) -> list[Check]:
    from services.operations.doctor import local_checks

    s = ctx.settings
    checks = await local_checks(
        token=s.token,
        database_url=s.database_url,
        policy=s.policy,
        timezone=s.timezone,
        now=ctx.clock.now(),
        dingtalk_client_id=s.dingtalk_client_id,
        dingtalk_secret_set=s.dingtalk_client_secret is not None,
    )
    checks += backup_checks(s, ctx.clock.now())
    if online:
        checks += await telegram_checks(s)
        checks += await dingtalk_checks(s)
    return checks


async def _doctor(args: argparse.Namespace, ctx: AppContext) -> int:
    from services.operations.doctor import exit_code, summary

    checks = await run_doctor(ctx, online=not args.offline)
    for check in checks:
        print(check.line())
    print(f"doctor: {summary(checks)}")
    return exit_code(checks)


def register(sub: Subparsers) -> None:
    parser = add(
        sub,
        "doctor",
        _doctor,
        "check the configuration, database, policy pack, calendar, outbox, Telegram and "
        "DingTalk; "
        "one line each with the fix (exit 1 if anything fails)",
    )
    parser.add_argument(
        "--offline", action="store_true", help="skip the checks that ask Telegram or DingTalk"
    )
