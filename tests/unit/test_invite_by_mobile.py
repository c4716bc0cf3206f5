"""``zhucun invite --by-mobile``: people bound to their DingTalk accounts by the mobile
number in the organisation's contacts (the DingTalk emulator's getbymobile), registered,
and greeted on DingTalk; the missing listed; nothing written when DingTalk refuses."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.cli import main
from bot.config import Settings
from bot.context import AppContext
from bot.dingtalk.api import DingTalkApi
from models.tables import ChannelAccount, Person
from models.workflow import OutboxMessage
from sandbox.dingtalk import DingTalkSandbox
from services.roster import accounts
from tests.factories import seed_roster

GETBYMOBILE = "/topapi/v2/user/getbymobile"
NOW = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture
async def box() -> AsyncIterator[DingTalkSandbox]:
    sandbox = DingTalkSandbox()
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


@pytest.fixture
async def database(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in (
        "ZHUCUN_BOT_TOKEN",
        "ZHUCUN_BOT_USERNAME",
        "ZHUCUN_TIMEZONE",
        "ZHUCUN_DINGTALK_CLIENT_ID",
        "ZHUCUN_DINGTALK_CLIENT_SECRET",
        "ZHUCUN_DINGTALK_API_URL",
        "ZHUCUN_DINGTALK_OAPI_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", database_url)
    ctx = AppContext(Settings(_env_file=None, database_url=database_url))
    async with await ctx.uow() as uow:
        await seed_roster(uow.session, NOW)
        await uow.commit()
    await ctx.close()
    return database_url


@pytest.fixture
def dingtalk(box: DingTalkSandbox, database: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ZHUCUN_DINGTALK_CLIENT_ID", box.client_id)
    monkeypatch.setenv("ZHUCUN_DINGTALK_CLIENT_SECRET", box.client_secret)
    monkeypatch.setenv("ZHUCUN_DINGTALK_API_URL", box.base_url)
    return database


async def _main(argv: list[str]) -> int:
    # The command line runs its own event loop: off this test's, which serves the emulator.
    return await asyncio.to_thread(main, argv)


async def _state(url: str) -> tuple[list[ChannelAccount], list[OutboxMessage], dict[str, Person]]:
    ctx = AppContext(Settings(_env_file=None, database_url=url))
    try:
        async with await ctx.uow() as uow:
            rows = (await uow.session.exec(select(ChannelAccount))).all()
            queued = (
                await uow.session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
            ).all()
            people = {p.name: p for p in (await uow.session.exec(select(Person))).all()}
            return list(rows), list(queued), people
    finally:
        await ctx.close()


async def test_one_phone_is_bound_registered_and_greeted_on_dingtalk(
    dingtalk: str, box: DingTalkSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    box.add_user("staff-wf", "王芳", mobile="13800000001")
    assert await _main(["invite", "138-0000 0001", "--by-mobile"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out.strip()
    assert out == "已绑定 1 人：王芳"
    assert "13800000001" not in out

    rows, queued, people = await _state(dingtalk)
    wang = people["王芳"]
    [account] = rows
    assert (account.person_id, account.channel) == (wang.id, "dingtalk")
    assert account.external_id == account.chat_id == "staff-wf"
    assert wang.registered_at is not None
    [greeting] = queued
    assert greeting.template == "account.bound_by_mobile"
    assert (greeting.channel, greeting.chat_id, greeting.person_id) == (
        "dingtalk",
        "staff-wf",
        wang.id,
    )
    assert json.loads(greeting.params) == {"name": "王芳"}
    assert not box.violations


async def test_all_binds_those_found_and_lists_the_missing(
    dingtalk: str, box: DingTalkSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    box.add_user("staff-wf", "王芳", mobile="13800000001")
    box.add_user("staff-lq", "李强", mobile="13800000002")
    assert await _main(["invite", "--all", "--by-mobile"]) == 0, capsys.readouterr().err
    [line] = capsys.readouterr().out.strip().splitlines()
    assert line.startswith("已绑定 2 人：王芳、李强；通讯录中未找到 7 人：张伟、"), line
    assert line.endswith("（可改发「绑定 <邀请码>」）")

    rows, queued, people = await _state(dingtalk)
    assert {(r.person_id, r.external_id) for r in rows} == {
        (people["王芳"].id, "staff-wf"),
        (people["李强"].id, "staff-lq"),
    }
    assert sorted(m.chat_id for m in queued) == ["staff-lq", "staff-wf"]
    assert people["张伟"].registered_at is None

    # Run again: the bound are no longer asked about, nobody is greeted twice.
    assert await _main(["invite", "--all", "--by-mobile"]) == 0
    assert capsys.readouterr().out.startswith("已绑定 0 人；通讯录中未找到 7 人")
    assert len((await _state(dingtalk))[1]) == 2


async def test_a_staff_id_bound_to_someone_else_is_reported_not_rebound(
    dingtalk: str, box: DingTalkSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    box.add_user("staff-shared", "王芳", mobile="13800000001")
    _, _, people = await _state(dingtalk)
    ctx = AppContext(Settings(_env_file=None, database_url=dingtalk))
    async with await ctx.uow() as uow:
        li = people["李强"].id
        assert li is not None
        await accounts.bind(
            uow.session, li, channel="dingtalk", external_id="staff-shared",
            chat_id="staff-shared", now=NOW,
        )  # fmt: skip
        await uow.commit()
    await ctx.close()

    assert await _main(["invite", "13800000001", "--by-mobile"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out.strip()
    assert out == "已绑定 0 人；未绑定 1 人：王芳（该钉钉账号已属于李强）"
    rows, queued, people = await _state(dingtalk)
    assert [(r.person_id, r.external_id) for r in rows] == [(li, "staff-shared")]
    assert queued == [] and people["王芳"].registered_at is None


async def test_a_missing_contact_permission_is_one_line_and_writes_nothing(
    dingtalk: str,
    box: DingTalkSandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    box.add_user("staff-wf", "王芳", mobile="13800000001")
    box.add_user("staff-lq", "李强", mobile="13800000002")
    # The first lookup (王芳) succeeds, the second is refused: still nothing is written.
    original = DingTalkApi.user_by_mobile
    asked: list[str] = []

    async def refuse_the_second(api: DingTalkApi, mobile: str) -> str | None:
        asked.append(mobile)
        if len(asked) == 2:
            box.fail_next(GETBYMOBILE, 200, "60011", "no permission")
        return await original(api, mobile)

    monkeypatch.setattr(DingTalkApi, "user_by_mobile", refuse_the_second)
    assert await _main(["invite", "--all", "--by-mobile"]) != 0
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and "qyapi_get_member_by_mobile" in err[0], err
    assert "60011" in err[0] and "1380000" not in captured.err + captured.out
    rows, queued, people = await _state(dingtalk)
    assert rows == [] and queued == []
    assert all(p.registered_at is None for p in people.values())
    assert len(asked) == 2


async def test_without_dingtalk_configured_it_says_what_to_set(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _main(["invite", "13800000001", "--by-mobile"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "ZHUCUN_DINGTALK_CLIENT_ID" in err[0], err
