"""``zhucun doctor``: is this installation ready to run, and if not, what to do.

Each check gives one line: ok, warn (it runs, but look) or fail (it will not run), what
was found, and the fix. Framework-free: the checks that ask a messenger (Telegram's getMe
and getWebhookInfo, DingTalk's access token) live in ``bot/commands/doctor.py``. Nothing
here changes anything: the database is neither created nor migrated, and no secret is ever
part of a line.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from models import migrate
from models.db import create_engine, session_factory
from models.enums import OutboxState
from services.calendar import WorkCalendar, list_overrides
from services.errors import DomainError
from services.messaging import outbox_status
from services.policy_loading import load_pack

# What aiogram accepts (digits, a colon, no spaces), in the characters BotFather uses.
TOKEN_SHAPE = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")
DRIVERS = {"sqlite+aiosqlite", "postgresql+asyncpg"}
CONNECT_TIMEOUT = 10.0
BACKLOG_AGE = timedelta(minutes=15)  # older pending rows mean no relay is sending


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    level: Level
    what: str
    fix: str = ""

    def line(self) -> str:
        out = f"{self.level.value:<4}  {self.what}"
        return f"{out}  → {self.fix}" if self.fix else out


def ok(what: str) -> Check:
    return Check(Level.OK, what)


def warn(what: str, fix: str) -> Check:
    return Check(Level.WARN, what, fix)


def fail(what: str, fix: str) -> Check:
    return Check(Level.FAIL, what, fix)


def exit_code(checks: Iterable[Check]) -> int:
    return 1 if any(c.level is Level.FAIL for c in checks) else 0


def summary(checks: list[Check]) -> str:
    counts = {level: sum(c.level is level for c in checks) for level in Level}
    return ", ".join(f"{counts[level]} {level.value}" for level in Level)


# ----------------------------------------------------------------------- configuration


def check_token(token: str | None, *, dingtalk: bool = False) -> Check:
    if token is None and dingtalk:
        return ok("ZHUCUN_BOT_TOKEN is not set: Telegram is not served (DingTalk only)")
    if token is None:
        return warn(
            "ZHUCUN_BOT_TOKEN is not set (./zhucun runs the offline demo)",
            "put the token from @BotFather in ZHUCUN_BOT_TOKEN or in .env",
        )
    shape = TOKEN_SHAPE.match(token)
    if shape is None:
        return fail(
            "ZHUCUN_BOT_TOKEN is malformed (expected 123456789:AA…, no spaces)",
            "copy the token again from @BotFather (/mybots → API Token)",
        )
    return ok(f"ZHUCUN_BOT_TOKEN is set (bot id {shape.group(1)})")


def check_dingtalk(client_id: str | None, secret_set: bool) -> Check | None:
    """DingTalk is served when both its client id and secret are set; one without the
    other is a mistake. None when neither is (DingTalk is simply not used)."""
    if client_id and secret_set:
        return ok(f"钉钉：已配置 DingTalk is configured (client id {client_id})")
    if client_id:
        missing, present = "ZHUCUN_DINGTALK_CLIENT_SECRET", "ZHUCUN_DINGTALK_CLIENT_ID"
    elif secret_set:
        missing, present = "ZHUCUN_DINGTALK_CLIENT_ID", "ZHUCUN_DINGTALK_CLIENT_SECRET"
    else:
        return None
    return fail(
        f"钉钉：缺少 {missing} DingTalk: {present} is set but {missing} is not",
        "copy both from the app's 凭证与基础信息 page in the DingTalk developer console "
        "(or unset both)",
    )


def shown_url(url: str) -> str:
    """The URL without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparsable)"


def check_database_url(url: str) -> Check:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return fail(
            "ZHUCUN_DATABASE_URL is not a database URL",
            "e.g. sqlite+aiosqlite:///data/zhucun.db or postgresql+asyncpg://user@host/db",
        )
    if parsed.drivername not in DRIVERS:
        return fail(
            f"ZHUCUN_DATABASE_URL uses {parsed.drivername!r}, which zhucun does not support",
            "use sqlite+aiosqlite:///… or postgresql+asyncpg://…",
        )
    return ok(f"ZHUCUN_DATABASE_URL is {shown_url(url)}")


def check_policy(policy_id: str) -> Check:
    try:
        pack = load_pack(policy_id)
    except DomainError as exc:
        if exc.code == "policy_unknown":
            return fail(
                f"ZHUCUN_POLICY {policy_id!r} is not a policy pack",
                f"use one of: {exc.params.get('known', '')} (zhucun policy list)",
            )
        return fail(f"policy pack {policy_id!r} is invalid: {exc}", "fix the pack file")
    return ok(f"policy pack {pack.id} is valid")


def check_timezone(name: str) -> Check:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fail(f"ZHUCUN_TIMEZONE {name!r} is unknown", "e.g. Asia/Shanghai")
    return ok(f"time zone {name}")


# ----------------------------------------------------------------------- the database


def _missing_sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


