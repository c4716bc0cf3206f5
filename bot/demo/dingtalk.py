"""``zhucun demo --channel dingtalk``: the same demo county, on DingTalk.

The DingTalk emulator (Stream gateway and robot OpenAPI) stands in for DingTalk, the real
``DingTalkRuntime`` is connected to it, and everyone on the roster is a member of the
organisation (staff id: the name's pinyin) who registered by sending ``绑定 <邀请码>`` to
the robot. The terminal is the Telegram demo's, with what DingTalk does differently: a
button sends its answer as a message (``box.tap``), there is no reply-to and no location.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pypinyin import lazy_pinyin

from bot.demo.console import Console
from bot.demo.session import COUNTY_GROUP, DEFAULT_DB, DEFAULT_OUT, DemoWorld
from bot.demo.terminal import HELP, NO_BUTTONS, DemoError, Terminal
from bot.dingtalk.runtime import DingTalkRuntime
from bot.relay.loop import Relay
from sandbox.dingtalk import DingTalkSandbox

COUNTY_GROUP_ID = "cidGanXianQuZhuCunGongZuoQun=="
# A picture for /photo: the bot downloads it, it does not look inside.
SAMPLE_PICTURE = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"
DINGTALK_HELP = (
    HELP
    + "\n钉钉 DingTalk：按钮发送它的回答（1、2… 即点按）；没有“回复某条消息”，/reply 直接发送文字；"
    "机器人收不到位置，/loc 不可用；/photo 的说明另发一条文字。"
)


def staff_ids(names: list[str]) -> dict[str, str]:
    """Each name's staff id: its pinyin (``wangfang``), numbered when two sound alike."""
    out: dict[str, str] = {}
    for name in names:
        base = "".join(lazy_pinyin(name)) or "staff"
        staff, n = base, 1
        while staff in out.values():
            n += 1
            staff = f"{base}{n}"
        out[name] = staff
    return out


class DingTalkWorld(DemoWorld):
    """The demo world on DingTalk: ``speak``/``picture``/``tap`` as someone, ``settle()``."""

    def __init__(
        self, db: Path = DEFAULT_DB, out: Path = DEFAULT_OUT, *, policy: str = "ganzhou-2021"
    ) -> None:
        super().__init__(db, out, policy=policy)
        self.box = DingTalkSandbox()
        self.staff = staff_ids(list(self.people))
        self.names = {staff: name for name, staff in self.staff.items()}
        for name, staff in self.staff.items():
            self.box.add_user(staff, name)
        self.group_ids: dict[str, str] = {}  # title -> openConversationId
        self.dingtalk: DingTalkRuntime | None = None
        self._unacked: list[str] = []  # msgIds said to the robot and not yet handled

    def chat_name(self, chat_id: Any) -> str:
        for title, cid in self.group_ids.items():
            if cid == chat_id:
                return f"群「{title}」"
        return self.names.get(str(chat_id), str(chat_id))

    # ---------------------------------------------------------------- people

    async def speak(self, name: str, text: str, *, group: str | None = None) -> None:
        cid = self.group_ids[group] if group is not None else None
        self._unacked.append(await self.box.say(self.staff[name], text, group=cid))

    async def picture(self, name: str, data: bytes = SAMPLE_PICTURE) -> None:
        self._unacked.append(await self.box.send_picture(self.staff[name], data))

    async def tap(self, name: str, index: int) -> str:
        """Tap button ``index`` (from 1) of the bot's last message in their chat (never
        an older card: see ``Terminal.press``); returns the button's label."""
        staff = self.staff[name]
        mine = [s for s in self.box.sent if s.to == staff]
        card = mine[-1] if mine else None
        if card is None or not card.buttons:
            raise DemoError(NO_BUTTONS)
        if not 1 <= index <= len(card.buttons):
            n = len(card.buttons)
            raise DemoError(f"最后一条消息的按钮是 1–{n} its buttons are 1–{n}")
        try:
            self._unacked.append(await self.box.tap(staff, card, index - 1))
        except ValueError:
            raise DemoError(f"[{card.buttons[index - 1][0]}] 是链接，不是按钮 a link") from None
        return card.buttons[index - 1][0]

    # ---------------------------------------------------------------- the channel

    async def _open_emulator(self) -> None:
        await self.box.start()

    def _channel_settings(self) -> dict[str, Any]:
        return {
            "dingtalk_client_id": self.box.client_id,
            "dingtalk_client_secret": self.box.client_secret,
            "dingtalk_api_url": self.box.base_url,
        }

    async def _start_bot(self) -> None:
        assert self.ctx is not None
        self.dingtalk = DingTalkRuntime(self.ctx)
        await self.dingtalk.prepare()
        self._task = asyncio.create_task(self.dingtalk.run())
        assert self.dingtalk.stream is not None
        await asyncio.wait_for(self.dingtalk.stream.connected.wait(), timeout=10)

    async def _register_everyone(self) -> None:
        """What ``zhucun invite`` and sending ``绑定 <邀请码>`` do, for everyone."""
        for name, token in await self._invitations():
            await self.speak(name, f"绑定 {token}")
        await self.settle(timeout=60)
        await self._check_registered("dingtalk")

    def _make_groups(self) -> str:
        self.box.add_group(COUNTY_GROUP_ID, COUNTY_GROUP, list(self.staff.values()))
        self.group_ids[COUNTY_GROUP] = COUNTY_GROUP_ID
        return (
            f"{len(self.staff)} 人已在钉钉向机器人发送“绑定 邀请码”注册 registered on DingTalk；"
            f"已建群「{COUNTY_GROUP}」（尚未绑定 not bound yet）"
        )

    def _relay(self) -> Relay | None:
        return self.dingtalk.relay if self.dingtalk is not None else None

    async def _emulator_busy(self) -> str | None:
        self._unacked = [m for m in self._unacked if not self.box.acked(m)]
        if self._unacked:
            return f"{len(self._unacked)} message(s) not handled yet"
        return None

    async def outbox_rows(self) -> dict[tuple[int, int], int]:
        return {}  # the DingTalk transcript shows messages in the order they arrived

    async def _stop_bot(self) -> None:
        if self.dingtalk is not None:
            await self.dingtalk.stop()

    async def _close_emulator(self) -> None:
        await self.box.stop()


class DingTalkTerminal(Terminal):
    """The demo console's lines, done the DingTalk way."""

    help = DINGTALK_HELP

    def __init__(self, world: DemoWorld, transcript: Console, *, echo: bool) -> None:
        super().__init__(world, transcript, echo=echo)
        assert isinstance(world, DingTalkWorld)
        self.dingtalk = world

    async def say(self, text: str) -> None:
        await self.dingtalk.speak(self.current, text)

    async def reply(self, text: str) -> None:
        self.transcript.note(
            "钉钉没有“回复某条消息”，直接发送 DingTalk has no reply-to: sent as is"
        )
        await self.say(text)

    async def location(self, lat: float, lon: float) -> None:
        raise DemoError("钉钉机器人收不到位置消息 a DingTalk robot receives no locations")

    async def photo(self, caption: str | None) -> None:
        await self.dingtalk.picture(self.current)
        if caption:
            await self.dingtalk.settle()
            await self.say(caption)

    async def in_group(self, text: str) -> None:
        await self.dingtalk.speak(self.current, text, group=COUNTY_GROUP)

    async def press(self, number: int) -> None:
        label = await self.dingtalk.tap(self.current, number)
        if self.echo:
            self.transcript.note(f"点按 presses [{label}]")
