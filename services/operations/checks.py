"""A check of ``zhucun doctor``: its level (ok, warn: it runs, but look; fail: it will not
run), what was found and the fix; and the summary of many."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from locales import N_, Translator


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


LEVEL_WORDS = {Level.OK: N_("ok  "), Level.WARN: N_("warn"), Level.FAIL: N_("fail")}


@dataclass(frozen=True)
class Check:
    level: Level
    what: str
    fix: str = ""

    def line(self, t: Translator) -> str:
        out = f"{t(LEVEL_WORDS[self.level])}  {self.what}"
        return f"{out}  → {self.fix}" if self.fix else out


def ok(what: str) -> Check:
    return Check(Level.OK, what)


def warn(what: str, fix: str) -> Check:
    return Check(Level.WARN, what, fix)


def fail(what: str, fix: str) -> Check:
    return Check(Level.FAIL, what, fix)


def exit_code(checks: Iterable[Check]) -> int:
    return 1 if any(c.level is Level.FAIL for c in checks) else 0


def summary(checks: list[Check], t: Translator) -> str:
    counts = {level: sum(c.level is level for c in checks) for level in Level}
    return t(N_(", ")).join(
        t(N_("{count} {level}"), count=counts[level], level=t(LEVEL_WORDS[level]).strip())
        for level in Level
    )
