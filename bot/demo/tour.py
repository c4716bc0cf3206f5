"""``zhucun demo --script tour``: the whole story, played without input and printed.

Each step is a line typed at the demo console, and what must arrive because of it (in which
chat, containing what). A step whose message does not arrive in time, a Bot API call the
emulator found against the spec, or a button press never answered fails the tour (exit 1).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.demo.county import NEWCOMER
from bot.demo.rendering import Transcript
from bot.demo.session import COUNTY_GROUP, DemoWorld
from bot.demo.terminal import Terminal

TIMEOUT = 15.0
_SENDS = {"sendMessage", "sendDocument", "sendPhoto", "editMessageText", "editMessageCaption"}


@dataclass(frozen=True)
class Expect:
    chat: str  # a person's name, or a group's title
    contains: str
    document: bool = False


@dataclass(frozen=True)
class Step:
    line: str
    expect: tuple[Expect, ...] = ()


def _step(line: str, *expect: tuple[str, str] | Expect) -> Step:
    return Step(line, tuple(e if isinstance(e, Expect) else Expect(*e) for e in expect))


# The newcomer's invitation token, known only once the demo has issued it.
INVITE = "{invite}"

CHAPTERS: list[tuple[str, list[Step]]] = [
    (
        "一、注册：新队员打开邀请链接就登记好了  A newcomer registers through the invitation link",
        [
            _step(f"/as {NEWCOMER}"),
            _step("/mine", (NEWCOMER, "请向县驻村办索取邀请链接")),
            _step(f"/start {INVITE}", (NEWCOMER, "您已登记为")),
            _step("/mine", (NEWCOMER, "黄金凤")),
        ],
    ),
    (
        "二、请假：一句话申请，乡镇党委回复“同意”即批准  Leave in one line, approved by a reply",
        [
            _step("/as 王芳"),
            _step("/leave 11-25 11-27 事假 孩子学校开家长会", ("王芳", "事假")),
            _step("1", ("王芳", "已送"), ("刘洋", "请假申请")),
            _step("/as 乡镇党委"),
            _step("/reply 同意", ("刘洋", "已批准"), ("王芳", "已获批准")),
        ],
    ),
    (
        "三、走访：户主名字打错了，点一下就记上  A visit with a typo in the name",
        [
            _step("/as 王芳"),
            _step("/visit 张伟民 入户 老人血压偏高，已联系村医上门", ("王芳", "是指哪一户")),
            _step("1", ("王芳", "已保存走访")),
            _step("/mine", ("王芳", "张伟明")),
        ],
    ),
    (
        "四、抽查：乡镇党委抽查在岗，干部发送位置回复  A spot check answered with a location",
        [
            _step("/as 乡镇党委@江口镇"),
            _step("/spotcheck 王芳", ("刘洋", "王芳"), ("王芳", "抽查")),
            _step("/as 王芳"),
            _step("/loc 25.83,114.93", ("王芳", "抽查"), ("刘洋", "王芳在村")),
        ],
    ),
    (
        "五、月底：县里的每月调度和乡镇的考勤表  Month end: the dispatch check and the sheet",
        [
            _step("/as 县驻村办"),
            _step("/group /bind county", (COUNTY_GROUP, "赣县区")),
            _step(
                "/clock 2026-12-01T09:00",
                (COUNTY_GROUP, "调度"),
                Expect("刘洋", "考勤表", document=True),
            ),
        ],
    ),
]


class TourFailed(Exception):
    pass


async def _arrived(world: DemoWorld, mark: int, chat_id: int, expect: Expect) -> bool:
    """Whether, since call ``mark``, the bot sent or edited a message as expected."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while True:
        for call in world.sandbox.calls[mark:]:
            msg = call.result if call.method in _SENDS and call.ok else None
            if not isinstance(msg, dict) or msg["chat"]["id"] != chat_id:
                continue
            if expect.document and "document" not in msg:
                continue
            if expect.contains in str(msg.get("text", msg.get("caption", ""))):
                return True
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.1)
        await world.settle()


def _chat_id(world: DemoWorld, name: str) -> int:
    if name in world.groups:
        return world.groups[name].chat_id
    return world.users[name].chat_id


async def _play(world: DemoWorld, terminal: Terminal, transcript: Transcript) -> None:
    for title, steps in CHAPTERS:
        transcript.heading(title)
        for step in steps:
            mark = len(world.sandbox.calls)
            await terminal.execute(step.line.replace(INVITE, world.invitation or ""))
            for expect in step.expect:
                if not await _arrived(world, mark, _chat_id(world, expect.chat), expect):
                    what = "a document" if expect.document else "a message"
                    raise TourFailed(
                        f"after {step.line!r}: no {what} to {expect.chat} containing "
                        f"{expect.contains!r} within {TIMEOUT:.0f}s"
                    )
    sheets = [p for p in transcript.saved if p.name.startswith("考勤表")]
    if not sheets or not all(p.is_file() for p in sheets):
        raise TourFailed("the attendance sheet was not saved")


def _problems(world: DemoWorld) -> list[str]:
    out = [f"Bot API spec violation: {v}" for v in world.sandbox.violations]
    out += [
        f"button press never answered (data={c.data!r})"
        for c in world.sandbox.unanswered_callbacks()
    ]
    return out


async def play_tour(world: DemoWorld, transcript: Transcript) -> int:
    terminal = Terminal(world, transcript, echo=True)
    try:
        await _play(world, terminal, transcript)
    except TourFailed as exc:
        transcript.flush()
        transcript.error(f"导览失败 tour failed {exc}")
        return 1
    problems = _problems(world)
    for problem in problems:
        transcript.error(problem)
    if problems:
        return 1
    transcript.heading("导览完成 Tour complete")
    for path in sorted(transcript.saved):
        transcript.note(f"已保存 saved: {path}")
    transcript.note(f"花名册 roster: {world.roster_path}；数据库 database: {world.db}")
    return 0
