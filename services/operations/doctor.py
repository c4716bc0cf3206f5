"""``zhucun doctor``: is this installation ready to run, and if not, what to do.

Each check gives one line (``checks.py``): ok, warn (it runs, but look) or fail (it will
not run), what was found, and the fix. Here the configuration and the database; what the
database holds in ``doctor_records.py``. Framework-free: the checks that ask a messenger
(Telegram's getMe and getWebhookInfo, DingTalk's access token) live in
``bot/messenger_checks.py``. Nothing here changes anything: the database is neither
created nor migrated, and no secret is ever part of a line.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine

from locales import Translator
from models import migrate
from models.db import create_engine, session_factory
from services.errors import DomainError
from services.operations.checks import Check, Level, fail, ok, warn
from services.operations.doctor_records import calendar_checks, outbox_checks
from services.policy_loading import load_pack

# What aiogram accepts (digits, a colon, no spaces), in the characters BotFather uses.
TOKEN_SHAPE = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")
DRIVERS = {"sqlite+aiosqlite", "postgresql+asyncpg"}
CONNECT_TIMEOUT = 10.0


# ----------------------------------------------------------------------- configuration


def check_token(token: str | None, t: Translator, *, dingtalk: bool = False) -> Check:
    if token is None and dingtalk:
        return ok(t("ZHUCUN_BOT_TOKEN is not set: Telegram is not served (DingTalk only)"))
    if token is None:
        return warn(
            t("ZHUCUN_BOT_TOKEN is not set (./zhucun runs the offline demo)"),
            t("put the token from @BotFather in ZHUCUN_BOT_TOKEN or in .env"),
        )
    shape = TOKEN_SHAPE.match(token)
    if shape is None:
        return fail(
            t("ZHUCUN_BOT_TOKEN is malformed (expected 123456789:AA…, no spaces)"),
            t("copy the token again from @BotFather (/mybots → API Token)"),
        )
    return ok(t("ZHUCUN_BOT_TOKEN is set (bot id {id})", id=shape.group(1)))


def check_dingtalk(client_id: str | None, secret_set: bool, t: Translator) -> Check | None:
    """DingTalk is served when both its client id and secret are set; one without the
    other is a mistake. None when neither is (DingTalk is simply not used)."""
    if client_id and secret_set:
        return ok(t("DingTalk is configured (client id {client_id})", client_id=client_id))
    if client_id:
        missing, present = "ZHUCUN_DINGTALK_CLIENT_SECRET", "ZHUCUN_DINGTALK_CLIENT_ID"
    elif secret_set:
        missing, present = "ZHUCUN_DINGTALK_CLIENT_ID", "ZHUCUN_DINGTALK_CLIENT_SECRET"
    else:
        return None
    return fail(
        t("DingTalk: {present} is set but {missing} is not", present=present, missing=missing),
        t(
            "copy both from the app's 凭证与基础信息 page in the DingTalk developer console "
            "(or unset both)"
        ),
    )


def shown_url(url: str) -> str:
    """The URL without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparsable)"


def check_database_url(url: str, t: Translator) -> Check:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return fail(
            t("ZHUCUN_DATABASE_URL is not a database URL"),
            t("e.g. sqlite+aiosqlite:///data/zhucun.db or postgresql+asyncpg://user@host/db"),
        )
    if parsed.drivername not in DRIVERS:
        return fail(
            t(
                "ZHUCUN_DATABASE_URL uses {driver!r}, which zhucun does not support",
                driver=parsed.drivername,
            ),
            t("use sqlite+aiosqlite:///… or postgresql+asyncpg://…"),
        )
    return ok(t("ZHUCUN_DATABASE_URL is {url}", url=shown_url(url)))


def check_policy(policy_id: str, t: Translator) -> Check:
    try:
        pack = load_pack(policy_id)
    except DomainError as exc:
        if exc.code == "policy_unknown":
            return fail(
                t("ZHUCUN_POLICY {policy!r} is not a policy pack", policy=policy_id),
                t(
                    "use one of: {known} (zhucun policy list)",
                    known=exc.params.get("known", ""),
                ),
            )
        return fail(
            t("policy pack {policy!r} is invalid: {error}", policy=policy_id, error=exc),
            t("fix the pack file"),
        )
    except Exception as exc:  # a pack file that does not even parse: still one line
        return fail(
            t("policy pack {policy!r} is invalid: {error}", policy=policy_id, error=exc),
            t("fix the pack file"),
        )
    return ok(t("policy pack {policy} is valid", policy=pack.id))


