"""The ``zhucun`` command line. Each subcommand lives in ``bot/commands/<name>.py``.

Errors are one line on stderr and a non-zero exit, never a traceback
(set ``ZHUCUN_DEBUG=1`` to see one).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot.commands import COMMANDS
from bot.commands.base import CliError
from bot.config import Settings
from bot.context import AppContext
from bot.logs import configure as configure_logging
from services.errors import DomainError

EXIT_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zhucun",
        description="驻村助手 Zhucun: a Telegram assistant for village-resident cadres.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def _fail(message: str, code: int = EXIT_ERROR) -> int:
    print(f"zhucun: {message}", file=sys.stderr)
    return code


async def _dispatch(args: argparse.Namespace, ctx: AppContext) -> int:
    try:
        result = await args.handler(args, ctx)
    finally:
        await ctx.close()
    return int(result or 0)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv:
        argv = ["run"]
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return EXIT_ERROR
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "ZHUCUN_" + str(first["loc"][0]).upper() if first.get("loc") else "configuration"
        return _fail(f"{where}: {first['msg']}")
    # The configured level, and no token, secret or phone number in any log line.
    configure_logging(settings)
    ctx = AppContext(settings=settings)
    try:
        return asyncio.run(_dispatch(args, ctx))
    except CliError as exc:
        return _fail(str(exc), exc.exit_code)
    except DomainError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: one line, no traceback
        if os.environ.get("ZHUCUN_DEBUG"):
            raise
        return _fail(
            f"unexpected error: {type(exc).__name__}: {exc} (ZHUCUN_DEBUG=1 shows more)", 1
        )


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
