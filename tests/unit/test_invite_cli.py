"""``zhucun invite``: a Telegram deep link, what to send the DingTalk robot when DingTalk is
set up, or only that when DingTalk is the only channel."""

from __future__ import annotations

import asyncio
import csv
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings
from bot.context import AppContext
from tests.factories import seed_roster

TELEGRAM = {"ZHUCUN_BOT_USERNAME": "zhucun_test_bot"}
DINGTALK = {"ZHUCUN_DINGTALK_CLIENT_ID": "ding123", "ZHUCUN_DINGTALK_CLIENT_SECRET": "s3cret"}
LINK = re.compile(r"^https://t\.me/zhucun_test_bot\?start=([A-Za-z0-9_-]{1,64})$")
WORDS = re.compile(r"^钉钉：在与机器人的单聊中发送「绑定 ([A-Za-z0-9_-]{1,64})」")


@pytest.fixture
async def database(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in ("ZHUCUN_BOT_TOKEN", "ZHUCUN_BOT_USERNAME", "ZHUCUN_TIMEZONE", *DINGTALK):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", database_url)
    ctx = AppContext(Settings(_env_file=None, database_url=database_url))
    async with await ctx.uow() as uow:
        await seed_roster(uow.session, datetime(2026, 10, 1, tzinfo=UTC))
        await uow.commit()
    await ctx.close()
    return database_url


async def _main(argv: list[str]) -> int:
    return await asyncio.to_thread(main, argv)


@pytest.mark.parametrize(
    ("env", "link", "words"),
    [
        (TELEGRAM, True, False),
        ({**TELEGRAM, **DINGTALK}, True, True),
        (DINGTALK, False, True),
    ],
    ids=["telegram", "both", "dingtalk-only"],
)
async def test_invite_prints_what_each_channel_needs(
    database: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    link: bool,
    words: bool,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert await _main(["invite", "138 0000 0001"]) == 0, capsys.readouterr().err
    lines = capsys.readouterr().out.strip().splitlines()
    tokens = set()
    for pattern, wanted in ((LINK, link), (WORDS, words)):
        found = [m.group(1) for line in lines if (m := pattern.match(line))]
        assert len(found) == (1 if wanted else 0), lines
        tokens.update(found)
    assert len(tokens) == 1  # one invitation, however many channels it is offered on
    assert lines[-1].startswith("给 王芳，只能用一次")


async def test_invite_with_no_channel_says_what_to_set(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _main(["invite", "138 0000 0001"]) != 0
    err = capsys.readouterr().err
    assert "ZHUCUN_BOT_USERNAME" in err and "ZHUCUN_DINGTALK_CLIENT_ID" in err


async def test_invite_all_for_dingtalk_only_writes_the_words_not_links(
    database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in DINGTALK.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "invites.csv"
    assert await _main(["invite", "--all", "--out", str(out)]) == 0, capsys.readouterr().err
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["姓名", "手机", "钉钉单聊发送", "有效期至"]
    assert len(rows) == 10 and all(re.fullmatch(r"绑定 [A-Za-z0-9_-]+", r[2]) for r in rows[1:])
