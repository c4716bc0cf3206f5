"""The installed ``zhucun`` program as separate processes: invite, run, stop, the
one-line answer when no token is set, and a reader that goes away."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.context import AppContext
from sandbox.dingtalk import DingTalkSandbox
from sandbox.telegram.emulator import BotApiSandbox
from tests.factories import seed_roster

CLI = [sys.executable, "-m", "bot.cli"]


def _env(sandbox: BotApiSandbox | None, database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHUCUN_")}
    env["ZHUCUN_DATABASE_URL"] = f"sqlite+aiosqlite:///{database}"
    if sandbox is not None:
        env["ZHUCUN_BOT_TOKEN"] = sandbox.token
        env["ZHUCUN_BOT_API_URL"] = sandbox.base_url
    return env


async def _cli(env: dict[str, str], *args: str, cwd: Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *CLI,
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_no_token_starts_the_offline_demo(tmp_path: Path) -> None:
    """The README's run command on a fresh machine: the demo, saying what to set."""
    proc = await asyncio.create_subprocess_exec(
        *CLI,
        env=_env(None, tmp_path / "z.db"),
        cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(b"/who\n/quit\n"), timeout=120)
    text = out.decode()
    assert proc.returncode == 0, err.decode()
    assert "ZHUCUN_BOT_TOKEN" in text and "王芳" in text
    assert (tmp_path / "data" / "demo.db").exists()


async def test_a_bot_role_without_a_token_says_what_to_set(tmp_path: Path) -> None:
    code, out, err = await _cli(_env(None, tmp_path / "z.db"), "run", "--role", "bot", cwd=tmp_path)
    assert code != 0
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "ZHUCUN_BOT_TOKEN" in lines[0]


