"""Imports point inwards: handlers/, services/ and models/ know nothing of any messenger or
the scheduler, so a channel is a thin adapter in bot/ over the one conversation core. The platform
emulators in sandbox/ stand apart from the product: it runs them only in the offline demo,
and they know nothing of it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = {"bot", "handlers", "services", "models", "scheduler", "policies", "locales"}
FORBIDDEN = {
    "services": {
        "aiogram",
        "dingtalk_stream",
        "apscheduler",
        "bot",
        "handlers",
        "scheduler",
        "aiohttp",
        "sandbox",
    },
    "models": {
        "aiogram",
        "dingtalk_stream",
        "apscheduler",
        "bot",
        "handlers",
        "scheduler",
        "services",
        "sandbox",
    },
    "handlers": {"aiogram", "dingtalk_stream", "aiohttp", "bot", "scheduler", "sandbox"},
    "scheduler": {"handlers", "sandbox"},
    "sandbox": PRODUCT,
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _classes(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer: str) -> None:
    offenders = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        bad = _imports(path) & FORBIDDEN[layer]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, "\n".join(offenders)


ISOLATION_PROBE = """
import importlib, os, sys
# The heavy third-party packages are loaded once and shared; each module is then imported
# alone in a forked child, so an import that only works after another module would fail.
import sqlalchemy, sqlmodel, pydantic, pydantic_settings, openpyxl, babel  # noqa: F401
import pypinyin, rapidfuzz, chinese_calendar, sqlalchemy.ext.asyncio  # noqa: F401
import sqlalchemy.dialects.sqlite, sqlalchemy.dialects.postgresql  # noqa: F401
failed = []
for name in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
        except BaseException as exc:
            print(f"{name}: {type(exc).__name__}: {exc}", flush=True)
            os._exit(1)
        if "aiogram" in sys.modules:
            print(f"{name}: loads aiogram", flush=True)
            os._exit(2)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status:
        failed.append(name)
sys.exit(1 if failed else 0)
"""


def _module(path: Path) -> str:
    rel = str(path.relative_to(ROOT))
    return rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def test_every_service_and_handler_imports_alone_leaving_aiogram_unloaded() -> None:
    """No re-export hides aiogram: each module, imported on its own with only the bot
    token and policy set, leaves it unloaded."""
    import subprocess
    import sys

    names = [
        _module(path)
        for layer in ("services", "handlers")
        for path in sorted((ROOT / layer).rglob("*.py"))
    ]
    assert "handlers.core.routing" in names and "services.leave.requests" in names
    env = {"ZHUCUN_BOT_TOKEN": "1:test", "ZHUCUN_POLICY": "ganzhou-2021", "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-c", ISOLATION_PROBE, *names],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_relay_knows_no_messenger() -> None:
    """bot/relay/ is the loop every messenger's sender shares: Telegram's sender, and
    anything else of aiogram, belongs in bot/telegram/."""
    messenger = ("aiogram", "bot.telegram")
    offenders = []
    for path in sorted((ROOT / "bot" / "relay").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            bad = [n for n in names if any(n == m or n.startswith(f"{m}.") for m in messenger)]
            if bad:
                offenders.append(f"{path.relative_to(ROOT)} imports {bad}")
    assert (ROOT / "bot" / "relay" / "loop.py").exists()
    assert not offenders, "\n".join(offenders)


def test_in_bot_only_the_demo_imports_the_emulator() -> None:
    demo = ROOT / "bot" / "demo"
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "bot").rglob("*.py"))
        if "sandbox" in _imports(path) and demo not in path.parents
    ]
    assert not offenders, "only bot/demo/ may import sandbox: " + ", ".join(offenders)


def test_bot_holds_no_emulator() -> None:
    """No copy or shim of the emulator in the product's package (it lived in bot/ before)."""
    emulator = {
        name
        for module in ("sandbox/telegram/emulator.py", "sandbox/telegram/spec/checking.py")
        for name in _classes(ROOT / module)
        if not name.startswith("_")
    }
    assert "BotApiSandbox" in emulator and "SpecChecker" in emulator
    offenders = [
        f"{path.relative_to(ROOT)} defines {sorted(found)}"
        for path in sorted((ROOT / "bot").rglob("*.py"))
        if (found := _classes(path) & emulator)
    ]
    assert not offenders, "\n".join(offenders)
    spec = [p for p in (ROOT / "bot").rglob("botapi_spec*") if "__pycache__" not in p.parts]
    assert not spec, "the Bot API spec lives in sandbox/"


PRODUCT_CODE = ("bot", "handlers", "services", "models", "scheduler", "sandbox", "policies")


def test_modules_stay_small_and_packages_few() -> None:
    """A module is read whole (at most 400 lines), a package at a glance (at most 15 modules);
    migrations are exempt, being history."""
    long, crowded = [], []
    for top in PRODUCT_CODE:
        for folder in [ROOT / top, *(p for p in (ROOT / top).rglob("*") if p.is_dir())]:
            if "__pycache__" in folder.parts or "versions" in folder.parts:
                continue
            modules = sorted(folder.glob("*.py"))
            if len(modules) > 15:
                crowded.append(f"{folder.relative_to(ROOT)}: {len(modules)} modules")
            for module in modules:
                lines = len(module.read_text(encoding="utf-8").splitlines())
                if lines > 400:
                    long.append(f"{module.relative_to(ROOT)}: {lines} lines")
    assert not long and not crowded, "\n".join(long + crowded)
