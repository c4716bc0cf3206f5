"""A seeded generator of hostile and unlucky updates for the real runtime against the Bot
API emulator: registered people, strangers and groups sending random commands with
garbage arguments, texts up to Telegram's 4,096 characters, huge numbers, emoji, forged
button data up to 64 bytes, presses on old messages, photos, locations, documents, blocks
and the bot's removal from groups. Used by ``tests/e2e/test_fuzz_updates.py`` (a small run)
and ``bench/fuzz.py`` (a large one), so both see the same world.

The same seed gives the same sequence of actions; what the bot answers may still differ
by timing (flows move on as presses land), which is why the checks are properties.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.flood import FloodGate
from bot.telegram.middlewares import FloodMiddleware
from bot.telegram.runtime import BotRuntime
from handlers.core.payloads import _PREFIXES, MAX_BYTES
from sandbox.telegram.chats import FakeGroup, SentMessage
from sandbox.telegram.emulator import BotApiSandbox
from sandbox.telegram.users import FakeUser

if TYPE_CHECKING:
    from tests.e2e.conftest import Harness

COMMANDS = [
    "start", "help", "whoami", "lang", "leave", "emergency", "myleave", "pending", "visit",
    "mine", "coverage", "here", "trip", "month", "sheet", "fix", "spotcheck", "explain",
    "recall", "training", "mytraining", "halfyear", "bind", "unbind", "back", "cancel",
    "nosuchcommand",
]  # fmt: skip
WORDS = [
    "事假", "病假", "年假", "出差", "会议", "培训", "紧急", "今天", "明天", "后天", "入户", "电话",
    "线上", "省", "市", "县", "村", "乡镇", "county", "village", "张伟明", "H0001", "李强", "王芳",
    "刘洋", "zhang", "zwm", "同意", "驳回", "批准", "不在村", "在村", "脱岗", "理由", "en", "zh",
    "#1", "#2", "#0", "天", "3天", "11-25", "11-27", "12-01", "2026-12-01", "12月1日", "1日",
    "2-29",
    "2026-11", "11月", "0000-11", "9999-12", "2026Q4", "2026H2", "0", "-1", "+1", "1_0", "²",
    "３", "١٢", "1e9", "NaN", "🙂", "👨‍👩‍👧", "\u200b", "<b>", "</i>", "&amp;", "&", "<", "@",
    "@zhucun_test_bot", "@other_bot", "\\", "'", '"', "%s", "{name}", "{}", "\n", "　",
]  # fmt: skip
PLAIN = [
    "同意", "驳回", "同意 #1", "驳回 #1 理由不足", "本月三次抽查不在村", "好", "ok", "取消",
    "cancel",
    "3", "12-05", "在村", "家中有事", "张伟明", "跳过", "提交",
]  # fmt: skip
# Commands in the shape their usage gives, each {} a garbage word: deeper than garbage
# alone, since each part must pass for the next to be read.
SHAPES = [
    "/leave {} {} 事假 {}", "/leave {} {} {} {}", "/leave {} 病假", "/emergency {} 病假 {}",
    "/emergency {}", "/visit 张伟明 {} {}", "/visit {} 入户 {}", "/visit H0001 电话 {}",
    "/recall 李强 {} {}", "/recall {}", "/fix 李强 {} 在村 {}", "/fix {} {} {} {}",
    "/training {} 县 {} {}", "/training 李强 {} {} 3", "/sheet {}", "/month {}", "/halfyear {}",
    "/spotcheck {}", "/explain {} {}", "/bind {}", "/bind county {}", "/lang {}", "/start {}",
    "/myleave {}", "/coverage {}", "/trip {} {}", "同意 #{}", "驳回 #{} {}", "驳回 {}",
]  # fmt: skip
# Well-formed commands, so that requests, cards, checks and records pile up for the
# garbage and the old presses to meet.
VALID = [
    "/leave 12-01 12-03 事假 家中有事", "/leave 明天 病假 发烧", "/emergency 2 病假 发烧",
    "/visit 张伟明 入户 一切正常", "/visit H0001 电话 孩子辍学", "/trip 120", "/trip 80 加油",
    "/training 11-20 县 3 党建", "/training 李强 11-18 市 2 产业", "/spotcheck 王芳",
    "/spotcheck 下寨村", "/fix 李强 11-06 在村 提前返岗", "/recall 李强 1 长期不在岗", "/pending",
    "/myleave", "/mine", "/month", "/sheet", "/coverage", "/halfyear 本半年完成走访", "/here",
    "/explain 在县里开会",
]  # fmt: skip
TEXT_LIMIT = 4096


@dataclass
class Tally:
    """What a run did, by kind of action."""

    actions: Counter[str] = field(default_factory=Counter)

    @property
    def sent(self) -> int:
        return sum(self.actions.values())


def huge_number(rng: random.Random) -> str:
    return rng.choice(
        [
            str(2**31),
            str(2**31 - 1),
            str(2**63),
            str(2**64),
            "9" * rng.randint(19, 60),
            str(-(2**63) - 1),
        ]
    )


def garbage_word(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(WORDS)
    if roll < 0.65:
        return huge_number(rng)
    if roll < 0.8:
        return str(rng.randint(-5, 400)) if rng.random() < 0.8 else rng.choice("²³¹")
    # Anything Unicode has, surrogates aside (Telegram sends UTF-8).
    chars = [chr(rng.randint(0x20, 0x2FFFF)) for _ in range(rng.randint(1, 8))]
    return "".join(c for c in chars if not 0xD800 <= ord(c) <= 0xDFFF) or "x"


def garbage_args(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.05:
        return long_text(rng, TEXT_LIMIT - 20)
    return " ".join(garbage_word(rng) for _ in range(rng.randint(0, 5)))


def long_text(rng: random.Random, size: int) -> str:
    """A text of ``size`` characters (each one UTF-16 unit, as Telegram counts)."""
    unit = rng.choice(["下寨村", "a", "张伟明 ", "<&>", "事假 "])
    return (unit * (size // len(unit) + 1))[:size]


def forged_data(rng: random.Random) -> str:
    prefix = rng.choice(sorted(_PREFIXES))
    parts = [garbage_word(rng).replace(":", "") for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.4:
        parts = [rng.choice(["ok", "no", "show", "withdraw", "kind", "start", "m", "h", "s"]),
                 huge_number(rng)]  # fmt: skip
    data = ":".join([prefix, *parts])
    if rng.random() < 0.1:
        data = garbage_word(rng) * 20
    # Telegram holds at most 64 bytes of callback data: cut on a character boundary.
    while len(data.encode()) > MAX_BYTES:
        data = data[:-1]
    return data


def relax_flood_control(runtime: BotRuntime) -> None:
    """The fuzz sends far faster than people type; flood control has its own tests
    (tests/e2e/test_replies.py), and here every update should reach the handlers."""
    assert runtime.dp is not None
    for middleware in runtime.dp.update.outer_middleware:
        if isinstance(middleware, FloodMiddleware):
            middleware.gate = FloodGate(burst=1_000_000)


class Fuzzer:
    """Random actions by the given people (registered), strangers and groups."""

    def __init__(
        self,
        sandbox: BotApiSandbox,
        people: list[FakeUser],
        strangers: list[FakeUser],
        groups: list[FakeGroup],
        seed: int,
        tick: Callable[[timedelta], Awaitable[object]] | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.people = people
        self.strangers = strangers
        self.groups = groups
        self.rng = random.Random(seed)
        # Moves the clock on and runs the sweeps: reminders, summaries in groups, deadlines
        # passing under flows and cards in hand.
        self.tick = tick
        self.tally = Tally()

    def _messages(self, chat: FakeUser | FakeGroup) -> list[SentMessage]:
        return self.sandbox.sent(chat.chat_id)

    async def act(self) -> str:
        """One random action; returns its kind."""
        rng = self.rng
        user = rng.choice(self.people) if rng.random() < 0.8 else rng.choice(self.strangers)
        group = rng.choice(self.groups) if rng.random() < 0.15 else None
        if user.blocked and rng.random() < 0.9:
            # Writing to a bot one has blocked restarts it, as Telegram tells the bot.
            user.unblock()
        roll = rng.random()
        if roll < 0.3:
            kind = await self._press(user, group)
        elif roll < 0.45:
            kind = "command"
            # Sometimes addressed: to this bot, or to another one (not ours to answer).
            to = rng.choice(["", "", "", "@zhucun_test_bot", "@ZHUCUN_TEST_BOT", "@other_bot"])
            text = f"/{rng.choice(COMMANDS)}{to} {garbage_args(rng)}"
            await user.send(text.strip()[:TEXT_LIMIT], chat=group)
        elif roll < 0.62:
            if rng.random() < 0.4:
                kind = "valid command"
                await user.send(rng.choice(VALID), chat=group)
            else:
                kind = "shaped command"
                shape = rng.choice(SHAPES)
                words = [garbage_word(rng) for _ in range(shape.count("{}"))]
                await user.send(shape.format(*words)[:TEXT_LIMIT], chat=group)
        elif roll < 0.75:
            kind = "text"
            await user.send(self._text(), chat=group, reply_to=self._reply_target(user, group))
        elif roll < 0.8:
            kind = "long text"
            size = rng.choice([TEXT_LIMIT, TEXT_LIMIT - 1, 3000])
            await user.send(long_text(rng, size), chat=group)
        elif roll < 0.86:
            kind = "location"
            await user.share_location(
                rng.uniform(-90, 90) if rng.random() < 0.3 else rng.uniform(25.8, 25.9),
                rng.uniform(-180, 180) if rng.random() < 0.3 else rng.uniform(114.9, 115.1),
                chat=group,
                forwarded_from=rng.choice(self.people) if rng.random() < 0.2 else None,
            )
        elif roll < 0.92:
            kind = "photo"
            caption = rng.choice([None, "/visit 张伟明 入户", garbage_args(rng)])
            await user.send_photo(caption=caption[:1024] if caption else None, chat=group)
        elif roll < 0.93:
            kind = "contact or dice"
            content = rng.choice([
                {"contact": {"phone_number": rng.choice(["13800000001", "+8613900000001", "1"]),
                             "first_name": "王芳", "user_id": user.id}},
                {"dice": {"emoji": "🎲", "value": rng.randint(1, 6)}},
            ])  # fmt: skip
            self.sandbox._user_message(user, group, content, None)
        elif roll < 0.95:
            kind = "document"
            await user.send_document(
                rng.choice(["花名册.xlsx", "a.csv", "x"]), bytes(rng.randbytes(64)), chat=group
            )
        elif roll < 0.975:
            kind = "block"
            (user.unblock if user.blocked else user.block)()
        elif roll < 0.985 and self.tick is not None:
            kind = "clock and sweeps"
            hours = rng.choice([1, 6, 24, 72, 24 * 30])
            await self.tick(timedelta(hours=hours))
        else:
            kind = "bot membership"
            # Not the bound group (groups[0]): its summaries are what the leak check reads.
            self._bot_membership(rng.choice(self.groups[1:]), user)
        self.tally.actions[kind] += 1
        return kind

    def _text(self) -> str:
        rng = self.rng
        if rng.random() < 0.4:
            return rng.choice(PLAIN)
        if rng.random() < 0.2:
            return garbage_word(rng)  # one word: a flow's answer (a day count, a date)
        return garbage_args(self.rng) or "?"

    def _reply_target(self, user: FakeUser, group: FakeGroup | None) -> SentMessage | None:
        messages = self._messages(group or user)
        if not messages or self.rng.random() < 0.7:
            return None
        return self.rng.choice(messages)

    async def _press(self, user: FakeUser, group: FakeGroup | None) -> str:
        rng = self.rng
        messages = self._messages(group or user)
        with_buttons = [m for m in messages if any(any(row) for row in m.button_data())]
        if not messages or (not with_buttons and rng.random() < 0.6):
            # Open something with buttons to press next time.
            starts = ["/leave", "/lang", "/emergency", "/visit 张伟明", "/pending", "/recall 李强"]
            await user.send(rng.choice(starts), chat=group)
            return "command"
        if with_buttons and rng.random() < 0.75:
            # Mostly the newest keyboards (the flow in hand), sometimes an old one.
            message = with_buttons[-1] if rng.random() < 0.6 else rng.choice(with_buttons)
            data = [d for row in message.button_data() for d in row if d]
            if data:
                await user.press_data(message, rng.choice(data))
                return "press"
        await user.press_data(rng.choice(messages), forged_data(rng))
        return "forged press"

    def _bot_membership(self, group: FakeGroup, by: FakeUser) -> None:
        """The bot removed from a group and added back, as Telegram tells it."""
        sandbox = self.sandbox
        for old, new in (("member", "left"), ("left", "member")):
            sandbox.post_update(
                {
                    "my_chat_member": {
                        "chat": group.as_dict(),
                        "from": by.as_user_dict(),
                        "date": sandbox._now(),
                        "old_chat_member": {"status": old, "user": sandbox._bot_user()},
                        "new_chat_member": {"status": new, "user": sandbox._bot_user()},
                    }
                }
            )


def silence_noisy_loggers() -> None:
    """aiohttp's access log and aiogram's per-update lines would drown a long run."""
    for name in ("aiohttp.access", "aiogram.event", "aiogram.dispatcher"):
        logging.getLogger(name).setLevel(logging.WARNING)


# --- the world -----------------------------------------------------------------------------


async def populate(harness: Harness, seed: int) -> Fuzzer:
    """Every roster person registered, three strangers, a bound county group (privacy mode:
    the bot sees commands and replies), a group where the bot is an admin and sees all,
    and an unbound one."""
    sandbox = harness.sandbox
    relax_flood_control(harness.runtime)
    people = [await harness.register(name) for name in harness.roster.people]
    strangers = [
        sandbox.user(first_name="路人", language_code=None),
        sandbox.user(first_name="Guest", language_code="en"),
        sandbox.user(first_name="陌生", started=False),
    ]
    chen = next(p for p, name in zip(people, harness.roster.people, strict=True) if name == "陈静")
    county = sandbox.group("赣县区驻村工作群", type="group", members=[chen, *people[:3]])
    sent = await chen.send("/bind county", chat=county)
    await sandbox.wait_for_message(county, contains="赣县区", after=sent["message_id"])
    open_group = sandbox.group("下寨村工作队", bot_is_admin=True, members=[*people, *strangers])
    other = sandbox.group("闲聊群", members=[people[0], strangers[0]])

    async def tick(step: timedelta) -> None:
        harness.clock.advance(step)
        await harness.tick()

    return Fuzzer(sandbox, people, strangers, [county, open_group, other], seed, tick)


async def run(fuzzer: Fuzzer, count: int, batch: int = 8) -> None:
    """``count`` actions, ``batch`` at a time, each batch handled before the next."""
    done = 0
    while done < count:
        for _ in range(min(batch, count - done)):
            await fuzzer.act()
            done += 1
        await fuzzer.sandbox.drain(timeout=60)
