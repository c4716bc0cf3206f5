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
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.cli_language import cli, t
from bot.commands.base import Subparsers, add
from bot.config import DINGTALK_API_URL, Settings
from bot.context import AppContext
from locales import N_, Translator

if TYPE_CHECKING:
    from services.operations.doctor import Check

TELEGRAM_TIMEOUT = 15.0
DINGTALK_TIMEOUT = 10.0


async def telegram_checks(settings: Settings, t: Translator) -> list[Check]:
    from services.operations.doctor import fail, ok, warn

    token = settings.token
    if token is None and settings.dingtalk:
        return []  # DingTalk only: there is no Telegram bot to check
    if token is None:
        return [
            warn(
                t("Telegram: token not checked (no token)"),
                t("set ZHUCUN_BOT_TOKEN, then run again"),
            ),
            warn(t("Telegram: webhook state not checked (no token)"), t("set ZHUCUN_BOT_TOKEN")),
        ]
    # aiogram takes a moment to import; only this check needs it.
    from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
    from aiogram.utils.token import TokenValidationError

    from bot.telegram.runtime import build_bot

    host = urlsplit(settings.bot_api_url).hostname or settings.bot_api_url
    try:
        bot = build_bot(token, settings.bot_api_url)
    except TokenValidationError:
        return [fail(t("Telegram: the token is malformed"), t("copy it again from @BotFather"))]
    try:
        async with asyncio.timeout(TELEGRAM_TIMEOUT):
            me = await bot.get_me()
            info = await bot.get_webhook_info()
    except TelegramUnauthorizedError:
        return [
            fail(
                t("Telegram refused the token (401 Unauthorized)"),
                t("copy the current token from @BotFather (/mybots → API Token)"),
            )
        ]
    except (TelegramAPIError, OSError, TimeoutError) as exc:
        return [
            fail(
                t("Telegram: cannot reach {host} ({error})", host=host, error=type(exc).__name__),
                t("check the network, a proxy, or ZHUCUN_BOT_API_URL"),
            )
        ]
    finally:
        await bot.session.close()
    checks = [
        ok(t("Telegram: the token is valid: @{username} (id {id})", username=me.username, id=me.id))
    ]
    if settings.bot_username and settings.bot_username.lstrip("@") != me.username:
        checks.append(
            warn(
                t(
                    "ZHUCUN_BOT_USERNAME is {configured} but the bot is @{username}",
                    configured=settings.bot_username,
                    username=me.username,
                ),
                t(
                    "fix ZHUCUN_BOT_USERNAME (or leave it unset to ask Telegram), or invitation "
                    "links point to another bot"
                ),
            )
        )
    checks.append(
        _webhook(settings, info.url, info.pending_update_count, info.last_error_message, t)
    )
    return checks


async def dingtalk_checks(settings: Settings, t: Translator) -> list[Check]:
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
                    t(
                        "DingTalk refused the client id or secret "
                        "(ZHUCUN_DINGTALK_CLIENT_ID / ZHUCUN_DINGTALK_CLIENT_SECRET)"
                    ),
                    t(
                        "copy both again from the app's 凭证与基础信息 page in the DingTalk "
                        "developer console"
                    ),
                )
            ]
        return [
            fail(
                t(
                    "DingTalk refused the access token request ({status} {code})",
                    status=exc.status,
                    code=exc.code,
                ),
                t("is the app published and enabled? See DingTalk's error code"),
            )
        ]
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return [
            fail(
                t(
                    "DingTalk's API at {url} could not be reached ({error})",
                    url=url,
                    error=type(exc).__name__,
                ),
                t("check the network (outbound HTTPS to it) or ZHUCUN_DINGTALK_API_URL"),
            )
        ]
    except (KeyError, ValueError):
        return [
            fail(
                t("DingTalk's API at {url} answered without an access token", url=url),
                t(
                    "is ZHUCUN_DINGTALK_API_URL DingTalk's API? (default {default})",
                    default=DINGTALK_API_URL,
                ),
            )
        ]
    finally:
        await api.close()
    return [ok(t("DingTalk: the app's credentials are valid ({client_id})", client_id=client_id))]


def _webhook(settings: Settings, url: str, pending: int, error: str | None, t: Translator) -> Check:
    from services.operations.doctor import ok, warn

    where = (urlsplit(url).hostname or "?") if url else ""
    if error:
        return warn(
            t(
                "Telegram: the webhook at {where} reports an error: {error}",
                where=where,
                error=error,
            ),
            t("check that ZHUCUN_WEBHOOK_URL is reachable from the internet over HTTPS"),
        )
    if url and settings.webhook_url is None:
        return warn(
            t(
                "Telegram: a webhook is set (at {where}) but zhucun is configured to poll",
                where=where,
            ),
            t(
                "zhucun run removes it when it starts; if another program uses this bot, stop "
                "it first: two programs cannot share one bot"
            ),
        )
    if not url and settings.webhook_url is not None:
        return warn(
            t("Telegram: no webhook registered yet although ZHUCUN_WEBHOOK_URL is set"),
            t("zhucun run registers it when it starts"),
        )
    mode = t("webhook at {where}", where=where) if url else t("no webhook, the bot polls")
    return ok(t("Telegram: {mode}; {pending} update(s) waiting", mode=mode, pending=pending))