async def check_database(url: str) -> tuple[list[Check], AsyncEngine | None]:
    """Reachable, and at the newest schema? Returns the checks and, when the schema is
    current (so the other checks may read it), an open engine the caller disposes."""
    missing = _missing_sqlite_file(url)
    if missing is not None:
        fix = "it is created on first use; `zhucun db upgrade` creates it now"
        return [warn(f"database {missing} does not exist yet", fix)], None
    engine = create_engine(url)
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
                f"database not reachable: {type(exc).__name__} {reason}".rstrip(),
                "check ZHUCUN_DATABASE_URL and that the database server is running",
            )
        ], None
    checks = [ok(f"database reachable ({make_url(url).get_backend_name()})")]
    head = migrate.head()
    if current == head:
        checks.append(ok(f"database schema is current ({head})"))
        return checks, engine
    await engine.dispose()
    if current is None:
        checks.append(warn("database has no schema yet", "zhucun db upgrade"))
    elif current in migrate.revisions():
        checks.append(
            warn(
                f"database schema is {current}, this program expects {head}",
                "zhucun db upgrade (zhucun run also migrates when it starts)",
            )
        )
    else:
        checks.append(
            fail(
                f"database schema {current} is unknown to this program (written by a newer one?)",
                "run the newer version of zhucun against this database",
            )
        )
    return checks, None


def check_calendar(
    today: date, known: Callable[[int], bool], set_by_hand: dict[int, int]
) -> list[Check]:
    """``known(year)``: the Chinese calendar has that year's holidays; ``set_by_hand``:
    overrides per year (``zhucun calendar set``)."""
    out = []
    for year in (today.year, today.year + 1):
        if known(year):
            out.append(ok(f"calendar: the Chinese calendar knows {year}'s holidays"))
            continue
        days = set_by_hand.get(year, 0)
        by_hand = f"; {days} day(s) set by hand" if days else ""
        out.append(
            warn(
                f"calendar: no official holidays for {year} (Monday–Friday is assumed{by_hand})",
                "upgrade chinesecalendar once the State Council publishes them, or set "
                f"them: zhucun calendar set {year}-01-01 holiday",
            )
        )
    return out


async def calendar_checks(session: AsyncSession, today: date) -> list[Check]:
    by_year: dict[int, int] = {}
    for override in await list_overrides(session):
        by_year[override.day.year] = by_year.get(override.day.year, 0) + 1
    return check_calendar(today, WorkCalendar().is_known_year, by_year)


def _age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


async def outbox_checks(session: AsyncSession, now: datetime) -> list[Check]:
    status = await outbox_status.status(session, now, limit=1)
    pending = status.counts[OutboxState.PENDING]
    age = status.oldest_pending_age
    out = []
    if pending and age is not None and age > BACKLOG_AGE:
        out.append(
            warn(
                f"outbox: {pending} message(s) waiting, the oldest for {_age(age)}",
                "is `zhucun run` running? `zhucun outbox status` lists them",
            )
        )
    else:
        oldest = f", the oldest for {_age(age)}" if pending and age is not None else ""
        out.append(ok(f"outbox: {pending} message(s) waiting{oldest}"))
    dead = status.counts[OutboxState.DEAD]
    if dead:
        out.append(
            warn(
                f"outbox: {dead} message(s) could not be delivered (dead)",
                "`zhucun outbox status` says why; `zhucun outbox retry --dead` once fixed",
            )
        )
    uncertain = status.counts[OutboxState.UNCERTAIN]
    if uncertain:
        out.append(
            warn(
                f"outbox: {uncertain} message(s) may or may not have arrived (uncertain)",
                "`zhucun outbox status`; `zhucun outbox retry --uncertain` if they did not",
            )
        )
    return out


async def local_checks(
    *,
    token: str | None,
    database_url: str,
    policy: str,
    timezone: str,
    now: datetime,
    dingtalk_client_id: str | None = None,
    dingtalk_secret_set: bool = False,
) -> list[Check]:
    """Everything that asks no messenger: configuration, database, calendar, outbox."""
    dingtalk = bool(dingtalk_client_id and dingtalk_secret_set)
    url_check = check_database_url(database_url)
    checks = [check_token(token, dingtalk=dingtalk), url_check, check_policy(policy)]
    zone_check = check_timezone(timezone)
    checks.append(zone_check)
    dingtalk_check = check_dingtalk(dingtalk_client_id, dingtalk_secret_set)
    if dingtalk_check is not None:
        checks.append(dingtalk_check)
    if url_check.level is Level.FAIL:
        return checks
    found, engine = await check_database(database_url)
    checks += found
    if engine is None:
        checks.append(warn("calendar and outbox not checked", "the database must be ready first"))
        return checks
    try:
        async with session_factory(engine)() as session:
            # Today is the deployment's today: with no valid zone there is none to check, and
            # guessing one would check the wrong year near New Year.
            if zone_check.level is Level.OK:
                today = now.astimezone(ZoneInfo(timezone)).date()
                checks += await calendar_checks(session, today)
            else:
                checks.append(warn("calendar not checked", "set a valid ZHUCUN_TIMEZONE first"))
            checks += await outbox_checks(session, now)
    finally:
        await engine.dispose()
    return checks
