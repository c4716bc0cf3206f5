"""What a newcomer meets at the command line: ``run`` with no network, ``db current`` on
no database, ``outbox retry`` of a row that is not there. Each is one line in the
command line's language and a non-zero exit. In-process through ``bot.cli.main``."""

from __future__ import annotations

import asyncio
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from models.db import create_engine, session_factory
from services.messaging import outbox


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no .env and no ZHUCUN_ variables but the database's."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("ZHUCUN_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'z.db'}")
    return tmp_path


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("settings", "messenger"),
    [
        ({"ZHUCUN_BOT_TOKEN": "123456:ABCdef", "ZHUCUN_BOT_API_URL": ""}, "Telegram"),
        (
            {
                "ZHUCUN_DINGTALK_CLIENT_ID": "ding-app",
                "ZHUCUN_DINGTALK_CLIENT_SECRET": "s3cret",
                "ZHUCUN_DINGTALK_API_URL": "",
            },
            "钉钉",
        ),
    ],
    ids=["telegram", "dingtalk"],
)
def test_run_without_network_says_so_and_points_to_doctor(
    here: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    settings: dict[str, str],
    messenger: str,
) -> None:
    for name, value in settings.items():
        monkeypatch.setenv(name, value or _closed_port_url())  # nothing listens there
    code, out, err = _run(capsys, "run")
    assert code == 1 and out == ""
    assert err.count("\n") == 1, err
    assert err.startswith(f"zhucun: 连不上 {messenger}（127.0.0.1") and "zhucun doctor" in err
    assert "检查网络或代理" in err
    assert "unexpected" not in err and "意外" not in err
    assert "s3cret" not in err and "ABCdef" not in err

    if messenger == "钉钉":  # in English once: Telegram's start-up costs seconds
        code, _, err = _run(capsys, "--lang", "en", "run")
        assert code == 1 and "cannot reach DingTalk at 127.0.0.1" in err
        assert "check the network or the proxy; `zhucun doctor` checks everything" in err


def test_db_current_without_a_database_creates_none(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "db", "current")
    assert (code, out) == (1, "")
    assert err == (
        f"zhucun: {here / 'z.db'} 还没有数据库：`zhucun db upgrade` 会创建它（`zhucun run` 也会）\n"
    )
    assert not (here / "z.db").exists()

    assert _run(capsys, "db", "upgrade")[0] == 0
    code, out, _ = _run(capsys, "db", "current")
    assert code == 0 and out.startswith("数据库版本 ") and "最新" in out
    code, out, _ = _run(capsys, "--lang", "en", "db", "current")
    assert code == 0 and out.startswith("database at ") and "up to date" in out


async def _pending_row(url: str) -> int:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            await outbox.enqueue(
                session,
                key="k1",
                chat_id="100",
                template="test.echo",
                params={},
                now=datetime(2026, 12, 1, tzinfo=UTC),
                channel="telegram",
            )
            await session.commit()
    finally:
        await engine.dispose()
    return 1


def test_outbox_retry_of_a_row_that_is_not_there_says_so(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(capsys, "db", "upgrade")[0] == 0
    code, out, err = _run(capsys, "outbox", "retry", "999")
    assert (code, out) == (1, "")
    assert err == "zhucun: 没有编号为 #999 的待发消息（见 `zhucun outbox status`）\n"
    code, _, err = _run(capsys, "--lang", "en", "outbox", "retry", "999")
    assert err == "zhucun: there is no outbox row #999 (see `zhucun outbox status`)\n"

    row = asyncio.run(_pending_row(os.environ["ZHUCUN_DATABASE_URL"]))
    code, out, err = _run(capsys, "outbox", "retry", str(row))
    assert (code, out) == (1, "")
    assert "消息 #1 的状态是待发，不是失败或不确定" in err


@pytest.mark.parametrize(
    ("url", "error"),
    [("garbage", "ArgumentError"), ("sqlite+aiosqlite:///{here}/a-file/z.db", "FileExistsError")],
    ids=["not-a-url", "folder-is-a-file"],
)
def test_a_database_that_cannot_be_opened_is_one_line(
    here: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
    error: str,
) -> None:
    (here / "a-file").write_text("")
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", url.format(here=here))
    code, out, err = _run(capsys, "tick")
    assert (code, out) == (1, "")
    assert err == (
        f"zhucun: 打不开数据库（{error}）：请检查 ZHUCUN_DATABASE_URL；`zhucun doctor` 可逐项检查\n"
    )


def test_an_unknown_policy_is_named_not_coded(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZHUCUN_POLICY", "ganzhou-2099")
    code, out, err = _run(capsys, "tick")
    assert (code, out) == (2, "")
    assert err.startswith("zhucun: ZHUCUN_POLICY 'ganzhou-2099' 不是政策包：请用其中之一：")
    assert "ganzhou-2021" in err and "policy_unknown" not in err and err.count("\n") == 1


def test_a_webhook_without_its_secret_is_one_line_in_the_language(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZHUCUN_BOT_TOKEN", "123456:ABCdef")
    monkeypatch.setenv("ZHUCUN_WEBHOOK_URL", "https://bot.example.org/tg")
    code, out, err = _run(capsys, "run")
    assert (code, out) == (2, "")
    assert err.startswith("zhucun: 未设置 ZHUCUN_WEBHOOK_SECRET：") and err.count("\n") == 1
