"""A clone stands on its own: the README, the docs, the policy packs and the code point at
nothing outside the repository (the folder of reference material it was written beside, its
seed file names, its design notes), and every link in the docs leads to a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What only the folder beside the repository had: its path, its notes, its seed files
# (001_9012ce96893b31c9.txt), its copy of the Bot API spec.
OUTSIDE = re.compile(
    r"\.\./shared|\bshared/(?:botapi|seeds|hooks)|POLICY_RULES|DESIGN\.md"
    r"|\b\d{3}_[0-9a-f]{16}\.txt\b"
)
CODE = (
    "bot",
    "handlers",
    "services",
    "scheduler",
    "models",
    "sandbox",
    "tests",
    "bench",
    "scripts",
)
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _texts() -> list[Path]:
    packs = sorted((ROOT / "policies").glob("*.toml"))
    code = [p for folder in CODE for p in sorted((ROOT / folder).rglob("*.py"))]
    bench = sorted((ROOT / "bench").glob("*.md"))
    shell = [ROOT / "run-tests", ROOT / "zhucun", ROOT / ".ci" / "run"]
    return [*_documents(), *packs, *bench, *code, *shell, *sorted((ROOT / "scripts").glob("*.sh"))]


def test_the_docs_and_the_rules_are_in_the_repository() -> None:
    assert (ROOT / "docs" / "architecture.md").is_file()
    assert (ROOT / "docs" / "rules.md").is_file()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/architecture.md" in readme and "docs/rules.md" in readme


def test_nothing_points_outside_the_repository() -> None:
    found = []
    for path in _texts():
        if path == Path(__file__).resolve():
            continue  # the patterns themselves
        text = path.read_text(encoding="utf-8")
        for m in OUTSIDE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{line}: {m.group()}")
    assert len(_texts()) > 100  # the code is searched, not only the docs
    assert not found, found


@pytest.mark.parametrize("path", _documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_in_the_docs_leads_to_a_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    local = [t for t in LINK.findall(text) if not re.match(r"[a-z]+:", t)]
    missing = [t for t in local if not (path.parent / t).exists()]
    assert not missing, missing
