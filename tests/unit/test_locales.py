"""Every user-facing string is translated into zh and en, with the same placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from locales import LANGUAGES, Catalogs, normalize_language

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def _catalog(language: str):  # type: ignore[no-untyped-def]
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=language)


def _template_ids() -> set[str]:
    with (ROOT / "locales" / "messages.pot").open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_complete(language: str) -> None:
    catalog = _catalog(language)
    problems = []
    for msgid in sorted(_template_ids()):
        message = catalog.get(msgid)
        if message is None:
            problems.append(f"missing: {msgid!r}")
        elif not message.string:
            problems.append(f"empty: {msgid!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        elif set(PLACEHOLDER.findall(msgid)) != set(PLACEHOLDER.findall(message.string)):
            problems.append(f"placeholders differ: {msgid!r} -> {message.string!r}")
    assert not problems, "\n".join(problems)


def test_template_matches_code(tmp_path: Path) -> None:
    """messages.pot is what the code says today (run scripts/locales.sh when this fails)."""
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "t",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(fresh),
            "bot",
            "handlers",
            "services",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as fh:
        in_code = {m.id for m in read_po(fh) if m.id}
    assert in_code == _template_ids(), (
        f"not in messages.pot: {sorted(in_code - _template_ids())}; "
        f"stale in messages.pot: {sorted(_template_ids() - in_code)}"
    )


def test_translator_formats_and_falls_back() -> None:
    catalogs = Catalogs()
    zh = catalogs.get("zh")
    assert zh("Hello, {name}! You are registered as:", name="王芳") == "王芳，您好！您已登记为："
    assert catalogs.get("en")("Name: {name}", name="Wang") == "Name: Wang"
    assert catalogs.get("fr").language == "zh"
    assert normalize_language("en-GB") == "en"
    assert normalize_language("zh-hans") == "zh"
    assert normalize_language(None) == "zh"
