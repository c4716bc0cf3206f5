"""``zhucun --help`` and ``zhucun policy route`` start without the heavy libraries.

Importing aiogram, SQLAlchemy (with SQLModel and alembic) and openpyxl took over a second,
and neither command uses them; a command module that imports one at its top level brings
the wait back for every command. Each case runs in a fresh interpreter, since this one
has long since imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = {"aiogram", "sqlalchemy", "sqlmodel", "alembic", "openpyxl"}

# Runs the command line in-process, then reports its exit code and the top-level packages
# loaded; stdout carries the command's own output first, the report on the last line.
PROBE = """
import json, sys
from bot.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "loaded": loaded}))
"""


def _probe(tmp_path: Path, *argv: str) -> tuple[int, str, set[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHUCUN_")}
    env["ZHUCUN_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'z.db'}"
    env["ZHUCUN_POLICY"] = "ganzhou-2021"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        cwd=tmp_path,  # no stray .env
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    *output, report = done.stdout.splitlines()
    found = json.loads(report)
    return found["code"], "\n".join(output), set(found["loaded"])


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--help"], "policy"),
        (["policy", "route", "--days", "3"], "ganzhou-2021：请假3天，由乡镇党委审批"),
    ],
    ids=["help", "policy-route"],
)
def test_command_does_not_load_heavy_libraries(
    tmp_path: Path, argv: list[str], expected: str
) -> None:
    code, output, loaded = _probe(tmp_path, *argv)
    assert code == 0 and expected in output
    heavy = sorted(loaded & HEAVY)
    assert not heavy, (
        f"zhucun {' '.join(argv)} loaded {heavy}; import them inside the function that "
        "needs them (python -X importtime shows who imports them)"
    )
    assert not (tmp_path / "z.db").exists(), "the command opened the database"
