"""The command line speaks one language at a time: Chinese unless ``--lang en`` comes
before the command or the locale is English; help, argparse's own words and errors
included. In-process through ``bot.cli.main``."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.cli_language import choose, speaking

# Two or more Latin words in a row: English prose, not an option, a variable or a name.
PROSE = re.compile(r"\b[a-z]{3,} (?:[a-z]{2,} ){1,}[a-z]{2,}\b")


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/z.db")
    monkeypatch.setenv("ZHUCUN_POLICY", "ganzhou-2021")


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as caught:
        main([*argv, "--help"])
    assert caught.value.code == 0
    return capsys.readouterr().out


def _commands() -> list[list[str]]:
    """Every command and subcommand, as argv."""
    found: list[list[str]] = []

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> None:
        for action in parser._actions:  # argparse keeps its subparsers here, and only here
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found.append([*prefix, name])
                    walk(sub, [*prefix, name])

    with speaking("zh"):
        walk(build_parser(), [])
    return found


@pytest.mark.parametrize(
    ("environ", "argv", "language"),
    [
        ({}, ["doctor"], "zh"),
        ({"LANG": "C.UTF-8"}, ["doctor"], "zh"),
        ({"LANG": "zh_CN.UTF-8"}, ["doctor"], "zh"),
        ({"LANG": "en_US.UTF-8"}, ["doctor"], "en"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_GB.UTF-8"}, ["doctor"], "en"),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "C"}, ["doctor"], "zh"),
        ({}, ["--lang", "en", "doctor"], "en"),
        ({}, ["--lang=en", "doctor"], "en"),
        ({"LANG": "en_US.UTF-8"}, ["--lang", "zh", "doctor"], "zh"),
        ({}, ["doctor", "--lang", "en"], "zh"),  # after the command it is not ours
    ],
)
def test_the_language_is_chosen(environ: dict[str, str], argv: list[str], language: str) -> None:
    assert choose(argv, environ) == language


def test_every_help_is_chinese_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    top = _help(capsys)
    assert top.startswith("用法：zhucun") and "驻村助手" in top and "显示帮助并退出" in top
    for argv in _commands():
        text = _help(capsys, *argv)
        assert text.startswith("用法："), (argv, text)
        _usage, _, rest = text.partition("\n\n")  # the usage line names commands
        english = [line for line in rest.splitlines() if PROSE.search(line)]
        assert not english, (argv, english)


def test_english_on_request_or_by_locale(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _help(capsys, "--lang", "en", "import")
    assert text.startswith("usage: zhucun import") and "import the roster" in text
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert "check and report, but write nothing" in _help(capsys, "import")
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert "只检查并报告，不写入" in _help(capsys, "import")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["nosuch"], "无效的选项：'nosuch'"),
        (["import"], "缺少以下参数：PATH（见 zhucun import --help）"),
        (["tick", "--at", "soon"], "--at 'soon'：应为日期和时间"),
        (["--lang", "en", "nosuch"], "invalid choice: 'nosuch'"),
        (["--lang", "en", "tick", "--at", "soon"], "expected a date and time"),
        (["--lang", "fr"], "--lang"),
    ],
)
def test_an_error_is_one_line_in_the_language(
    capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors leave through exit
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("zhucun") and words in err, err


def test_import_and_report_speak_english_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    template = tmp_path / "r.xlsx"
    assert main(["--lang", "en", "import", "--template", str(template)]) == 0
    assert capsys.readouterr().out.startswith("Template written to")
    assert main(["--lang", "en", "report", "leave", "--month", "13/2026", "-o", "x.xlsx"]) == 2
    assert 'The month "13/2026" should be written like 2026-11' in capsys.readouterr().err
    assert main(["report", "leave", "--month", "13/2026", "-o", "x.xlsx"]) == 2
    assert "月份“13/2026”应写成 2026-11 这样的形式" in capsys.readouterr().err


def test_the_language_ends_with_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--lang", "en", "policy", "route", "--days", "2"])
    assert "approved by the township party committee" in capsys.readouterr().out
    main(["policy", "route", "--days", "2"])
    assert "由乡镇党委审批" in capsys.readouterr().out
    assert argparse._("usage: ") == "usage: "  # type: ignore[attr-defined]
