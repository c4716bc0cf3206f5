"""The installed ``zhucun`` program as separate processes: invite, run, stop, and the
one-line answer when no token is set."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

from bot.config import Settings
from bot.context import AppContext
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


async def test_invite_then_run_registers_then_stops_on_sigterm(
    sandbox: BotApiSandbox, tmp_path: Path
) -> None:
    database = tmp_path / "z.db"
    env = _env(sandbox, database)
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
    sandbox.assert_no_violations()
