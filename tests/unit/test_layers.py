"""Imports point inwards: services/ and models/ know nothing of Telegram or the scheduler,
so a second messenger can be a new handlers layer over the same services. The platform
emulators in sandbox/ stand apart from the product: it runs them only in the offline demo,
and they know nothing of it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = {"bot", "handlers", "services", "models", "scheduler", "policies", "locales"}
FORBIDDEN = {
    "services": {"aiogram", "apscheduler", "bot", "handlers", "scheduler", "aiohttp", "sandbox"},
    "models": {"aiogram", "apscheduler", "bot", "handlers", "scheduler", "services", "sandbox"},
    "handlers": {"bot", "scheduler", "sandbox"},
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


# Handler modules still written in aiogram's types, moving onto the messenger-neutral core
# one feature at a time. The list only shrinks: any other handlers module importing aiogram
# fails, and so does a module listed here that no longer needs to be.
AIOGRAM_NOT_YET_ON_THE_CORE = {
    "handlers/__init__.py",
    "handlers/account/blocking.py",
    "handlers/account/fallback.py",
    "handlers/account/help.py",
    "handlers/account/menu.py",
    "handlers/account/registration.py",
    "handlers/account/strangers.py",
    "handlers/filters.py",
    "handlers/groups/binding.py",
    "handlers/notices.py",
    "handlers/presence/attendance.py",
    "handlers/presence/commands.py",
    "handlers/visits/inputs.py",
}


def test_handlers_on_the_core_import_no_aiogram() -> None:
    importing = {
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "handlers").rglob("*.py"))
        if "aiogram" in _imports(path)
    }
    assert importing - AIOGRAM_NOT_YET_ON_THE_CORE == set(), "new handlers import aiogram"
    assert AIOGRAM_NOT_YET_ON_THE_CORE - importing == set(), "moved: drop from the list"


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


def _waiting_on_legacy() -> set[str]:
    """Handler modules that import, directly or not, one still on aiogram."""
    paths = {_module(p): p for p in (ROOT / "handlers").rglob("*.py")}
    deps: dict[str, set[str]] = {}
    for name, path in paths.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
        deps[name] = found & set(paths)
    legacy = {_module(ROOT / rel) for rel in AIOGRAM_NOT_YET_ON_THE_CORE}
    waiting = set(legacy)
    changed = True
    while changed:
        changed = False
        for name, needs in deps.items():
            if name not in waiting and needs & waiting:
                waiting.add(name)
                changed = True
    return waiting


def test_every_service_and_core_handler_imports_alone_without_aiogram() -> None:
    import subprocess
    import sys

    waiting = _waiting_on_legacy()
    names = [
        _module(path)
        for layer in ("services", "handlers")
        for path in sorted((ROOT / layer).rglob("*.py"))
        if _module(path) not in waiting
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
