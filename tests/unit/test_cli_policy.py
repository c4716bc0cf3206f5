"""``zhucun policy`` and ``zhucun calendar``, run in-process through ``bot.cli.main``; in
English (``--lang en``) unless a test is about the Chinese words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.commands import policy as policy_command
from services.policy import PolicyPack
from services.policy_loading import load_pack


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/t.db")
    monkeypatch.setenv("ZHUCUN_POLICY", "ganzhou-2021")


def run(capsys: pytest.CaptureFixture[str], *argv: str, lang: str = "en") -> tuple[int, str, str]:
    code = cli.main(["--lang", lang, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_policy_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "policy", "list")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [
        "central-2017",
        "ganzhou-2021",
        "guangdong-2016",
        "qinghai-2018",
    ]
    assert "赣州市驻村第一书记和工作队选派管理办法（试行）" in out


def test_policy_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "policy", "show", "ganzhou-2021")
    assert code == 0
    assert "township party committee" in out
    assert "at least 20 days a month" in out
    assert "replacement required" in out
    # The document as a reader finds it, not as a file of ours.
    assert (
        "《赣州市驻村第一书记和工作队选派管理办法（试行）》" in out
        and "赣市办字〔2021〕19号" in out
    )
    assert ".txt" not in out
    code, out, _ = run(capsys, "policy", "show", "ganzhou-2021", lang="zh")
    assert code == 0
    assert "乡镇党委" in out and "每月至少 20 天" in out and "须安排接替" in out
    assert "township party committee" not in out


def test_policy_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "policy", "show", "qinghai-2018", "--json")
    assert code == 0
    data = json.loads(out)
    assert data == load_pack("qinghai-2018").model_dump(mode="json")
    assert data["money"]["allowance_per_day"] == "60"


ROUTES: list[tuple[list[str], dict[str, Any]]] = [
    (
        ["--days", "3"],  # ZHUCUN_POLICY; ganzhou Art.17 3天（含）以内
        {
            "policy": "ganzhou-2021",
            "days": 3,
            "approver": "township_party_committee",
            "replacement_required": False,
            "kind": None,
            "day_count": "calendar",
            "tier": [1, 3],
        },
    ),
    (
        ["--policy", "guangdong-2016", "--days", "4", "--kind", "sick"],  # 000 五.1 3天以上
        {
            "policy": "guangdong-2016",
            "days": 4,
            "approver": "county_org_dept",
            "replacement_required": False,
            "kind": "sick",
            "day_count": "calendar",
            "tier": [4, None],
        },
    ),
    (
        # 15 calendar days over National Day: ganzhou Art.17 15天（含）以上, replacement.
        ["--start", "2026-09-28", "--end", "2026-10-12", "--kind", "training"],
        {
            "policy": "ganzhou-2021",
            "days": 15,
            "approver": "county_leading_group",
            "replacement_required": True,
            "kind": "training",
            "start": "2026-09-28",
            "end": "2026-10-12",
            "day_count": "calendar",
            "tier": [15, None],
        },
    ),
]


@pytest.mark.parametrize(("args", "expected"), ROUTES)
def test_route_json(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: dict[str, Any]
) -> None:
    code, out, err = run(capsys, "policy", "route", *args, "--json")
    assert (code, err) == (0, "")
    assert len(out.splitlines()) == 1
    assert json.loads(out) == expected


def test_route_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "policy", "route", "--days", "5", "--kind", "personal", lang="zh")
    assert code == 0
    assert "请事假5天，由县驻村工作领导小组办公室审批" in out
    code, out, _ = run(capsys, "policy", "route", "--days", "5", "--kind", "personal")
    assert "5-day personal leave is approved by the county leading group office" in out


def test_route_counts_working_days_with_db_overrides(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = load_pack("ganzhou-2021")
    working = pack.model_copy(
        update={"leave": pack.leave.model_copy(update={"day_count": "working"})}
    )

    def fake_load(pack_id: str) -> PolicyPack:
        return working

    assert run(capsys, "calendar", "set", "2027-01-04", "holiday", "--note", "县定休息日")[0] == 0
    monkeypatch.setattr(policy_command, "load_pack", fake_load)
    # 2027-01-01..08: Mon–Fri fallback gives 6 working days, the override takes one away.
    code, out, _ = run(
        capsys, "policy", "route", "--start", "2027-01-01", "--end", "2027-01-08", "--json"
    )
    assert code == 0
    result = json.loads(out)
    assert (result["days"], result["day_count"]) == (5, "working")
    assert result["approver"] == "county_leading_group_office"  # Art.17 4—7天


ERRORS = [
    (["--policy", "nope", "--days", "3"], "unknown policy 'nope'"),
    (["--days", "0"], "at least 1"),
    (["--days", "-2"], "at least 1"),
    (["--start", "2026-10-05", "--end", "2026-10-01"], "before"),
    (["--start", "2026-13-01", "--end", "2026-12-01"], "not a date"),
    (["--days", "3", "--start", "2026-10-01", "--end", "2026-10-02"], "not both"),
    ([], "give --days"),
    (["--start", "2026-10-01"], "go together"),
    (["--days", "3", "--kind", "vacation"], "unknown leave kind 'vacation'"),
]


@pytest.mark.parametrize(("args", "message"), ERRORS)
def test_route_errors(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, out, err = run(capsys, "policy", "route", *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("zhucun: "), err
    assert message in err


def test_calendar_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "calendar", "set", "2027-01-01", "holiday", "--note", "元旦")
    assert code == 0 and "holiday" in out
    code, out, _ = run(capsys, "calendar", "list", "--year", "2027")
    assert code == 0 and "2027-01-01" in out and "元旦" in out
    code, out, _ = run(capsys, "calendar", "check", "2027-01-01")
    assert "holiday" in out and "set by the administrator" in out and "元旦" in out
    code, out, _ = run(capsys, "calendar", "check", "2026-10-01")
    assert "holiday" in out and "National Day" in out
    code, out, _ = run(capsys, "calendar", "check", "2026-09-20")
    assert "workday" in out and "调休" in out
    code, out, _ = run(capsys, "calendar", "unset", "2027-01-01")
    assert code == 0 and "removed" in out
    code, out, _ = run(capsys, "calendar", "check", "2027-01-01")
    assert "workday" in out and "Monday–Friday" in out
    code, out, _ = run(capsys, "calendar", "list")
    assert out.strip() == "no overrides"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["calendar", "check", "2027-02-30"], "not a date"),
        (["calendar", "set", "01/10/2026", "holiday"], "not a date"),
        (["calendar", "set", "2026-10-01", "holiday", "--note", "x" * 101], "--note is too long"),
        (["policy", "show", "nope"], "unknown policy 'nope'"),
    ],
)
def test_one_line_errors(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and message in err, err


@pytest.mark.parametrize(
    "args",
    [
        ["policy"],
        ["policy", "list"],
        ["policy", "show"],
        ["policy", "route"],
        ["calendar"],
        ["calendar", "set"],
        ["calendar", "unset"],
        ["calendar", "list"],
        ["calendar", "check"],
        ["calendar", "import"],
    ],
)
def test_help(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["--lang", "en", *args, "--help"])
    assert caught.value.code == 0
    assert "usage: zhucun" in capsys.readouterr().out
