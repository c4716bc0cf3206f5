"""The command line's language: Chinese unless ``--lang en`` comes before the command or
the locale is English (``LC_ALL``, ``LC_MESSAGES`` or ``LANG`` starting with ``en``).

Help texts are built with the parser, so the language is chosen from ``argv`` and the
environment before argparse sees anything; argparse's own words (``usage:``, its errors)
come from the same catalog (``ARGPARSE_WORDS`` lists them for extraction).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any, NoReturn

from locales import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    N_,
    Translator,
    normalize_language,
    translator,
)

LANG_OPTION = "--lang"
_current: Translator | None = None


def from_environment(environ: Mapping[str, str]) -> str:
    """The first locale variable set decides, as in POSIX; ``C.UTF-8`` or none is Chinese."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "en" if value.lower().startswith("en") else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def choose(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """``--lang X`` or ``--lang=X`` before the command wins over the locale; an unknown X
    is left to argparse to refuse."""
    for i, arg in enumerate(argv):
        if not arg.startswith("-"):
            break  # the command: options after it are the command's
        if arg == LANG_OPTION and i + 1 < len(argv) and argv[i + 1] in LANGUAGES:
            return argv[i + 1]
        if arg.startswith(LANG_OPTION + "="):
            value = arg.split("=", 1)[1]
            if value in LANGUAGES:
                return value
    return from_environment(environ)


def cli() -> Translator:
    """The translator of the command running; outside one, the environment's language."""
    if _current is not None:
        return _current
    return translator(from_environment(os.environ))


def t(message: str, /, **params: Any) -> str:
    return cli()(message, **params)


@contextmanager
def speaking(language: str) -> Iterator[Translator]:
    """The command line, argparse included, speaks ``language`` until the block ends."""
    global _current
    before = _current
    words = {name: getattr(argparse, name) for name in ("_", "ngettext")}
    chosen = translator(normalize_language(language))
    _current = chosen
    # argparse looks its words up through these module globals at call time.
    setattr(argparse, "_", chosen)  # noqa: B010
    setattr(argparse, "ngettext", _plural(chosen))  # noqa: B010
    try:
        yield chosen
    finally:
        _current = before
        for name, value in words.items():
            setattr(argparse, name, value)


@cache
def _plural(chosen: Translator) -> Callable[[str, str, int], str]:
    def ngettext(singular: str, plural: str, n: int) -> str:
        return chosen.ngettext(singular, plural, n)

    return ngettext


class Parser(argparse.ArgumentParser):
    """An argument error is one line in the chosen language, not usage and a traceback."""

    def error(self, message: str) -> NoReturn:
        hint = t(N_(" (see {command} --help)"), command=self.prog)
        self.exit(2, f"{self.prog}: {message}{hint}\n")


# argparse's own words, listed so that extraction puts them in the catalogs.
ARGPARSE_WORDS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("unrecognized arguments: %s"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("not allowed with argument %s"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("ignored explicit argument %r"),
)
