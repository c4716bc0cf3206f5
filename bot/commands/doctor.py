"""``zhucun doctor``: configuration, database, policy pack, calendar, outbox, backups,
Telegram and DingTalk, one line each (ok / warn / fail, what was found, the fix). Exit 1
when anything fails.

The local checks are in ``services/operations/doctor.py``, except the backups' age (the
backup folder is ``bot/backup.py``'s); the ones that ask a messenger are in
``bot/messenger_checks.py``. A setting that does not load is a failing check (``bot/cli.py``
leaves it at its default for the others), and a group of checks that fails on a value
nobody foresaw is one failing line: the doctor always gets to the end.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.cli_language import cli, t
from bot.commands.base import Subparsers, add
from bot.config import Settings
from bot.context import AppContext
from bot.messenger_checks import dingtalk_checks, telegram_checks
from locales import N_, Translator
from services.operations.checks import Check, exit_code, fail, ok, summary, warn


def backup_checks(settings: Settings, now: datetime, t: Translator) -> list[Check]:
    """The newest backup of an SQLite database: ok when under two days old. Nothing for
    PostgreSQL (pg_dump's business) or a database not created yet."""
    from bot import backup

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
