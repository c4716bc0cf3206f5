"""``zhucun demo``: the offline demo, no token and no network needed.

A demo county (赣县区: 2 townships, 6 villages, 21 cadres, 60 households) is written into the
roster template and imported, the real runtime polls the built-in Bot API emulator, and you
chat in the terminal as anyone in it; ``--channel dingtalk`` shows the same county on the
DingTalk emulator instead. ``--script tour`` plays the whole story instead and
exits non-zero if any step fails. ``--policy`` (or ``ZHUCUN_POLICY``) plays the same county
under another policy pack.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from bot.cli_language import t
from bot.commands.base import CliError, Subparsers, add
from bot.commands.policy import pack_or_fail
from bot.context import AppContext
from locales import N_
from services.policy_loading import pack_ids

SCRIPTS = ("tour",)
CHANNELS = ("telegram", "dingtalk")
DEFAULT_DB = Path("data/demo.db")
DEFAULT_OUT = Path("demo-output")
NO_TOKEN_BANNER = N_(
    "ZHUCUN_BOT_TOKEN is not set, so this is the offline demo: the real bot against the "
    "built-in Bot API emulator, nothing leaves this machine. To run for real, put the token "
    "from @BotFather in ZHUCUN_BOT_TOKEN (or .env) and run ./zhucun again."
)


async def run_demo(
    ctx: AppContext,
    script: str | None,
    *,
    db: Path = DEFAULT_DB,
    out: Path = DEFAULT_OUT,
    banner: str | None = None,
    channel: str = "telegram",
    policy: str | None = None,
) -> int:
    """The demo: the terminal chat, or a script played through it. Returns the exit code.

    ``ctx`` is the command line's context; the demo builds its own (its own database, its
    own clock, the emulator's token), so nothing of a real deployment is touched: ``db``
    may not be the deployment's database. ``channel`` is the messenger shown: Telegram (the
    Bot API emulator) or DingTalk (its emulator); the tour is Telegram's only. ``policy`` is
    the pack in force, by default the deployment's (``ZHUCUN_POLICY``): the county is the
    same under every pack, what the rules make of it is not."""
    if script is not None and script not in SCRIPTS:
        raise CliError(
            t(
                "unknown script {script!r}: choose from {known}",
                script=script,
                known=", ".join(SCRIPTS),
            )
        )
    if channel not in CHANNELS:
        raise CliError(
            t(
                "unknown channel {channel!r}: choose from {known}",
                channel=channel,
                known=", ".join(CHANNELS),
            )
        )
    if channel == "dingtalk" and script is not None:
        raise CliError(
            t("the tour (--script tour) is Telegram's only; leave out --script for DingTalk")
        )
    pack = pack_or_fail(policy or ctx.settings.policy)
    if _same_file(db, ctx.settings.database_url):
        raise CliError(
            t(
                "{db} is the database in ZHUCUN_DATABASE_URL; the demo deletes its database at "
                "every start: give --db another file",
                db=db,
            )
        )
    # Imported here: aiogram and rich take a moment, and other commands do not need them.
    from bot.demo.console import Console
    from bot.demo.rendering import Transcript
    from bot.demo.session import ZONE, DemoWorld
    from bot.demo.terminal import Terminal, repl

    root = logging.getLogger()
    level = root.level
    if not os.environ.get("ZHUCUN_DEBUG"):
        # The console shows the chat; the runtime's INFO lines would drown it.
        root.setLevel(logging.ERROR)
    world: DemoWorld
    transcript: Console
    terminal: type[Terminal] = Terminal
    if channel == "dingtalk":
        from bot.demo.dingtalk import DingTalkTerminal, DingTalkWorld
        from bot.demo.dingtalk_rendering import DingTalkTranscript

        world = DingTalkWorld(db, out, policy=pack.id)
        transcript = DingTalkTranscript(world, out)
        terminal = DingTalkTerminal
        transcript.heading("驻村助手 Zhucun · 钉钉演示 demo on DingTalk")
    else:
        world = DemoWorld(db, out, policy=pack.id)
        transcript = Transcript(world.sandbox, out, ZONE, world.chat_name)
        transcript.heading("驻村助手 Zhucun · 演示 demo")
    if banner:
        transcript.note(banner)
    transcript.note(
        f"政策包 policy pack: {pack.id}（{pack.title}）；"
        f"另选 another: --policy {' | '.join(pack_ids())}"
    )
    try:
        await world.start(say=transcript.note)
        transcript.skip_to_now()
        if script == "tour":
            from bot.demo.tour import play_tour

            assert isinstance(transcript, Transcript)
            return await play_tour(world, transcript)
        return await repl(world, transcript, terminal)
    finally:
        await world.stop()
        root.setLevel(level)


def _same_file(db: Path, database_url: str) -> bool:
    from sqlalchemy.engine import make_url

    parsed = make_url(database_url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return False
    return Path(parsed.database).resolve() == db.resolve()


async def _demo(args: argparse.Namespace, ctx: AppContext) -> int:
    return await run_demo(
        ctx, args.script, db=args.db, out=args.out, channel=args.channel, policy=args.policy
    )


def register(sub: Subparsers) -> None:
    parser = add(
        sub,
        "demo",
        _demo,
        N_(
            "the offline demo: a demo county and the real bot against the built-in Telegram "
            "emulator, in a terminal chat (no token, no network)"
        ),
    )
    parser.add_argument(
        "--channel",
        choices=CHANNELS,
        default="telegram",
        help=t("the messenger shown: telegram (default) or dingtalk (its emulator)"),
    )
    parser.add_argument(
        "--policy",
        metavar="PACK",
        help=t(
            "the policy pack in force, e.g. guangdong-2016 (default: ZHUCUN_POLICY, "
            "else ganzhou-2021; zhucun policy list shows them)"
        ),
    )
    parser.add_argument(
        "--script", choices=SCRIPTS, help=t("play a scripted story without input (tour)")
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=DEFAULT_DB,
        help=t(
            "the demo's SQLite file, recreated at every start (default {path})", path=DEFAULT_DB
        ),
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=t("where documents the bot sends are saved (default {path}/)", path=DEFAULT_OUT),
    )
