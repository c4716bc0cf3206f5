"""``zhucun calendar import``: a year's holiday notice from a file or standard input, shown
back as a table, written only when confirmed, refused in one line when wrong."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot import cli

NOTICE = """\
# 国务院办公厅关于2027年部分节假日安排的通知
元旦 2027-01-01~2027-01-03
春节 2027-02-06~2027-02-13 调休上班 2027-02-14,2027-02-20
"""


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/t.db")
    monkeypatch.setenv("ZHUCUN_POLICY", "ganzhou-2021")


def run(capsys: pytest.CaptureFixture[str], *argv: str, lang: str = "en") -> tuple[int, str, str]:
    code = cli.main(["--lang", lang, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_notice_is_shown_confirmed_and_recorded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    notice = tmp_path / "2027.txt"
    notice.write_text(NOTICE, encoding="utf-8")
    # No terminal to ask on and no --yes: shown, but nothing written.
    code, out, err = run(capsys, "calendar", "import", str(notice))
    assert code == 1 and "nothing was changed" in err
    assert "Holidays of 2027: 2 holidays, 11 days off, 2 make-up working days" in out
    assert "02-06 (Sat) ~ 02-13 (Sat)  8 day(s)  make-up: 02-14 (Sun), 02-20 (Sat)" in out
    assert run(capsys, "calendar", "list", "--year", "2027")[1].strip() == "no overrides in 2027"

    code, out, err = run(capsys, "calendar", "import", str(notice), "--yes")
    assert (code, err) == (0, "")
    assert "Recorded the holidays of 2027: 13 days" in out
    out = run(capsys, "calendar", "check", "2027-02-08")[1]
    assert "holiday" in out and "春节" in out
    out = run(capsys, "calendar", "check", "2027-02-20")[1]
    assert "workday" in out and "春节调休上班" in out


def test_a_notice_from_standard_input_in_chinese(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(NOTICE))
    code, out, err = run(capsys, "calendar", "import", "-", "--yes", lang="zh")
    assert (code, err) == (0, ""), err
    assert "2027年节假日安排：2 个节日，放假 11 天，调休上班 2 天" in out
    assert "01-01 (周五) ~ 01-03 (周日)  3 天" in out
    assert "2027-01-01" in run(capsys, "calendar", "list", "--year", "2027")[1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("元旦 2027-01-03~2027-01-01\n", "line 1: the range ends (2027-01-01) before it starts"),
        (NOTICE + "春节 2027-02-10\n", "line 4: overlaps the holiday on line 3"),
        ("春节 2027-02-06~2027-02-13 调休上班 2027-02-15\n", "is a weekday"),
        ("", "no holidays in the file"),
    ],
)
def test_a_wrong_notice_is_one_line_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, message: str
) -> None:
    notice = tmp_path / "bad.txt"
    notice.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "calendar", "import", str(notice), "--yes")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and message in err and "bad.txt" in err, err
    assert run(capsys, "calendar", "list")[1].strip() == "no overrides"


def test_a_missing_file_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "calendar", "import", str(tmp_path / "nope.txt"))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "cannot read" in err
