"""``zhucun doctor``: one line per check (ok / warn / fail, what, the fix), exit 1 on a fail.
The command line runs in-process, in English (``--lang en``) unless a test is about the
Chinese; the Telegram checks ask the Bot API emulator, the DingTalk checks the DingTalk
emulator (real HTTP on loopback)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli import main
from bot.commands.doctor import dingtalk_checks, telegram_checks
from bot.config import Settings
from locales import translator
from sandbox.dingtalk import DingTalkSandbox
from sandbox.telegram.emulator import BotApiSandbox
from services.messaging import outbox, outbox_outcomes, outbox_status
from services.operations import doctor, doctor_records
from services.operations.checks import Level

EN = translator("en")


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no .env and no ZHUCUN_ variables."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("ZHUCUN_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'z.db'}")
    return tmp_path


def _doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(["--lang", "en", "doctor", *args])
    return code, capsys.readouterr().out.splitlines()


def _line(lines: list[str], words: str) -> str:
    found = [line for line in lines if words in line]
    assert found, f"no line with {words!r} in {lines}"
    return found[0]


def test_a_broken_policy_id_fails(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZHUCUN_POLICY", "ganzhou-2099")
    code, lines = _doctor(capsys, "--offline")
    assert code == 1
    line = _line(lines, "ZHUCUN_POLICY")
    assert line.startswith("fail") and "ganzhou-2021" in line  # the fix names real packs
    assert lines[-1].endswith("1 fail")


def test_a_fresh_database_passes_and_no_token_only_warns(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = _doctor(capsys)
    assert code == 0
    assert _line(lines, "does not exist yet").startswith("warn")
    assert not (here / "z.db").exists()  # the doctor creates nothing

    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    code, lines = _doctor(capsys)
    assert code == 0, lines
    assert _line(lines, "database schema is current").startswith("ok")
    assert _line(lines, "database reachable").startswith("ok")
    assert _line(lines, "policy pack ganzhou-2021 is valid").startswith("ok")
    assert _line(lines, "outbox: 0 message(s) waiting").startswith("ok")
    token = _line(lines, "ZHUCUN_BOT_TOKEN is not set")
    assert token.startswith("warn") and "→" in token
    assert _line(lines, "Telegram: token not checked").startswith("warn")
    assert _line(lines, "Telegram: webhook state not checked").startswith("warn")
    assert all(line.split()[0] in ("ok", "warn", "fail") for line in lines[:-1])


def test_a_malformed_token_fails_without_being_printed(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZHUCUN_BOT_TOKEN", "123456:secret with spaces")
    code, lines = _doctor(capsys, "--offline")
    assert code == 1
    assert _line(lines, "ZHUCUN_BOT_TOKEN is malformed").startswith("fail")
    assert not any("secret" in line for line in lines)


def test_the_calendar_warns_when_next_year_is_missing() -> None:
    checks = doctor_records.check_calendar(
        date(2026, 11, 23), lambda year: year <= 2026, {2027: 3}, EN
    )
    assert [c.level for c in checks] == [Level.OK, Level.WARN]
    assert "2027" in checks[1].what and "3 day(s) set by hand" in checks[1].what
    assert "zhucun calendar import FILE" in checks[1].fix
    # Once the notice is imported, 2027 is known: no warning left to act on.
    checks = doctor_records.check_calendar(
        date(2026, 12, 8), lambda year: year <= 2026, {2027: 35}, EN, recorded={2027}.__contains__
    )
    assert [c.level for c in checks] == [Level.OK, Level.OK]
    assert "2027's holidays recorded (35 day(s))" in checks[1].what


async def test_an_outbox_backlog_and_dead_rows_warn(session: AsyncSession) -> None:
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    for n in range(2):
        await outbox.enqueue(
            session,
            key=f"k{n}",
            chat_id=str(100 + n),
            template="t",
            params={},
            now=now,
            channel="telegram",
        )
    await session.commit()
    checks = await doctor_records.outbox_checks(session, now + timedelta(minutes=5), EN)
    assert [c.level for c in checks] == [Level.OK]
    checks = await doctor_records.outbox_checks(session, now + timedelta(hours=2), EN)
    assert checks[0].level is Level.WARN and "2 message(s) waiting" in checks[0].what
    status = await outbox_status.status(session, now)
    assert status.counts
    row_id = 1
    await outbox_outcomes.mark_dead(session, row_id, "400 Bad Request: chat not found", now)
    await session.commit()
    dead = await doctor_records.outbox_checks(session, now, EN)
    assert any(c.level is Level.WARN and "dead" in c.what for c in dead)
    assert any("zhucun outbox retry --dead" in c.fix for c in dead)


async def test_telegram_checks_ask_get_me_and_the_webhook_state() -> None:
    async with BotApiSandbox() as sandbox:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=sandbox.token,
            bot_api_url=sandbox.base_url,
        )
        checks = await telegram_checks(settings, EN)
        assert [c.level for c in checks] == [Level.OK, Level.OK]
        assert "@zhucun_test_bot" in checks[0].what and "polls" in checks[1].what
        sandbox.webhook = {"url": "https://example.org/hook", "pending_update_count": 0}
        checks = await telegram_checks(settings, EN)
        assert checks[1].level is Level.WARN and "example.org" in checks[1].what
        assert not any(sandbox.token in c.line(EN) for c in checks)
        sandbox.assert_no_violations()
        bad = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token="999:WRONG",
            bot_api_url=sandbox.base_url,
        )
        [refused] = await telegram_checks(bad, EN)
        assert refused.level is Level.FAIL and "401" in refused.what


@pytest.mark.parametrize(
    ("zone", "calendar_line", "level"),
    [
        ("Asia/Shanghai", "calendar:", None),
        ("Asia/Urumqi", "calendar:", None),
        ("Mars/Olympus", "calendar not checked", Level.WARN),
    ],
)
async def test_the_calendar_is_checked_in_the_zone_given_never_a_guessed_one(
    here: Path, zone: str, calendar_line: str, level: Level | None
) -> None:
    # The command line runs its own event loop: off this test's.
    assert await asyncio.to_thread(main, ["db", "upgrade"]) == 0
    checks = await doctor.local_checks(
        token=None,
        database_url=os.environ["ZHUCUN_DATABASE_URL"],
        policy="ganzhou-2021",
        timezone=zone,
        now=datetime(2026, 12, 7, 9, tzinfo=UTC),
        t=EN,
    )
    zone_check = next(c for c in checks if "ZHUCUN_TIMEZONE" in c.what or "time zone" in c.what)
    assert (zone_check.level is Level.OK) is (level is None)
    found = [c for c in checks if c.what.startswith(calendar_line)]
    assert found, [c.what for c in checks]
    if level is not None:
        assert found[0].level is level


# ---------------------------------------------------------------------------- DingTalk

SECRET = "test-secret"


@pytest.fixture
async def dingtalk() -> AsyncIterator[DingTalkSandbox]:
    box = DingTalkSandbox()
    await box.start()
    yield box
    await box.stop()


def _dingtalk(url: str, secret: str = SECRET) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        dingtalk_client_id="ding-test-app",
        dingtalk_client_secret=secret,
        dingtalk_api_url=url,
    )


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_dingtalk_credentials_are_checked_by_asking_for_an_access_token(
    dingtalk: DingTalkSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    [good] = await dingtalk_checks(_dingtalk(dingtalk.base_url), EN)
    assert good.level is Level.OK and "DingTalk: the app's credentials are valid" in good.what

    [wrong] = await dingtalk_checks(_dingtalk(dingtalk.base_url, "not-the-secret"), EN)
    assert wrong.level is Level.FAIL
    assert "ZHUCUN_DINGTALK_CLIENT_ID" in wrong.what
    assert "ZHUCUN_DINGTALK_CLIENT_SECRET" in wrong.what
    assert "\n" not in wrong.line(EN)

    url = _closed_port_url()
    [away] = await dingtalk_checks(_dingtalk(url), EN)
    assert away.level is Level.FAIL and f"DingTalk's API at {url} could not be reached" in (
        away.what
    )
    assert not dingtalk.violations
    for secret in (SECRET, "not-the-secret"):
        assert not any(secret in c.line(EN) for c in (good, wrong, away))
        assert secret not in caplog.text


async def test_dingtalk_is_not_asked_when_it_is_not_configured() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert await dingtalk_checks(settings, EN) == []


async def test_a_wrong_dingtalk_secret_is_one_line_and_exits_non_zero(
    here: Path,
    dingtalk: DingTalkSandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ZHUCUN_DINGTALK_CLIENT_ID", "ding-test-app")
    monkeypatch.setenv("ZHUCUN_DINGTALK_API_URL", dingtalk.base_url)
    monkeypatch.setenv("ZHUCUN_DINGTALK_CLIENT_SECRET", SECRET)
    # The command line runs its own event loop: off this test's, which serves the emulator.
    code = await asyncio.to_thread(main, ["--lang", "en", "doctor"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0, lines
    assert _line(lines, "DingTalk: the app's credentials are valid").startswith("ok")
    # DingTalk only: no Telegram token is nothing to warn about.
    assert _line(lines, "ZHUCUN_BOT_TOKEN is not set").startswith("ok")
    assert not any("Telegram:" in line for line in lines)

    monkeypatch.setenv("ZHUCUN_DINGTALK_CLIENT_SECRET", "not-the-secret")
    code = await asyncio.to_thread(main, ["--lang", "en", "doctor"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    failed = [line for line in lines if line.startswith("fail")]
    assert len(failed) == 1 and "ZHUCUN_DINGTALK_CLIENT_SECRET" in failed[0], lines
    assert not any("not-the-secret" in line for line in lines)

    monkeypatch.setenv("ZHUCUN_DINGTALK_API_URL", _closed_port_url())
    code = await asyncio.to_thread(main, ["--lang", "en", "doctor"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    [failed_line] = [line for line in lines if line.startswith("fail")]
    assert "could not be reached" in failed_line


@pytest.mark.parametrize(
    ("set_name", "missing"),
    [
        ("ZHUCUN_DINGTALK_CLIENT_ID", "ZHUCUN_DINGTALK_CLIENT_SECRET"),
        ("ZHUCUN_DINGTALK_CLIENT_SECRET", "ZHUCUN_DINGTALK_CLIENT_ID"),
    ],
)
def test_half_a_dingtalk_configuration_names_what_is_missing(
    here: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    set_name: str,
    missing: str,
) -> None:
    monkeypatch.setenv(set_name, "ding-half")
    code, lines = _doctor(capsys, "--offline")
    assert code == 1
    [failed] = [line for line in lines if line.startswith("fail")]
    assert f"{missing} is not" in failed


# ------------------------------------------------------------- settings that do not load


def test_a_bad_time_zone_is_a_failing_check_and_the_others_still_run(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    monkeypatch.setenv("ZHUCUN_TIMEZONE", "Mars/Base")
    capsys.readouterr()
    code = main(["doctor", "--offline"])  # Chinese: no --lang, no locale
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert (code, err) == (1, "")
    [failed] = [line for line in lines if line.startswith("失败")]
    assert "ZHUCUN_TIMEZONE 'Mars/Base'" in failed and "Asia/Shanghai" in failed
    assert _line(lines, "政策包 ganzhou-2021 有效").startswith("正常")
    assert _line(lines, "数据库结构为最新").startswith("正常")
    assert _line(lines, "未检查日历").startswith("注意")  # no zone, no today to check
    assert lines[-1] == "检查：正常 5、注意 3、失败 1", lines


def test_every_setting_that_does_not_load_is_a_failing_check(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZHUCUN_BACKUP_KEEP", "0")
    monkeypatch.setenv("ZHUCUN_WEBHOOK_PORT", "eighty")
    monkeypatch.setenv("ZHUCUN_POLICY", "nope-2099")
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", "postgresql+asyncpg://u@h:notaport/db")
    code, lines = _doctor(capsys, "--offline")
    assert code == 1
    failed = [line for line in lines if line.startswith("fail")]
    assert len(failed) == 4, lines
    assert "ZHUCUN_WEBHOOK_PORT='eighty' is not valid: a whole number is expected" in failed[0]
    assert "ZHUCUN_BACKUP_KEEP='0' is not valid: keep at least 1 backup" in failed[1]
    assert "ZHUCUN_DATABASE_URL is not a database URL" in failed[2]
    assert "ZHUCUN_POLICY 'nope-2099'" in failed[3]
    assert _line(lines, "time zone Asia/Shanghai").startswith("ok")


def test_another_command_refuses_a_bad_setting_in_one_line(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZHUCUN_TIMEZONE", "Mars/Base")
    assert main(["tick"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == "zhucun: ZHUCUN_TIMEZONE='Mars/Base' 无效：未知的时区\n"
