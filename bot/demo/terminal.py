"""The terminal chat: play anyone in the demo county, line by line.

Reads standard input (a terminal, or piped lines: no TTY needed). Lines starting with one
of the console's own commands are handled here; anything else is sent to the bot as the
current person's message in their private chat.
"""

from __future__ import annotations

import asyncio
import queue
import re
import sys
import threading
from datetime import datetime, time, timedelta

from bot.demo.console import Console
from bot.demo.county import POSTS, TEAMS, VILLAGES
from bot.demo.session import COUNTY_GROUP, DemoWorld
from sandbox.telegram.chats import SentMessage
from sandbox.telegram.errors import SandboxTimeout

HELP = """\
你可以扮演演示县 赣县区（2 个乡镇、6 个村）里的任何人。Play anyone in the demo county.
  /as 王芳              换成某人 become someone；或某个岗位 or a post：/as 乡镇党委、/as 县驻村办
  /as 乡镇党委@茅店镇    另一个乡镇的岗位（村党组织@下寨村、派出单位@赣州市财政局）
  /who                  所有人及其岗位 everyone
  1、2、…               按机器人最后一条消息上的按钮 press a button of the bot's last message
  /reply 同意            回复那条消息（回复“同意”即批准请假）reply to it
  /loc 25.83,114.93     发送位置（只写 /loc：在自己驻的村）share a location
  /photo [说明]          发送示例照片（说明写 /visit 张伟明 即登记走访）send a photo
  /group /bind county   在「赣县区驻村工作群」里发言（群里机器人只看到命令）write in the group
  /clock +7d | +3h | 2026-12-01T09:00   拨动时间，提醒和每月调度随之而来 move time
  ?                     本帮助 help        /quit 退出 quit（或 Ctrl-D）
其他内容都发给机器人 anything else goes to the bot：/help、/leave、/visit、/mine、/pending…"""