def backup_checks(settings: Settings, now: datetime, t: Translator) -> list[Check]:
    """The newest backup of an SQLite database: ok when under two days old. Nothing for
    PostgreSQL (pg_dump's business) or a database not created yet."""
    from bot import backup
    from services.operations.doctor import ok, warn

    try:
        database = backup.sqlite_file(settings.database_url)
    except (backup.BackupError, ValueError):
        return []  # an in-memory database, or a bad URL (its own check fails)
    if database is None or not database.is_file():
        return []
    folder = backup.backup_folder(database, settings.backup_dir)
    newest = backup.newest_good(folder)
    if newest is None:
        what = t("backups: no backup yet in {folder}", folder=folder)
        fresh = False
    else:
        age = now - newest.taken
        what = t(
            "backups: the newest is {name}, {age} old",
            name=newest.path.name,
            age=_age(age, t),
        )
        fresh = age < timedelta(days=backup.FRESH_DAYS)
    if fresh:
        return [ok(what)]
    fix = t("zhucun backup (zhucun run takes one daily from 03:00); README, Backups")
    return [warn(what, fix)]


def _age(age: timedelta, t: Translator) -> str:
    hours = int(age.total_seconds() // 3600)
    if hours >= 24:
        return t(N_("{days} d {hours} h"), days=hours // 24, hours=hours % 24)
    return t(N_("{n} h"), n=hours)


def bad_setting_checks(bad: dict[str, tuple[object, str]], t: Translator) -> list[Check]:
    """A setting the configuration refused, as a failing check (the time zone has its own,
    fed the refused value)."""
    from services.operations.doctor import fail

    fix = t(N_("fix it in the environment or in .env"))
    return [fail(problem, fix) for name, (_, problem) in bad.items() if name != "timezone"]


async def run_doctor(
    ctx: AppContext,
    *,
    online: bool = True,
    bad_settings: dict[str, tuple[object, str]] | None = None,
    t: Translator | None = None,
) -> list[Check]:
    from services.operations.doctor import local_checks

    t = t or cli()
    s, bad = ctx.settings, bad_settings or {}
    zone = bad["timezone"][0] if "timezone" in bad else s.timezone
    checks = bad_setting_checks(bad, t)
    checks += await _guarded(
        t(N_("configuration and database")),
        t,
        local_checks(
            token=s.token,
            database_url=s.database_url,
            policy=s.policy,
            timezone=str(zone),
            now=ctx.clock.now(),
            dingtalk_client_id=s.dingtalk_client_id,
            dingtalk_secret_set=s.dingtalk_client_secret is not None,
            t=t,
        ),
    )
    checks += await _guarded(t(N_("backups")), t, _async(backup_checks, s, ctx.clock.now(), t))
    if online:
        checks += await _guarded("Telegram", t, telegram_checks(s, t))
        checks += await _guarded(t(N_("DingTalk")), t, dingtalk_checks(s, t))
    return checks


async def _async(fn: Callable[..., list[Check]], *args: object) -> list[Check]:
    return fn(*args)


async def _guarded(name: str, t: Translator, checks: Awaitable[list[Check]]) -> list[Check]:
    """A group of checks that blows up on a setting nobody foresaw is one failing line; the
    doctor goes on with the others."""
    from services.operations.doctor import fail

    try:
        return await checks
    except Exception as exc:
        return [
            fail(
                t(
                    N_("{name} checks stopped: {error}"),
                    name=name,
                    error=f"{type(exc).__name__}: {exc}",
                ),
                t(N_("check the settings they use (ZHUCUN_…); ZHUCUN_DEBUG=1 shows more")),
            )
        ]


async def _doctor(args: argparse.Namespace, ctx: AppContext) -> int:
    from services.operations.doctor import exit_code, summary

    t = cli()
    checks = await run_doctor(
        ctx, online=not args.offline, bad_settings=getattr(args, "bad_settings", None), t=t
    )
    for check in checks:
        print(check.line(t))
    print(t(N_("doctor: {summary}"), summary=summary(checks, t)))
    return exit_code(checks)


def register(sub: Subparsers) -> None:
    parser = add(
        sub,
        "doctor",
        _doctor,
        N_(
            "check the configuration, database, policy pack, calendar, outbox, Telegram and "
            "DingTalk; "
            "one line each with the fix (exit 1 if anything fails)"
        ),
    )
    parser.add_argument(
        "--offline", action="store_true", help=t("skip the checks that ask Telegram or DingTalk")
    )