def check_timezone(name: str, t: Translator) -> Check:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fail(t("ZHUCUN_TIMEZONE {zone!r} is unknown", zone=name), t("e.g. Asia/Shanghai"))
    return ok(t("time zone {zone}", zone=name))


# ----------------------------------------------------------------------- the database


def _missing_sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


async def check_database(url: str, t: Translator) -> tuple[list[Check], AsyncEngine | None]:
    """Reachable, and at the newest schema? Returns the checks and, when the schema is
    current (so the other checks may read it), an open engine the caller disposes."""
    missing = _missing_sqlite_file(url)
    if missing is not None:
        fix = t("it is created on first use; `zhucun db upgrade` creates it now")
        return [warn(t("database {path} does not exist yet", path=missing), fix)], None
    try:
        engine = create_engine(url)
    except Exception as exc:  # an URL SQLAlchemy parses but cannot build an engine for
        return [
            fail(
                t("database not reachable: {error}", error=type(exc).__name__),
                t("check ZHUCUN_DATABASE_URL and that the database server is running"),
            )
        ], None
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            current = await migrate.current(engine)
    except Exception as exc:
        await engine.dispose()
        reason = str(exc).splitlines()[0][:160] if str(exc) else ""
        return [
            fail(
                t(
                    "database not reachable: {error}",
                    error=f"{type(exc).__name__} {reason}".rstrip(),
                ),
                t("check ZHUCUN_DATABASE_URL and that the database server is running"),
            )
        ], None
    checks = [ok(t("database reachable ({backend})", backend=make_url(url).get_backend_name()))]
    head = migrate.head()
    if current == head:
        checks.append(ok(t("database schema is current ({head})", head=head)))
        return checks, engine
    await engine.dispose()
    if current is None:
        checks.append(warn(t("database has no schema yet"), "zhucun db upgrade"))
    elif current in migrate.revisions():
        checks.append(
            warn(
                t(
                    "database schema is {current}, this program expects {head}",
                    current=current,
                    head=head,
                ),
                t("zhucun db upgrade (zhucun run also migrates when it starts)"),
            )
        )
    else:
        checks.append(
            fail(
                t(
                    "database schema {current} is unknown to this program (written by a "
                    "newer one?)",
                    current=current,
                ),
                t("run the newer version of zhucun against this database"),
            )
        )
    return checks, None


async def local_checks(
    *,
    token: str | None,
    database_url: str,
    policy: str,
    timezone: str,
    now: datetime,
    dingtalk_client_id: str | None = None,
    dingtalk_secret_set: bool = False,
    t: Translator,
) -> list[Check]:
    """Everything that asks no messenger: configuration, database, calendar, outbox."""
    dingtalk = bool(dingtalk_client_id and dingtalk_secret_set)
    url_check = check_database_url(database_url, t)
    checks = [check_token(token, t, dingtalk=dingtalk), url_check, check_policy(policy, t)]
    zone_check = check_timezone(timezone, t)
    checks.append(zone_check)
    dingtalk_check = check_dingtalk(dingtalk_client_id, dingtalk_secret_set, t)
    if dingtalk_check is not None:
        checks.append(dingtalk_check)
    if url_check.level is Level.FAIL:
        return checks
    found, engine = await check_database(database_url, t)
    checks += found
    if engine is None:
        checks.append(
            warn(t("calendar and outbox not checked"), t("the database must be ready first"))
        )
        return checks
    try:
        async with session_factory(engine)() as session:
            # Today is the deployment's today: with no valid zone there is none to check, and
            # guessing one would check the wrong year near New Year.
            if zone_check.level is Level.OK:
                today = now.astimezone(ZoneInfo(timezone)).date()
                checks += await calendar_checks(session, today, t)
            else:
                checks.append(
                    warn(t("calendar not checked"), t("set a valid ZHUCUN_TIMEZONE first"))
                )
            checks += await outbox_checks(session, now, t)
    finally:
        await engine.dispose()
    return checks