_STEP = re.compile(r"(\d+)\s*([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


# Said when a digit is typed and the bot's last message in the chat has no buttons.
NO_BUTTONS = (
    "机器人最后一条消息没有按钮，数字只按最后一条消息上的按钮 "
    "the bot's last message has no buttons: a digit presses only the last message's buttons"
)


class DemoError(Exception):
    """Something the person at the console typed that cannot be done; one line."""


class Terminal:
    """Executes console lines against the demo world and prints what the bot answers."""

    help = HELP

    def __init__(self, world: DemoWorld, transcript: Console, *, echo: bool) -> None:
        self.world = world
        self.transcript = transcript
        self.echo = echo
        self.current = "王芳"

    @property
    def prompt(self) -> str:
        return f"{self.current} › "

    async def execute(self, line: str) -> bool:
        """Do one line; False when the person wants to leave."""
        line = line.strip()
        if self.echo and line:
            self.transcript.said(self.current, line)
        command, _, rest = line.partition(" ")
        rest = rest.strip()
        if not line:
            pass
        elif command in ("/quit", "/exit", "/q"):
            return False
        elif command in ("?", "/?"):
            self.transcript.note(self.help)
        elif command == "/as":
            self.current = self.resolve(rest)
            self.transcript.note(f"当前身份 now playing: {self.world.label(self.current)}")
        elif command == "/who":
            self.transcript.note(self.who())
        elif line.isdigit():
            await self.press(int(line))
        elif command == "/reply":
            if not rest:
                raise DemoError("回复什么？reply what? 例如 /reply 同意")
            await self.reply(rest)
        elif command == "/loc":
            await self.location(*self._location(rest))
        elif command == "/photo":
            await self.photo(rest or None)
        elif command == "/group":
            if not rest:
                raise DemoError("在群里说什么？例如 /group /bind county")
            await self.in_group(rest)
        elif command == "/clock":
            await self.clock(rest)
        else:
            await self.say(line)
        await self.world.settle()
        self.transcript.flush(await self.world.outbox_rows())
        return True

    # ---------------------------------------------------------------- people

    def resolve(self, who: str) -> str:
        """A name, or a post (``乡镇党委``, ``乡镇党委@茅店镇``), as a person's name."""
        if not who:
            raise DemoError("扮演谁？who? 例如 /as 王芳 或 /as 乡镇党委（/who 列出所有人）")
        if who in self.world.people:
            return who
        post, _, where = who.partition("@")
        if post not in POSTS:
            raise DemoError(f"没有“{who}”这个人 nobody called that：/who 列出所有人")
        holders = [p for p in self.world.people.values() for k, _ in p.posts if k == post]
        if where:
            holders = [
                p
                for p in holders
                if where in (p.township, p.village, p.unit) or (post, where) in p.posts
            ]
        elif len(holders) > 1:
            me = self.world.people[self.current]
            mine = [
                p
                for p in holders
                if (post == "乡镇党委" and p.township == me.township)
                or (post == "村党组织" and p.village == me.village)
                or (post == "派出单位" and p.unit == me.unit)
            ]
            holders = mine or holders
        if len(holders) == 1:
            return holders[0].name
        if not holders:
            raise DemoError(f"{where} 没有{post} no such post：/who 列出所有人")
        options = ", ".join(f"{post}@{next(w for k, w in p.posts if k == post)}" for p in holders)
        raise DemoError(f"哪一个{post}？which one? {options}")

    def who(self) -> str:
        lines = ["工作队 teams:"]
        for township, village, *_ in VILLAGES:
            team = "  ".join(self._marked(name) for name, *_ in TEAMS[village])
            lines.append(f"  {township}{village}: {team}")
        lines.append("审批人 approvers:")
        for person in self.world.people.values():
            if person.posts:
                lines.append(f"  {self._marked(person.name)}  {'，'.join(person.labels)}")
        return "\n".join(lines)

    def _marked(self, name: str) -> str:
        return f"▶{name}" if name == self.current else name

    # ------------------------------------------- actions (what another channel changes)

    async def say(self, text: str) -> None:
        await self.world.users[self.current].send(text)

    async def reply(self, text: str) -> None:
        await self.world.users[self.current].send(text, reply_to=self._last_card())

    async def location(self, lat: float, lon: float) -> None:
        await self.world.users[self.current].share_location(lat, lon)

    async def photo(self, caption: str | None) -> None:
        await self.world.users[self.current].send_photo(caption=caption)

    async def in_group(self, text: str) -> None:
        await self.world.users[self.current].send(text, chat=self.world.groups[COUNTY_GROUP])

    def _cards(self) -> list[SentMessage]:
        user = self.world.users[self.current]
        return [m for m in self.world.sandbox.sent(user) if m.buttons()]

    def _last_card(self) -> SentMessage:
        cards = self._cards()
        if cards:
            return cards[-1]
        sent = self.world.sandbox.sent(self.world.users[self.current])
        if not sent:
            raise DemoError("还没有可回复的消息 nothing to reply to yet")
        return sent[-1]

    async def press(self, number: int) -> None:
        # Only the bot's last message: a digit once pressed a button on an older card
        # after newer messages had followed, and withdrew an approved leave (issue 18).
        sent = self.world.sandbox.sent(self.world.users[self.current])
        card = sent[-1] if sent else None
        if card is None or not card.buttons():
            raise DemoError(NO_BUTTONS)
        texts = [text for row in card.buttons() for text in row]
        data = [d for row in card.button_data() for d in row]
        if not 1 <= number <= len(texts):
            raise DemoError(f"最后一条消息的按钮是 1–{len(texts)} its buttons are 1–{len(texts)}")
        text, pressed = texts[number - 1], data[number - 1]
        if pressed is None:
            self.transcript.note(f"[{text}] 是链接，不是按钮 a link, not a button")
            return
        if self.echo:
            self.transcript.note(f"点按 presses [{text}]")
        await self.world.users[self.current].press_data(card, pressed)

    def _location(self, text: str) -> tuple[float, float]:
        if not text:
            village = self.world.people[self.current].village
            found = [(lat, lon) for _, v, _, lat, lon in VILLAGES if v == village]
            if not found:
                raise DemoError("在哪里？where? 例如 /loc 25.83,114.93")
            return found[0]
        parts = re.split(r"[,，\s]+", text.strip())
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except (IndexError, ValueError):
            raise DemoError("位置写成 纬度,经度，例如 /loc 25.83,114.93") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise DemoError("纬度 -90..90，经度 -180..180")
        return lat, lon

    def when(self, text: str) -> datetime:
        """``+7d``, ``+3h``, ``+1d12h``, ``2026-12-01T09:00``, ``2026-12-01`` (09:00)."""
        now = self.world.local_now()
        if text.startswith("+"):
            steps = _STEP.findall(text[1:])
            if not steps or _STEP.sub("", text[1:]).strip():
                raise DemoError("时间这样拨 move time by：+7d、+3h、+30m、+1d12h")
            delta = sum((timedelta(**{_UNITS[u]: int(n)}) for n, u in steps), start=timedelta())
            return now + delta
        try:
            moment = datetime.fromisoformat(text.replace(" ", "T"))
        except ValueError:
            raise DemoError("时间写成 a time is：+7d、+3h 或 2026-12-01T09:00") from None
        if len(text) <= 10:
            moment = datetime.combine(moment.date(), time(9, 0))
        return moment.replace(tzinfo=self.world.zone) if moment.tzinfo is None else moment

    async def clock(self, text: str) -> None:
        if not text:
            self.transcript.note(f"🕘 现在 now {self.world.local_now():%Y-%m-%d %H:%M}（北京时间）")
            return
        target = self.when(text)
        if target <= self.world.local_now():
            raise DemoError("演示中时间只能向前拨 time only moves forward")
        self.transcript.note(f"🕘 时间拨到 moving time to {target:%Y-%m-%d %H:%M}，运行定时任务…")
        report = await self.world.advance(target)
        if report.note:
            self.transcript.note(report.note)
        done = [f"{k} {'failed' if v < 0 else v}" for k, v in report.counts.items() if v]
        self.transcript.note("定时任务 sweeps: " + (", ".join(done) if done else "无到期事项"))


class LineReader:
    """Lines from standard input on a daemon thread (so a pending read never holds up the
    exit); a prompt with line editing on a terminal, plain lines from a pipe."""

    def __init__(self) -> None:
        self.interactive = sys.stdin.isatty()
        self._requests: queue.Queue[tuple[str, asyncio.Future[str | None]]] = queue.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    async def read(self, prompt: str) -> str | None:
        if self._thread is None:
            self._loop = asyncio.get_running_loop()
            self._thread = threading.Thread(target=self._run, name="demo-stdin", daemon=True)
            self._thread.start()
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._requests.put((prompt, future))
        return await future

    def _run(self) -> None:
        if self.interactive:
            try:
                import readline  # noqa: F401  (line editing and history for input())
            except ImportError:
                pass
        assert self._loop is not None
        while True:
            prompt, future = self._requests.get()
            line: str | None
            try:
                line = input(prompt) if self.interactive else sys.stdin.readline() or None
            except (EOFError, UnicodeDecodeError):
                line = None
            self._loop.call_soon_threadsafe(_resolve, future, line)
            if line is None:
                return


def _resolve(future: asyncio.Future[str | None], line: str | None) -> None:
    if not future.done():
        future.set_result(line.rstrip("\n") if line is not None else None)


async def repl(
    world: DemoWorld, transcript: Console, terminal_class: type[Terminal] = Terminal
) -> int:
    reader = LineReader()
    terminal = terminal_class(world, transcript, echo=not reader.interactive)
    transcript.note(terminal.help)
    transcript.note(f"当前身份 now playing: {world.label(terminal.current)}。试试 /leave 或 /visit")
    while True:
        line = await reader.read(terminal.prompt)
        if line is None:
            break
        try:
            if not await terminal.execute(line):
                break
        except DemoError as exc:
            transcript.error(str(exc))
        except (SandboxTimeout, LookupError) as exc:
            transcript.error(f"{type(exc).__name__}: {exc}")
            transcript.flush(await world.outbox_rows())
    transcript.note("再见 bye")
    return 0