@pytest.mark.parametrize("level", [None, "DEBUG"])
async def test_invite_then_run_registers_then_stops_on_sigterm(
    sandbox: BotApiSandbox, tmp_path: Path, level: str | None
) -> None:
    """And at ZHUCUN_LOG_LEVEL=DEBUG the DEBUG lines of every library come out, with the
    token and the person's phone number masked in them."""
    database = tmp_path / "z.db"
    env = _env(sandbox, database)
    if level is not None:
        env["ZHUCUN_LOG_LEVEL"] = level
    ctx = AppContext(Settings(_env_file=None, database_url=env["ZHUCUN_DATABASE_URL"]))  # type: ignore[call-arg]
    async with await ctx.uow() as uow:
        from datetime import UTC, datetime

        await seed_roster(uow.session, datetime.now(UTC))
        await uow.commit()
    await ctx.close()

    code, out, err = await _cli(env, "invite", "138 0000 0001", cwd=tmp_path)
    assert code == 0, err
    match = re.search(r"https://t\.me/zhucun_test_bot\?start=([A-Za-z0-9_-]{1,64})\b", out)
    assert match, out
    assert match.group(1) not in err  # the secret is printed for the operator, not logged
    assert "13800000001" not in err  # the phone looked up, not logged (at DEBUG neither)

    bot = await asyncio.create_subprocess_exec(
        *CLI,
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        wang = sandbox.user(first_name="芳")
        sent = await wang.send(f"/start {match.group(1)}")
        reply = await sandbox.wait_for_message(wang.chat_id, after=sent["message_id"], timeout=30)
        assert "王芳，您好" in reply.text
    finally:
        bot.send_signal(signal.SIGTERM)
        _, err_bytes = await asyncio.wait_for(bot.communicate(), timeout=30)
    logs = err_bytes.decode()
    assert bot.returncode == 0, logs
    assert sandbox.token not in logs and sandbox.token.split(":")[1] not in logs
    assert "13800000001" not in logs
    assert "王芳" not in logs
    if level == "DEBUG":
        # Past startup too: the scheduler's DEBUG lines, not only asyncio's first one.
        assert " DEBUG apscheduler" in logs, logs[-2000:]
        # aiosqlite's DEBUG lines carry each query's parameters: names, phone numbers.
        assert " DEBUG aiosqlite" not in logs
    sandbox.assert_no_violations()


def _dingtalk_env(env: dict[str, str], box: DingTalkSandbox) -> dict[str, str]:
    return {
        **env,
        "ZHUCUN_DINGTALK_CLIENT_ID": box.client_id,
        "ZHUCUN_DINGTALK_CLIENT_SECRET": box.client_secret,
        "ZHUCUN_DINGTALK_API_URL": box.base_url,
    }


async def _seeded_tokens(database: Path, *names: str) -> list[str]:
    """The roster in a fresh database, and an invitation for each of these people."""
    from datetime import UTC, datetime

    from services.roster import invites

    ctx = AppContext(Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{database}"))  # type: ignore[call-arg]
    tokens = []
    async with await ctx.uow() as uow:
        roster = await seed_roster(uow.session, datetime.now(UTC))
        for name in names:
            issued = await invites.issue(uow.session, roster.people[name], datetime.now(UTC))
            tokens.append(issued.token)
        await uow.commit()
    await ctx.close()
    return tokens


async def _connected(box: DingTalkSandbox) -> None:
    """The bot process reached DingTalk's gateway (it starts in seconds; slower under load)."""
    for _ in range(600):
        if box.connected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the bot never connected to the DingTalk gateway")


async def _stop(proc: asyncio.subprocess.Process) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    return err.decode()


async def test_with_only_dingtalk_set_run_serves_dingtalk(tmp_path: Path) -> None:
    box = DingTalkSandbox()
    await box.start()
    box.add_user("wangfang", "王芳")
    database = tmp_path / "z.db"
    [token] = await _seeded_tokens(database, "王芳")
    env = _dingtalk_env(_env(None, database), box)
    bot = await asyncio.create_subprocess_exec(
        *CLI, "run", env=env, cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await _connected(box)
        mark = len(box.sent)
        await box.say("wangfang", f"绑定 {token}")
        reply = await box.wait_for(lambda m: m.to == "wangfang", after=mark, timeout=30)
        assert "王芳，您好" in reply.text
    finally:
        logs = await _stop(bot)
        await box.stop()
    assert bot.returncode == 0, logs
    assert box.connections >= 1
    assert box.client_secret not in logs and "demo" not in logs.lower()
    assert not any(t.value in logs for t in box.tokens.values())
    box.assert_no_violations()


async def test_with_both_set_one_process_serves_both(
    sandbox: BotApiSandbox, tmp_path: Path
) -> None:
    box = DingTalkSandbox()
    await box.start()
    box.add_user("liqiang", "李强")
    database = tmp_path / "z.db"
    wang_token, li_token = await _seeded_tokens(database, "王芳", "李强")
    env = _dingtalk_env(_env(sandbox, database), box)
    bot = await asyncio.create_subprocess_exec(
        *CLI, "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        wang = sandbox.user(first_name="芳")
        sent = await wang.send(f"/start {wang_token}")
        await _connected(box)
        mark = len(box.sent)
        await box.say("liqiang", f"绑定 {li_token}")
        telegram = await sandbox.wait_for_message(
            wang.chat_id, after=sent["message_id"], timeout=30
        )
        dingtalk = await box.wait_for(lambda m: m.to == "liqiang", after=mark, timeout=30)
        assert "王芳，您好" in telegram.text and "李强，您好" in dingtalk.text
    finally:
        logs = await _stop(bot)
        await box.stop()
    assert bot.returncode == 0, logs
    assert sandbox.token not in logs and box.client_secret not in logs
    sandbox.assert_no_violations()
    box.assert_no_violations()


def test_a_reader_that_goes_away_is_no_error(tmp_path: Path) -> None:
    """``zhucun policy show … | head -1``: no "unexpected error: BrokenPipeError"."""
    import subprocess

    proc = subprocess.Popen(
        [*CLI, "policy", "show", "ganzhou-2021"],
        env=_env(None, tmp_path / "z.db"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before it writes: its first line meets a closed pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) != 0
    assert err == ""
