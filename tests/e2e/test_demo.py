"""``zhucun demo``: the tour plays the whole story through the real runtime and the emulator
(and fails on any missing message or spec violation); the terminal chat works from piped
input; the demo county imports cleanly through the real roster import."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.commands.base import CliError
from bot.commands.demo import run_demo
from bot.config import Settings
from bot.context import AppContext
from bot.demo import county
from bot.demo.dingtalk import DingTalkWorld
from bot.demo.session import DemoWorld
from bot.demo.terminal import NO_BUTTONS, DemoError, Terminal
from bot.demo.tour import CHAPTERS
from sandbox.dingtalk.records import Sent
from sandbox.telegram.chats import SentMessage
from sandbox.telegram.emulator import BotApiSandbox

CLI = [sys.executable, "-m", "bot.cli"]


async def _demo(
    tmp_path: Path, *args: str, stdin: bytes = b"", env_extra: dict[str, str] | None = None
) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHUCUN_")}
    env |= env_extra or {}
    env.pop("NO_COLOR", None)
    proc = await asyncio.create_subprocess_exec(
        *CLI,
        "demo",
        "--db",
        str(tmp_path / "demo.db"),
        "--out",
        str(tmp_path / "out"),
        *args,
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_the_tour_plays_the_whole_story(tmp_path: Path) -> None:
    code, out, err = await _demo(tmp_path, "--script", "tour")
    assert code == 0, out[-3000:] + err
    assert err == ""
    assert "政策包 policy pack: ganzhou-2021" in out  # the default pack
    # The newcomer is refused, opens the invitation link, and is registered.
    assert "35 人已通过邀请链接注册" in out and f"{county.NEWCOMER}尚未注册" in out
    assert f"{county.NEWCOMER} › /start " in out and "钟敏，您好！您已登记为" in out
    assert "1. 黄金凤（JK1-07）" in out  # and at once sees their paired households
    assert "/leave 11-25 11-27 事假" in out and "请假申请" in out
    assert "刘洋 › /reply 同意" in out and "已获批准" in out
    assert "“张伟民”是指哪一户？" in out and "已保存走访：张伟明" in out
    assert "抽查" in out and "王芳在村" in out
    assert "赣县区驻村工作调度（2026年11月）" in out or "调度" in out
    assert "导览完成 Tour complete" in out
    assert "\x1b[" not in out  # not a terminal: plain text
    sheet = tmp_path / "out" / "考勤表_江口镇_2026-11.xlsx"
    assert f"saved to {sheet}" in out and f"已保存 saved: {sheet}" in out
    workbook = load_workbook(sheet)
    assert "2026年11月考勤表" in str(workbook["江口镇"]["A1"].value)
    assert (tmp_path / "out" / "花名册_赣县区.xlsx").is_file()


async def test_the_terminal_chat_reads_piped_lines(tmp_path: Path) -> None:
    lines = (
        "/who\n/as 乡镇党委\n/pending\n/as 王芳\n/loc\n7\n"
        "/leave 11-25 11-26 事假 家中有事\n/as 村党组织\n/quit\n"
    )
    # The deployment's pack is the demo's: the same county under guangdong-2016, where the
    # village party organisation grants two days (ganzhou-2021: the township).
    policy = {"ZHUCUN_POLICY": "guangdong-2016"}
    code, out, err = await _demo(tmp_path, stdin=lines.encode(), env_extra=policy)
    assert code == 0, out[-3000:] + err
    assert "政策包 policy pack: guangdong-2016" in out
    assert "将送：村党组织（钟国华）审批" in out
    assert "江口镇下寨村: ▶王芳" in out  # /who marks who you are
    assert "当前身份 now playing: 刘洋（乡镇党委 · 江口镇）" in out
    assert "刘洋 › /pending" in out and "驻村助手 → 刘洋" in out
    assert "今天计为在村" in out  # /loc alone: at one's own village
    assert "✗ 机器人最后一条消息没有按钮" in out  # the location's answer has none
    assert "now playing: 钟国华" in out  # the village party organisation of 王芳's village
    assert "再见 bye" in out


async def test_the_dingtalk_demo_is_the_same_county_on_dingtalk(tmp_path: Path) -> None:
    lines = "/as 王芳\n/help\n/leave 11-25 11-27 事假 家长会\n1\n/loc\n/quit\n"
    # --policy wins over ZHUCUN_POLICY; qinghai-2018 borrows ganzhou's tiers (3 days: township).
    code, out, err = await _demo(
        tmp_path,
        "--channel",
        "dingtalk",
        "--policy",
        "qinghai-2018",
        stdin=lines.encode(),
        env_extra={"ZHUCUN_POLICY": "guangdong-2016"},
    )
    assert code == 0, out[-3000:] + err
    assert err == ""
    assert "政策包 policy pack: qinghai-2018" in out
    assert "36 人已在钉钉向机器人发送“绑定 邀请码”注册" in out  # the newcomer included
    assert "【钉钉】王芳 ← 驻村助手" in out
    assert "/leave — 请假" in out  # the reply to /help
    assert "[1 提交] [2 取消]" in out and "**" not in out
    assert "点按 presses [提交]" in out and "【钉钉】刘洋 ← 驻村助手" in out  # sent on
    assert "✗ 钉钉机器人收不到位置消息" in out
    assert "再见 bye" in out


async def test_the_tour_is_telegrams_only(tmp_path: Path) -> None:
    code, _out, err = await _demo(tmp_path, "--channel", "dingtalk", "--script", "tour")
    assert code != 0
    assert "只有 Telegram 版" in err and len(err.strip().splitlines()) == 1


def test_the_demo_county_is_the_roster_the_template_describes() -> None:
    rows = county.roster_rows()
    assert len(rows["村"]) == 6 and {r["乡镇"] for r in rows["村"]} == {"江口镇", "茅店镇"}
    assert all(3 <= len(team) <= 4 for team in county.TEAMS.values())
    assert len(rows["农户"]) == 60
    cadres = [r["手机"] for r in rows["工作队员"]]
    paired = [r["干部手机"] for r in rows["结对"]]
    assert all(paired.count(phone) == 2 for phone in cadres)  # ganzhou Art.11
    heads = [r["户主"][0] for r in rows["农户"]]
    assert {"单", "曾", "解"} <= set(heads)  # surnames read differently
    posts = {r["岗位"] for r in rows["审批人"]}
    assert posts == set(county.POSTS)
    assert sum(len(steps) for _, steps in CHAPTERS) >= 10
    assert county.NEWCOMER in [name for name, *_ in county.TEAMS["下寨村"]]


def test_as_finds_people_and_posts_and_when_reads_times() -> None:
    world = DemoWorld(Path("unused.db"), Path("unused-out"))
    assert isinstance(world.sandbox, BotApiSandbox)
    terminal = Terminal(world, transcript=None, echo=False)  # type: ignore[arg-type]
    assert terminal.resolve("王芳") == "王芳"
    assert terminal.resolve("乡镇党委") == "刘洋"  # 王芳's township
    assert terminal.resolve("乡镇党委@茅店镇") == "罗建新"
    assert terminal.resolve("派出单位") == "吴海"  # 王芳's dispatching unit
    assert terminal.resolve("村党组织@长洛村") == "曾广发"
    terminal.current = "陈静"
    for ambiguous in ("乡镇党委", "nobody"):
        try:
            terminal.resolve(ambiguous)
        except DemoError as exc:
            assert "乡镇党委@江口镇" in str(exc) or "/who" in str(exc)
        else:
            raise AssertionError(f"{ambiguous} should be refused")
    start = world.local_now()
    assert terminal.when("+7d") - start == timedelta(days=7)
    assert terminal.when("+1d12h").hour == 21
    assert f"{terminal.when('2026-12-01'):%Y-%m-%d %H:%M %Z}" == "2026-12-01 09:00 CST"
    assert terminal.when("2026-12-01T08:30").utcoffset() is not None


@pytest.mark.parametrize(("flag", "env"), [("nope", "ganzhou-2021"), (None, "nope")])
async def test_an_unknown_pack_is_refused_before_the_demo_starts(
    tmp_path: Path, flag: str | None, env: str
) -> None:
    settings = Settings(_env_file=None, policy=env)  # type: ignore[call-arg]
    with pytest.raises(CliError, match=r"未知的政策包 'nope'（可选：.*guangdong-2016"):
        await run_demo(AppContext(settings), None, db=tmp_path / "d.db", policy=flag)
    assert not (tmp_path / "d.db").exists()


async def test_the_demo_never_deletes_the_deployments_database(tmp_path: Path) -> None:
    real = tmp_path / "zhucun.db"
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{real}")  # type: ignore[call-arg]
    with pytest.raises(CliError, match="另一个文件"):
        await run_demo(AppContext(settings), None, db=real, out=tmp_path / "out")


def _message(message_id: int, *buttons: str) -> SentMessage:
    raw: dict[str, Any] = {"message_id": message_id, "chat": {"id": 1}, "date": 0, "text": "…"}
    if buttons:
        keyboard = [[{"text": b, "callback_data": f"data:{b}"} for b in buttons]]
        raw["reply_markup"] = {"inline_keyboard": keyboard}
    return SentMessage(raw, source=None, parse_mode=None)


class _Person:
    def __init__(self) -> None:
        self.pressed: list[str] = []

    async def press_data(self, message: SentMessage, data: str) -> str:
        self.pressed.append(data)
        return "ok"


async def test_a_digit_presses_only_the_bots_last_message() -> None:
    """In the demo a digit pressed 撤回 on an older card after a plain answer had followed,
    and withdrew an approved leave (issue 18): only the last message's buttons count."""
    person = _Person()
    chat = [_message(1, "撤回", "返岗")]
    world = SimpleNamespace(
        users={"王芳": person}, sandbox=SimpleNamespace(sent=lambda user: list(chat))
    )
    terminal = Terminal(world, transcript=None, echo=False)  # type: ignore[arg-type]
    await terminal.press(2)
    assert person.pressed == ["data:返岗"]
    chat.append(_message(2))  # a plain answer follows the card
    with pytest.raises(DemoError) as refused:
        await terminal.press(1)
    assert str(refused.value) == NO_BUTTONS and "\n" not in NO_BUTTONS
    assert "没有按钮" in NO_BUTTONS and "no buttons" in NO_BUTTONS
    assert person.pressed == ["data:返岗"]
    chat.append(_message(3, "确定", "取消"))
    with pytest.raises(DemoError, match="1–2"):
        await terminal.press(3)
    await terminal.press(1)
    assert person.pressed == ["data:返岗", "data:确定"]


async def test_a_digit_on_dingtalk_taps_only_the_bots_last_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = DingTalkWorld(Path("unused.db"), Path("unused-out"))
    staff = world.staff["王芳"]
    tapped: list[str] = []

    async def tap(to: str, message: Sent, index: int) -> str:
        tapped.append(message.buttons[index][0])
        return "msg-id"

    monkeypatch.setattr(world.box, "tap", tap)
    card = [("撤回", "dtmd://x"), ("返岗", "dtmd://y")]
    world.box.sent.append(Sent("card", staff, "t", {}, "…", card))
    world.box.sent.append(Sent("oto", "someone-else", "sampleText", {}, "…"))
    assert await world.tap("王芳", 2) == "返岗"
    world.box.sent.append(Sent("oto", staff, "sampleText", {}, "已批准"))
    with pytest.raises(DemoError, match="no buttons"):
        await world.tap("王芳", 1)
    assert tapped == ["返岗"]
