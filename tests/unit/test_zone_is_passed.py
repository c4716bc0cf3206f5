"""The deployment's zone is a setting (ZHUCUN_TIMEZONE, ``Settings.zone``) handed to the
services: no service or model names a zone of its own or lets a ``zone`` argument default,
so a deployment in another zone cannot be half-read in Beijing time."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    path
    for folder in ("services", "models")
    for path in (ROOT / folder).rglob("*.py")
    if "migrations" not in path.parts
)


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "ZoneInfo"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.append(f"line {node.lineno}: ZoneInfo({node.args[0].value!r})")
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            positional = args.posonlyargs + args.args
            defaults = dict(
                zip([a.arg for a in positional][::-1], args.defaults[::-1], strict=False)
            )
            defaults |= {
                a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d
            }
            if "zone" in defaults:
                found.append(f"line {node.lineno}: {node.name}(zone=...) has a default")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_zone_of_its_own(path: Path) -> None:
    assert _problems(path) == []


def test_the_check_sees_a_default(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        'Z = ZoneInfo("Asia/Shanghai")\n'
        "def f(now, zone=Z): ...\n"
        "async def g(*, zone: ZoneInfo = Z): ...\n",
        encoding="utf-8",
    )
    assert len(_problems(sample)) == 3
