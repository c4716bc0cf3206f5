"""Policy packs: the shipped values, leave routing at every boundary, and pack validation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from models.enums import ApproverKind, DayClass, DayKind
from services.calendar import WorkCalendar
from services.errors import DomainError
from services.leave.routing import count_leave_days, next_approver, route_leave
from services.policy import PolicyPack
from services.policy_loading import PolicyPackError, list_packs, load_pack, load_pack_file

PACKS = ["central-2017", "ganzhou-2021", "guangdong-2016", "qinghai-2018"]
T = ApproverKind.TOWNSHIP_PARTY_COMMITTEE
V = ApproverKind.VILLAGE_PARTY_ORG
OFFICE = ApproverKind.COUNTY_LEADING_GROUP_OFFICE
GROUP = ApproverKind.COUNTY_LEADING_GROUP
ORG = ApproverKind.COUNTY_ORG_DEPT

# ganzhou-2021 Art.17, borrowed by central-2017 and qinghai-2018 (docs/rules.md: "the
# ganzhou-2021 tiers are their default").
GANZHOU_TIERS = [
    (1, T, False, "Art.17 3天（含）以内 乡镇党委"),
    (3, T, False, "Art.17 3天（含）以内 乡镇党委"),
    (4, OFFICE, False, "Art.17 4—7天（含） 县领导小组办公室"),
    (7, OFFICE, False, "Art.17 4—7天（含） 县领导小组办公室"),
    (8, GROUP, False, "Art.17 8天（含）以上 县领导小组"),
    (14, GROUP, False, "Art.17 8天（含）以上 县领导小组"),
    (15, GROUP, True, "Art.17 15天（含）以上 安排人员接替"),
    (60, GROUP, True, "Art.17 15天（含）以上 安排人员接替"),
]
ROUTES = [
    ("guangdong-2016", 1, V, False, "选派意见 五.1 请假2天以下 村党组织同意"),
    ("guangdong-2016", 2, V, False, "选派意见 五.1 请假2天以下 村党组织同意"),
    ("guangdong-2016", 3, T, False, "选派意见 五.1 请假3天以下 乡镇党委 (以下 includes 3)"),
    ("guangdong-2016", 4, ORG, False, "选派意见 五.1 请假3天以上 县组织部门"),
    ("guangdong-2016", 30, ORG, False, "选派意见 五.1 请假3天以上 县组织部门"),
    *[
        (pack, *row)
        for pack in ("ganzhou-2021", "central-2017", "qinghai-2018")
        for row in GANZHOU_TIERS
    ],
]


@pytest.mark.parametrize(("pack_id", "days", "approver", "replacement", "cite"), ROUTES)
def test_route_leave(
    pack_id: str, days: int, approver: ApproverKind, replacement: bool, cite: str
) -> None:
    route = route_leave(load_pack(pack_id), days)
    assert (route.approver, route.replacement_required) == (approver, replacement), cite
    assert route.min_days <= days and (route.max_days is None or days <= route.max_days)


@pytest.mark.parametrize("pack_id", PACKS)
@pytest.mark.parametrize("days", [0, -1, -15])
def test_route_leave_rejects_less_than_a_day(pack_id: str, days: int) -> None:
    with pytest.raises(DomainError) as caught:
        route_leave(load_pack(pack_id), days)
    assert caught.value.code == "leave_days_invalid"


@pytest.mark.parametrize(
    ("kind", "official"),
    [
        ("business", True),  # ganzhou Art.16 含因公出差
        ("meeting", True),  # Art.16 开会
        ("training", True),  # Art.16 培训
        ("personal", False),  # Art.17 因事
        ("sick", False),  # Art.17 因病
        ("annual", False),  # Art.27(四) 带薪休假
        (None, False),
    ],
)
def test_route_leave_kind(kind: str | None, official: bool) -> None:
    route = route_leave(load_pack("ganzhou-2021"), 2, kind)
    assert (route.kind, route.official_business) == (kind, official)


def test_route_leave_unknown_kind() -> None:
    with pytest.raises(DomainError) as caught:
        route_leave(load_pack("ganzhou-2021"), 2, "holiday")
    assert caught.value.code == "leave_kind_unknown"


@pytest.mark.parametrize(
    ("pack_id", "approver", "expected"),
    [
        ("ganzhou-2021", T, OFFICE),
        ("ganzhou-2021", OFFICE, GROUP),
        ("ganzhou-2021", GROUP, ORG),
        ("ganzhou-2021", ORG, None),  # the top of the chain
        ("ganzhou-2021", ApproverKind.DISPATCHING_UNIT, None),  # not on the chain
        ("guangdong-2016", V, T),
        ("guangdong-2016", T, ORG),  # guangdong has no county leading group in the chain
    ],
)
def test_next_approver(pack_id: str, approver: ApproverKind, expected: ApproverKind | None) -> None:
    assert next_approver(load_pack(pack_id), approver) == expected


# (pack, field path, value, where it comes from)
VALUES: list[tuple[str, str, Any, str]] = [
    ("ganzhou-2021", "team.min_members", 3, "Art.7"),
    ("central-2017", "team.min_members", 3, "二(二)"),
    ("ganzhou-2021", "team.min_party_years", 1, "Art.6"),
    ("guangdong-2016", "team.max_age", 45, "选派意见 一.2"),
    ("guangdong-2016", "team.term_years", 3, "选派意见 三.2"),
    ("ganzhou-2021", "team.term_years", 2, "Art.18"),
    ("central-2017", "team.term_years", 2, "二(二)"),
    ("qinghai-2018", "team.term_end_date", date(2020, 12, 31), "item 1"),
    ("ganzhou-2021", "leave.day_count", "calendar", "project reading"),
    ("ganzhou-2021", "leave.emergency_completion_days", 2, "Art.17 及时补办"),
    ("ganzhou-2021", "leave.reminder_hours", 24, "project"),
    ("ganzhou-2021", "leave.escalation_hours", 48, "project"),
    ("ganzhou-2021", "leave.max_reason_chars", 500, "project"),
    ("ganzhou-2021", "presence.min_days_per_month", 20, "Art.16"),
    ("guangdong-2016", "presence.min_days_per_month", 20, "ganzhou default"),
    ("ganzhou-2021", "presence.radius_km", 3, "project"),
    ("ganzhou-2021", "presence.spot_check_deadline_minutes", 30, "project"),
    (
        "ganzhou-2021",
        "presence.counted_classes",
        [DayClass.IN_VILLAGE, DayClass.OFFICIAL_BUSINESS],
        "Art.16 含因公出差、开会和培训",
    ),
    ("ganzhou-2021", "presence.allowance_classes", [DayClass.IN_VILLAGE], "Art.27(二)"),
    ("qinghai-2018", "presence.allowance_classes", [DayClass.IN_VILLAGE], "item 5 实际考勤天数"),
    ("ganzhou-2021", "visits.min_per_quarter", 1, "Art.12"),
    ("ganzhou-2021", "visits.households_per_cadre", 2, "Art.11"),
    ("guangdong-2016", "visits.households_per_cadre", 1, "党建意见 二(四)2"),
    ("ganzhou-2021", "visits.reminders.first_weeks_before_quarter_end", 4, "project"),
    ("ganzhou-2021", "visits.reminders.every_days_last_week", 2, "project"),
    ("ganzhou-2021", "money.allowance_per_day", Decimal("100"), "Art.27(二)"),
    ("qinghai-2018", "money.allowance_per_day", Decimal("60"), "item 5"),
    ("central-2017", "money.allowance_per_day", None, "六(四) local rate"),
    ("ganzhou-2021", "money.transport_per_km", Decimal("0.45"), "Art.27(一)"),
    ("ganzhou-2021", "money.transport_max_round_trips_per_month", 2, "Art.27(一)"),
    ("ganzhou-2021", "money.team_fund_per_year", Decimal("10000"), "Art.26"),
    ("qinghai-2018", "money.team_fund_per_year", Decimal("20000"), "item 5"),
    ("ganzhou-2021", "recall.notice_at_confirmed_absences", 1, "Art.21"),
    ("ganzhou-2021", "recall.recall_at_confirmed_absences", 2, "Art.21"),
    ("qinghai-2018", "recall.no_award_at_confirmed_absences", 1, "item 4"),
    ("qinghai-2018", "recall.no_promotion_years_after_recall", 2, "item 6"),
    ("guangdong-2016", "training.min_days_per_year", 3, "选派意见 四.2"),
    ("ganzhou-2021", "training.county_training_per_term", 1, "Art.28"),
    ("ganzhou-2021", "calendar.dispatch_check", "monthly", "Art.14"),
    ("ganzhou-2021", "calendar.leader_meeting", "half_year", "Art.14"),
    ("central-2017", "calendar.leader_meeting", "quarterly", "四(二)"),
    ("central-2017", "calendar.work_report", "half_year", "四(二)"),
    ("ganzhou-2021", "calendar.term_end_reminder_days", [90, 30], "project"),
    *[(pack, "schedule.office_hour", 9, "local default") for pack in PACKS],
    *[(pack, "schedule.cadre_hour", 8, "local default") for pack in PACKS],
    *[(pack, "schedule.visits_on_working_days", True, "local default") for pack in PACKS],
]


@pytest.mark.parametrize(("pack_id", "path", "value", "cite"), VALUES)
def test_pack_values(pack_id: str, path: str, value: Any, cite: str) -> None:
    found: Any = load_pack(pack_id)
    for part in path.split("."):
        found = getattr(found, part)
    assert found == value, cite


def test_recall_grounds_are_ganzhou_art22() -> None:
    grounds = load_pack("ganzhou-2021").recall.grounds
    assert len(grounds) == 7
    assert grounds["absent_not_correcting"] == "无正当理由不在岗且不改正"


def test_shipped_packs() -> None:
    packs = list_packs()
    assert [p.id for p in packs] == PACKS
    for pack in packs:
        # Every send hour says where it comes from, an article or a local default.
        assert set(pack.schedule.sources) == set(type(pack.schedule).model_fields) - {"sources"}
        assert set(pack.based_on) <= set(PACKS), pack.id
        assert all(tier.source for tier in pack.leave.tiers), pack.id
        assert pack.leave.official_business_kinds == ["business", "meeting", "training"]


# (pack, the document's title, issuer, number, date): what a reader needs to find the original.
CITED = [
    ("ganzhou-2021", "赣州市驻村第一书记和工作队选派管理办法（试行）", "赣州市人民政府办公室",
     "赣市办字〔2021〕19号", "2021"),
    ("central-2017", "关于加强贫困村驻村工作队选派管理工作的指导意见", "中共中央办公厅", None,
     "2017-12"),
    ("qinghai-2018", "关于进一步加强第一书记和驻村工作队帮扶力量的十项措施", "青海省财政厅",
     "青组字〔2018〕231号", "2018"),
    ("guangdong-2016", "关于抓好党建促精准扶贫精准脱贫三年攻坚的指导意见", "中共广东省委组织部",
     None, "2016-08-09"),
]  # fmt: skip


@pytest.mark.parametrize(("pack_id", "title", "issuer", "number", "issued"), CITED)
def test_documents_are_cited_as_a_reader_finds_them(
    pack_id: str, title: str, issuer: str, number: str | None, issued: str
) -> None:
    [document] = [d for d in load_pack(pack_id).documents if d.title == title]
    assert issuer in document.issuer
    assert (document.number, document.date) == (number, issued)
    assert f"《{title}》" in document.citation() and issued in document.citation()


def test_a_pack_of_several_documents_says_which_one_each_source_cites() -> None:
    pack = load_pack("guangdong-2016")
    shorts = [d.short for d in pack.documents]
    assert shorts == ["选派意见", "党建意见"]
    # An article of its own documents, a borrowed value, or a reading of the project's.
    prefixes = (*shorts, *PACKS, "default from", "local default", "project")
    sections = [getattr(pack, name) for name in type(pack).model_fields]
    sources = [s for section in sections for s in getattr(section, "sources", {}).values()]
    sources += [tier.source for tier in pack.leave.tiers]
    assert sources and all(s.startswith(prefixes) for s in sources), sources


def test_load_pack_unknown_and_cached() -> None:
    with pytest.raises(DomainError) as caught:
        load_pack("../ganzhou-2021")
    assert caught.value.code == "policy_unknown"
    assert "ganzhou-2021" in caught.value.params["known"]
    assert load_pack("ganzhou-2021") is load_pack("ganzhou-2021")


# --- validation -----------------------------------------------------------------------

GANZHOU = (resources.files("policies") / "ganzhou-2021.toml").read_text(encoding="utf-8")
TIER_2_MIN = "min_days = 4\nmax_days = 7"
LAST_TIER = "min_days = 15\napprover"

BROKEN = [
    ("gap", TIER_2_MIN, "min_days = 5\nmax_days = 7", "leave.tiers[1].min_days: must be 4"),
    ("overlap", TIER_2_MIN, "min_days = 3\nmax_days = 7", "leave.tiers[1].min_days: must be 4"),
    ("not from 1", "min_days = 1\nmax_days = 3", "min_days = 2\nmax_days = 3", "tiers[0].min_days"),
    (
        "closed end",
        LAST_TIER,
        "min_days = 15\nmax_days = 30\napprover",
        "tiers[3].max_days: the last",
    ),
    ("open middle", TIER_2_MIN, "min_days = 4", "leave.tiers[1].max_days: only the last"),
    (
        "bad approver",
        'approver = "county_leading_group_office"',
        'approver = "mayor"',
        "leave.tiers[1].approver: Input should be",
    ),
    (
        "lower approver",
        'approver = "county_leading_group_office"',
        'approver = "village_party_org"',
        "leave.tiers[1].approver: is below tiers[0].approver",
    ),
    (
        "misspelt key",
        "reminder_hours = 24",
        "reminder_hour = 24",
        "leave.reminder_hour: unknown field",
    ),
    ("missing", "min_days_per_month = 20\n", "", "presence.min_days_per_month: required field"),
    (
        "source of nothing",
        'min_days_per_month = "Art.16',
        'min_day_per_month = "Art.16',
        "presence.sources.min_day_per_month: no field",
    ),
    (
        "negative money",
        "allowance_per_day = 100",
        "allowance_per_day = -1",
        "money.allowance_per_day",
    ),
    (
        "notice after recall",
        "notice_at_confirmed_absences = 1",
        "notice_at_confirmed_absences = 3",
        "recall.notice",
    ),
    (
        "kind twice",
        '"personal", "sick"',
        '"personal", "personal"',
        "leave.kinds: personal is listed twice",
    ),
    (
        "unknown day class",
        '"in_village", "official_business"]',
        '"in_village", "nap"]',
        "counted_classes[1]",
    ),
    (
        "leave counted",
        '"in_village", "official_business"]',
        '"in_village", "leave"]',
        "counted_classes[1]",
    ),
    (
        "absence counted",
        'allowance_classes = ["in_village"]',
        'allowance_classes = ["in_village", "absent"]',
        "presence.allowance_classes: absent",
    ),
    (
        "class twice",
        'allowance_classes = ["in_village"]',
        'allowance_classes = ["in_village", "in_village"]',
        "presence.allowance_classes: in_village is listed twice",
    ),
    (
        "bad cadence",
        'dispatch_check = "monthly"',
        'dispatch_check = "daily"',
        "calendar.dispatch_check",
    ),
    ("hour past the day", "office_hour = 9", "office_hour = 24", "schedule.office_hour"),
    ("negative hour", "cadre_hour = 8", "cadre_hour = -1", "schedule.cadre_hour"),
    ("no hour", "office_hour = 9\n", "", "schedule.office_hour: required field"),
    (
        "source of no hour",
        'office_hour = "local default',
        'send_hour = "local default',
        "schedule.sources.send_hour: no field",
    ),
    ("bad TOML", "[presence]", "[presence", "not valid TOML"),
    ("no documents", "[[documents]]\n", "[nothing]\n", "documents: required field"),
    ("document without issuer", 'issuer = "中共赣州市委办公室', 'by = "x', "documents[0].issuer"),
    ("document's date", 'date = "2021"', 'date = "in 2021"', "documents[0].date"),
    (
        "two documents told apart",
        "[[documents]]\n",
        '[[documents]]\ntitle = "x"\nissuer = "y"\ndate = "2020"\n\n[[documents]]\n',
        "documents[0].short: needed when a pack cites several documents",
    ),
]


@pytest.mark.parametrize(("case", "old", "new", "expected"), BROKEN)
def test_broken_pack(tmp_path: Path, case: str, old: str, new: str, expected: str) -> None:
    assert old in GANZHOU, case
    path = tmp_path / "ganzhou-2021.toml"
    path.write_text(GANZHOU.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PolicyPackError) as caught:
        load_pack_file(path)
    message = str(caught.value)
    assert message.startswith("ganzhou-2021.toml: "), message
    assert expected in message, message
    assert caught.value.code == "policy_invalid"
    assert "\n" not in message


def test_pack_id_must_match_file_name(tmp_path: Path) -> None:
    path = tmp_path / "ganzhou-2022.toml"
    path.write_text(GANZHOU, encoding="utf-8")
    with pytest.raises(PolicyPackError, match=r"ganzhou-2022\.toml: id: must be 'ganzhou-2022'"):
        load_pack_file(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyPackError, match=r"nope\.toml: cannot be read"):
        load_pack_file(tmp_path / "nope.toml")


def test_a_document_dated_as_toml_writes_a_date(tmp_path: Path) -> None:
    path = tmp_path / "ganzhou-2021.toml"
    path.write_text(GANZHOU.replace('date = "2021"', "date = 2021-03-01", 1), encoding="utf-8")
    assert load_pack_file(path).documents[0].date == "2021-03-01"


def test_pack_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "ganzhou-2021.toml"
    path.write_text(GANZHOU, encoding="utf-8")
    assert load_pack_file(path) == load_pack("ganzhou-2021")


# --- counting days ----------------------------------------------------------------------


def _working(pack: PolicyPack) -> PolicyPack:
    return pack.model_copy(update={"leave": pack.leave.model_copy(update={"day_count": "working"})})


CALENDAR_DAYS = [
    (date(2026, 11, 23), date(2026, 11, 23), 1, "one day, both ends included"),
    (date(2026, 1, 30), date(2026, 2, 2), 4, "across a month end"),
    (date(2026, 12, 30), date(2027, 1, 2), 4, "across a year end"),
    (date(2026, 9, 30), date(2026, 10, 9), 10, "holidays count as calendar days"),
]


@pytest.mark.parametrize(("start", "end", "days", "why"), CALENDAR_DAYS)
def test_count_calendar_days(start: date, end: date, days: int, why: str) -> None:
    assert count_leave_days(load_pack("ganzhou-2021"), start, end, WorkCalendar()) == days, why


HOLIDAY_2027 = {date(2027, 1, 1): DayKind.HOLIDAY}
WORKING_DAYS = [
    (date(2026, 1, 30), date(2026, 2, 2), {}, 2, "Fri + Mon across a month end"),
    (
        date(2026, 9, 30),
        date(2026, 10, 9),
        {},
        3,
        "National Day 10-01..07 off; 09-30, 10-08, 10-09",
    ),
    (date(2026, 9, 19), date(2026, 9, 20), {}, 1, "Sun 2026-09-20 is a make-up working day"),
    (date(2026, 12, 30), date(2027, 1, 5), {}, 5, "year end; 2027 Mon–Fri fallback"),
    (date(2026, 12, 30), date(2027, 1, 5), HOLIDAY_2027, 4, "2027-01-01 set as a holiday"),
    (date(2026, 10, 1), date(2026, 10, 7), {}, 0, "all holidays"),
]


@pytest.mark.parametrize(("start", "end", "overrides", "days", "why"), WORKING_DAYS)
def test_count_working_days(
    start: date, end: date, overrides: dict[date, DayKind], days: int, why: str
) -> None:
    pack = _working(load_pack("ganzhou-2021"))
    assert count_leave_days(pack, start, end, WorkCalendar(overrides)) == days, why


def test_working_days_change_the_route() -> None:
    # 8 calendar days over National Day go to the county group; 3 working days stay in the township.
    start, end = date(2026, 9, 30), date(2026, 10, 7)
    calendar_pack, working_pack = load_pack("ganzhou-2021"), _working(load_pack("ganzhou-2021"))
    by_calendar = count_leave_days(calendar_pack, start, end, WorkCalendar())
    by_work = count_leave_days(working_pack, start, end, WorkCalendar())
    assert route_leave(calendar_pack, by_calendar).approver == GROUP
    assert route_leave(working_pack, by_work).approver == T


def test_count_rejects_end_before_start() -> None:
    with pytest.raises(DomainError) as caught:
        count_leave_days(
            load_pack("ganzhou-2021"), date(2026, 3, 2), date(2026, 3, 1), WorkCalendar()
        )
    assert caught.value.code == "leave_end_before_start"
