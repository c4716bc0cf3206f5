"""The ``zhucun`` command line. Each subcommand lives in ``bot/commands/<name>.py``.

It speaks Chinese, or English with ``zhucun --lang en …`` or an English locale
(``bot/cli_language.py``). Errors are one line on stderr and a non-zero exit, never a
traceback (set ``ZHUCUN_DEBUG=1`` to see one).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from bot.cli_language import LANG_OPTION, LANGUAGES, Parser, choose, speaking, t
from bot.commands import COMMANDS
from bot.commands.base import CliError
from bot.config import Settings
from bot.context import AppContext
from bot.logs import configure as configure_logging
from locales import N_
from services.errors import DomainError

EXIT_ERROR = 2
PYDANTIC_REASONS = {
    "int_parsing": N_("a whole number is expected"),
    "float_parsing": N_("a number is expected"),
    "bool_parsing": N_("true or false is expected"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="zhucun",
        description=t(N_("Zhucun: a chat assistant for village-resident cadres.")),
    )
    parser.add_argument(
        LANG_OPTION,
        choices=LANGUAGES,
        help=t(N_("the command line's language: zh (the default) or en; before the command")),
    )
    sub = parser.add_subparsers(dest="command", metavar=t(N_("COMMAND")))
    for module in COMMANDS:
        module.register(sub)
    return parser


def _fail(message: str, code: int = EXIT_ERROR) -> int:
    print(f"zhucun: {message}", file=sys.stderr)
    return code


def _only_language(argv: list[str]) -> bool:
    """``zhucun`` or ``zhucun --lang en``: no command, so ``run``."""
    return all(a.startswith(LANG_OPTION) or a in LANGUAGES for a in argv)


def setting_problem(error: Any) -> str:
    """One line for a setting pydantic refused: the variable, the value, why."""
    loc = error.get("loc") or ()
    name = "ZHUCUN_" + str(loc[0]).upper() if loc else t(N_("configuration"))
    cause = (error.get("ctx") or {}).get("error")
    # Our validators' reasons are msgids; of pydantic's, the ones a setting can meet.
    if isinstance(cause, ValueError):
        reason = t(str(cause))
    elif error.get("type") in PYDANTIC_REASONS:
        reason = t(PYDANTIC_REASONS[error["type"]])
    else:
        reason = str(error.get("msg", ""))
    value = error.get("input")
    if isinstance(value, str):
        return t(
            N_("{name}={value!r} is not valid: {reason}"), name=name, value=value, reason=reason
        )
    return t(N_("{name} is not valid: {reason}"), name=name, reason=reason)


def _settings(args: argparse.Namespace) -> Settings:
    """The settings; for ``doctor``, a bad one is left at its default and reported as a
    failing check (args.bad_settings), so the other checks still run."""
    try:
        return Settings()
    except ValidationError as exc:
        if args.command != "doctor":
            raise CliError(setting_problem(exc.errors()[0])) from None
        bad = [e for e in exc.errors() if e.get("loc")]
        args.bad_settings = {str(e["loc"][0]): (e.get("input"), setting_problem(e)) for e in bad}
        defaults = {name: Settings.model_fields[name].default for name in args.bad_settings}
        return Settings(**defaults)


async def _dispatch(args: argparse.Namespace, ctx: AppContext) -> int:
    try:
        result = await args.handler(args, ctx)
    finally:
        await ctx.close()
    return int(result or 0)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    with speaking(choose(argv, os.environ)):
        return _main(argv)


def _main(argv: list[str]) -> int:
    parser = build_parser()
    if _only_language(argv):
        argv = [*argv, "run"]
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return EXIT_ERROR
    try:
        settings = _settings(args)
    except CliError as exc:
        return _fail(str(exc), exc.exit_code)
    # The configured level, and no token, secret or phone number in any log line.
    configure_logging(settings)
    ctx = AppContext(settings=settings)
    try:
        return asyncio.run(_dispatch(args, ctx))
    except CliError as exc:
        return _fail(str(exc), exc.exit_code)
    except DomainError as exc:
        return _fail(domain_problem(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): nothing to say, and Python must not say it at exit.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # the last line of defence: one line, no traceback
        if os.environ.get("ZHUCUN_DEBUG"):
            raise
        database = database_problem(exc, settings.database_url)
        if database is not None:
            return _fail(database, 1)
        first = str(exc).splitlines()[0] if str(exc) else ""
        return _fail(
            t(
                N_("unexpected error: {error} (ZHUCUN_DEBUG=1 shows more)"),
                error=f"{type(exc).__name__}: {first}",
            ),
            1,
        )


def domain_problem(exc: DomainError) -> str:
    """A service's refusal that reached the command line, in words where it is a setting's."""
    if exc.code == "policy_unknown":
        return t(
            N_(
                "ZHUCUN_POLICY {policy!r} is not a policy pack: use one of {known} "
                "(zhucun policy list)"
            ),
            policy=exc.params.get("policy", ""),
            known=exc.params.get("known", ""),
        )
    return str(exc)


def database_problem(exc: Exception, url: str) -> str | None:
    """One line for a database that cannot be opened (a bad URL, a server that does not
    answer, a file that cannot be created); None for any other failure."""
    sqlalchemy = sys.modules.get("sqlalchemy.exc")
    refused = (ConnectionError, OSError) if url.startswith("postgresql") else ()
    known = (sqlalchemy.ArgumentError, sqlalchemy.OperationalError) if sqlalchemy else ()
    # SQLite's folder cannot be made: the error names the file or a folder above it.
    where = getattr(exc, "filename", None)
    in_path = isinstance(exc, OSError) and bool(where) and str(where) in url
    if not (isinstance(exc, (*known, *refused)) or in_path):
        return None
    return t(
        N_(
            "cannot open the database ({error}): check ZHUCUN_DATABASE_URL; "
            "`zhucun doctor` checks everything"
        ),
        error=type(exc).__name__,
    )


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
