"""Property tests (Hypothesis) for everything that reads what people type or press: dates,
one-line commands, names, roster cells and button payloads. Whatever arrives, a parser
answers with its documented "bad input" result (None, or its own error) and nothing else,
and what a formatter writes reads back the same.

Derandomized with a modest number of examples: the same inputs on every run, so CI is
deterministic and the whole file takes a few seconds."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import handlers.account.help
import handlers.leave.payloads
import handlers.presence.payloads
import handlers.supervision.payloads
import handlers.visits.card  # noqa: F401 - every payload type registers on import
from handlers.core.events import split_command
from handlers.core.payloads import _PREFIXES, INT_LIMIT, MAX_BYTES, SEPARATOR, Payload, _fields
from handlers.leave.parse import OneLineError, end_after, parse_date, parse_one_line
from handlers.leave.requests import _days
from handlers.presence.attendance import past_date, sheet_month
from handlers.supervision.training_parse import ParseError, training_date
from handlers.supervision.training_parse import parse as parse_training
from services.errors import DomainError
from services.periods import Period
from services.presence.trips import MAX_KM, parse_km
from services.roster import names
from services.roster.importing import cells
from services.visits import household_search
from services.visits.one_line import parse_one_line as parse_visit
from services.visits.one_line import problems_from_notes, risk_from_notes

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# What people type: digits of every script, the separators the parsers look for, Chinese
# words they know, emoji, and anything else Unicode has.
_WORDS = [
    "事假", "病假", "年假", "出差", "会议", "培训", "紧急", "今天", "明天", "后天", "入户", "电话",
    "线上", "省", "市", "县", "天", "日", "号", "月", "年", "份", "#", "同意", "驳回",
]  # fmt: skip
_PIECES = st.one_of(
    st.sampled_from(_WORDS),
    st.sampled_from(list("0123456789-/.: ２０１２²³١٢٣ⅻ")),
    st.integers(min_value=0, max_value=10**30).map(str),
    st.text(max_size=6),
    st.sampled_from(["🙂", "👨‍👩‍👧", "\u200b", "\x00", "\n", "\t", "　"]),
)
TYPED = st.lists(_PIECES, max_size=8).map("".join)
SPACED = st.lists(_PIECES, max_size=8).map(" ".join)
# Real days plus the calendar's edges: a leap day, the turn of a year.
TODAY = st.one_of(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.sampled_from([date(2028, 2, 29), date(2028, 1, 15), date(2026, 12, 31), date(2027, 1, 1)]),
)


# --- dates ----------------------------------------------------------------------------------


@FUZZ
@given(TYPED, TODAY)
@example("2-29", date(2028, 1, 15))
def test_a_typed_date_is_a_date_or_none(text: str, today: date) -> None:
    for parse in (parse_date, training_date, past_date):
        assert isinstance(parse(text, today), date | None)


@FUZZ
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)), TODAY)
def test_an_iso_date_reads_back(day: date, today: date) -> None:
    assert parse_date(day.isoformat(), today) == day
    assert parse_date(f"{day.year}年{day.month}月{day.day}日", today) == day


@FUZZ
@given(st.one_of(TYPED, st.integers(min_value=0).map(str).map(lambda s: s + "天")), TODAY)
@example("9" * 4000, date(2026, 11, 23))
def test_a_typed_day_count_is_a_number_or_none(text: str, today: date) -> None:
    days = _days(text)
    if days is not None:
        assert days >= 0
        end = end_after(today, days)  # the guided step's next move: None beyond the calendar
        assert end is None or end >= today


@FUZZ
@given(TYPED, TODAY)
def test_a_sheet_month_is_a_real_month_or_none(text: str, today: date) -> None:
    found = sheet_month(text, today)
    if found is not None:
        year, month = found
        assert 1 <= month <= 12
        date(year, month, 1)  # a month the calendar has


# --- one-line commands ----------------------------------------------------------------------


@FUZZ
@given(SPACED, TODAY)
def test_a_one_line_leave_is_read_or_refused_with_its_part(args: str, today: date) -> None:
    try:
        line = parse_one_line(args, today)
    except OneLineError as exc:
        assert exc.part in {"start", "end", "kind", "missing"}
    else:
        assert line.start and line.end and line.kind


@FUZZ
@given(SPACED, TODAY)
@example("李强 1-5 县 ²", date(2026, 11, 23))
def test_a_training_line_is_read_or_refused_with_its_part(args: str, today: date) -> None:
    try:
        parsed = parse_training(args, today)
    except ParseError as exc:
        assert exc.part in {"date", "missing", "level", "days"}
    else:
        assert parsed.course.days >= 0


@FUZZ
@given(SPACED)
def test_a_one_line_visit_always_has_a_reading(text: str) -> None:
    line = parse_visit(text)
    if text.split():
        assert line.names and all(name for name, _ in line.names)
    problems_from_notes(text)
    risk_from_notes(text)


@FUZZ
@given(st.one_of(SPACED, SPACED.map(lambda s: "/" + s)))
def test_a_command_splits_into_a_name_and_its_args(text: str) -> None:
    command, args = split_command(text)
    if command is None:
        assert args == ""
    else:
        assert command and not any(c.isspace() for c in command) and "@" not in command
        assert args == args.strip()


@FUZZ
@given(st.one_of(TYPED, st.decimals(allow_nan=True).map(str).map(lambda s: s + "km")))
@example("0.01")
@example("1e-9")
def test_a_trips_kilometres_are_positive_or_refused(text: str) -> None:
    try:
        km = parse_km(text)
    except DomainError as exc:
        assert exc.code == "trip_km_invalid"
    else:
        assert 0 < km <= MAX_KM


@FUZZ
@given(TYPED)
def test_a_period_is_read_or_refused(text: str) -> None:
    try:
        Period.parse(text)
    except DomainError as exc:
        assert exc.code == "period_invalid"


# --- names ----------------------------------------------------------------------------------

NAMES = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=5),
    st.sampled_from(["单雄信", "欧阳娜娜", "吕布", "曾国藩", "Zhāng Wěi", "zhang1 wei3", "A 张"]),
    st.text(max_size=8),
)


@FUZZ
@given(NAMES)
def test_a_names_search_key_fits_and_reads_back(name: str) -> None:
    key = names.household_search_key(name)
    assert len(key) <= names.KEY_MAX_CHARS
    stored = [r.syllables for r in names.key_readings(key, name)]
    fresh = [r.syllables for r in names.readings(name)]
    if len(key) < names.KEY_MAX_CHARS:
        assert stored == fresh[: len(stored)] and (not fresh or stored)


@FUZZ
@given(NAMES, NAMES)
def test_matching_a_name_scores_within_bounds(typed: str, head: str) -> None:
    query = household_search.Query.parse(typed)
    found = household_search.score_name(query, "X1", head, names.readings(head))
    if found is not None:
        kind, score = found
        assert isinstance(kind, household_search.MatchKind) and 0 <= score <= 100


# --- roster cells ---------------------------------------------------------------------------

CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
    st.times(),
    TYPED,
    st.text(alphabet="0123456789", min_size=4290, max_size=4400),  # past int()'s 4,300 digits
)
_CELL_READERS: list[Any] = [
    cells.parse_phone,
    cells.parse_date,
    lambda v: cells.parse_date(v, allow_month=True),
    cells.parse_positive_int,
    lambda v: cells.parse_coordinate(v, 90.0, "latitude"),
    cells.ROLES.parse,
    cells.LEVELS.parse,
    cells.POSTS.parse,
    cells.HOUSEHOLD_CATEGORIES.parse,
    cells.parse_needs,
]


@FUZZ
@given(CELLS)
@example("1" * 4301)
def test_a_roster_cell_is_read_or_refused_with_a_cell_error(value: Any) -> None:
    assert isinstance(cells.cell_text(value), str)
    assert isinstance(cells.person_name(value), str)
    for read in _CELL_READERS:
        try:
            read(value)
        except cells.CellError as exc:
            assert exc.code


@FUZZ
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_a_date_cell_reads_back_in_every_form(day: date) -> None:
    for form in (
        day,
        datetime.combine(day, time()),
        day.isoformat(),
        day.strftime("%Y%m%d"),
        f"{day.year}年{day.month}月{day.day}日",
    ):
        assert cells.parse_date(form) == day


# --- button payloads ------------------------------------------------------------------------

PAYLOAD_TYPES = sorted(_PREFIXES.values(), key=lambda cls: cls.prefix)


def _field_value(kind: Any) -> st.SearchStrategy[Any]:
    if kind is int:
        return st.integers(min_value=0, max_value=INT_LIMIT - 1)
    if kind is bool:
        return st.booleans()
    return st.text(
        alphabet=st.characters(blacklist_characters=SEPARATOR, blacklist_categories=["Cs"]),
        max_size=12,
    )


def _payloads(cls: type[Payload]) -> st.SearchStrategy[Payload]:
    fields = {name: _field_value(kind) for name, kind in _fields(cls)}
    return st.fixed_dictionaries(fields).map(lambda values: cls(**values))


def test_every_payload_type_is_fuzzed() -> None:
    assert {"lvd", "lvo", "lv", "spc", "ats", "rcg", "rc", "vis", "lang"} <= set(_PREFIXES)


@pytest.mark.parametrize("cls", PAYLOAD_TYPES, ids=lambda cls: cls.prefix)
@FUZZ
@given(data=st.data())
def test_a_packed_payload_unpacks_to_itself(cls: type[Payload], data: st.DataObject) -> None:
    payload = data.draw(_payloads(cls))
    try:
        packed = payload.pack()
    except ValueError:  # over Telegram's 64 bytes: refused when the button is made
        assert len(_raw(payload).encode()) > MAX_BYTES
        return
    assert len(packed.encode()) <= MAX_BYTES
    assert cls.unpack(packed) == payload


def _raw(payload: Payload) -> str:
    """The payload as packing would write it, whatever its length."""
    fields = dataclasses.fields(payload)  # type: ignore[arg-type]
    values = [getattr(payload, f.name) for f in fields]
    return SEPARATOR.join(
        [payload.prefix, *(str(int(v) if isinstance(v, bool) else v) for v in values)]
    )


# Forged data: a known prefix and garbage fields, within the 64 bytes a press can carry.
FORGED = st.one_of(
    st.builds(
        lambda prefix, parts: SEPARATOR.join([prefix, *parts]),
        st.sampled_from(sorted(_PREFIXES)),
        st.lists(st.one_of(TYPED, st.integers().map(str)), max_size=4),
    ),
    st.text(max_size=64),
).filter(lambda data: len(data.encode()) <= MAX_BYTES)


@FUZZ
@given(FORGED)
@example(f"lvd:ok:{2**63}")
@example("rcg:-1:0")
@example("vis:m:１")
def test_forged_data_unpacks_to_none_or_a_sane_payload(data: str) -> None:
    for cls in PAYLOAD_TYPES:
        payload = cls.unpack(data)
        if payload is None:
            continue
        for name, kind in _fields(cls):
            value = getattr(payload, name)
            assert isinstance(value, kind)
            if kind is int:
                assert 0 <= value < INT_LIMIT
        assert cls.unpack(payload.pack()) == payload
