"""A synthetic roster for the benchmarks, streamed into a database by bulk inserts.

Shared by ``bench/throughput.py`` (a county of 500 cadres) and ``bench/sweeps.py`` (a county
of 2,000 cadres and the whole country: 600,000). Not a fixture of the test suite.

The shape: counties of townships of villages; one team of 3 or 4 cadres per village (their
ids contiguous); households spread evenly over the villages, each paired with a cadre of the
village's team in turn (``Pairing``, started 2025-06-01, none ended); a county leading group
office holder and a bound county group per county; visits spread at random over households
and over the days from 2025-06-01 to 2026-12-09 (daytime), 95 % by the paired cadre, 80 %
in person, 40 % with a location (mostly within 1 km of the village). Cadres' terms run
2025-06-01 to 2027-05-31, except 2 % who left on 2026-10-31. Names come from a pool of a
few thousand, unique within a village, with their pinyin search keys computed once.

Rows are tuples in a table's column order, produced lazily, so the national scale (five
million visits) is written in chunks without being held in memory. Two writers: SQLite
through the standard ``sqlite3`` module, each value passed through the column type's own
bind processor (so the file holds exactly what the application would have written), and
PostgreSQL through ``COPY`` (asyncpg's ``copy_records_to_table``).
"""

from __future__ import annotations

import itertools
import json
import random
import sqlite3
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Table
from sqlalchemy.dialects import sqlite as sqlite_dialect

from models.enums import (
    ApproverKind,
    Channel,
    GroupScope,
    HouseholdCategory,
    Jurisdiction,
    TeamRole,
    UnitLevel,
    VisitMode,
)
from models.tables import (
    ApproverPost,
    Cadre,
    ChannelAccount,
    County,
    DispatchingUnit,
    GroupChat,
    Household,
    Pairing,
    Person,
    Team,
    Township,
    Village,
)
from models.workflow import Visit
from services.roster.names import household_search_key

CST = timedelta(hours=8)
TERM_START = date(2025, 6, 1)
TERM_END = date(2027, 5, 31)
LEFT_ON = date(2026, 10, 31)  # the 2 % of cadres whose term ended early
PAIRED_AT = datetime(2025, 6, 1, tzinfo=UTC) - CST  # 2025-06-01 00:00 in Asia/Shanghai
VISIT_DAYS = (date(2026, 12, 10) - date(2025, 6, 1)).days  # visits up to 2026-12-09
CHECKS_OK = json.dumps(
    {
        k: {"ok": True, "note": ""}
        for k in ("income", "food", "clothing", "schooling", "medical", "housing", "water")
    },
    ensure_ascii=False,
)
TELEGRAM_IDS = 7_000_000_000  # a Telegram user id = this + person id, for registered people

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红建国文辉力斌宇浩凯健俊帆帅旭宁龙林"
    "欣佳梅琴云莲真环雪荣爱香月瑞凡嘉琼勤珍贞莉叶春水根来金山树田志永保贵财富祥福生德发"
)


@dataclass(frozen=True)
class Shape:
    """How big a synthetic deployment is."""

    counties: int
    cadres: int
    households: int
    visits: int
    townships_per_county: int = 20
    units_per_county: int = 40
    team_size: float = 3.5  # teams of 3 or 4
    registered: float = 0.97  # share of cadres with a Telegram account bound
    seed: int = 2026

    @property
    def villages(self) -> int:
        return max(1, round(self.cadres / self.team_size))


class Rows(NamedTuple):
    table: Table
    columns: tuple[str, ...]
    rows: Iterable[tuple[Any, ...]]
    count: int


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _name_pool(rng: random.Random, size: int) -> list[str]:
    names: set[str] = set()
    while len(names) < size:
        given = "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))
        names.add(rng.choice(SURNAMES) + given)
    return sorted(names)


@dataclass
class Synthetic:
    """The deployment of one ``Shape``: ids are assigned here (1-based, contiguous)."""

    shape: Shape
    names: list[str] = field(init=False)
    keys: list[str] = field(init=False)
    # Per village (index v): the first cadre and the first household (index), and v+1's.
    village_cadres: array[int] = field(init=False)
    village_households: array[int] = field(init=False)
    village_county: array[int] = field(init=False)
    village_township: array[int] = field(init=False)
    household_name: array[int] = field(init=False)  # index into names

    def __post_init__(self) -> None:
        self._registered: bytearray | None = None
        s = self.shape
        rng = random.Random(s.seed)
        self.names = _name_pool(rng, 4000)
        self.keys = [household_search_key(name) for name in self.names]
        v_count = s.villages
        self.village_cadres = array("q", (v * s.cadres // v_count for v in range(v_count + 1)))
        self.village_households = array(
            "q", (v * s.households // v_count for v in range(v_count + 1))
        )
        # A village's county is its first cadre's (cadres are spread evenly over counties).
        self.village_county = array(
            "q", (self.village_cadres[v] * s.counties // s.cadres for v in range(v_count))
        )
        # Townships: each county's villages cut into townships_per_county runs.
        self.village_township = array("q", bytes(8 * v_count))
        for county, members in itertools.groupby(
            range(v_count), key=self.village_county.__getitem__
        ):
            villages = list(members)
            per = min(s.townships_per_county, len(villages))
            for local, v in enumerate(villages):
                self.village_township[v] = county * s.townships_per_county + local * per // len(
                    villages
                )
        self.household_name = array("H", bytes(2 * s.households))
        for v in range(v_count):
            first, last = self.village_households[v], self.village_households[v + 1]
            picked = rng.sample(range(len(self.names)), last - first)
            self.household_name[first:last] = array("H", picked)
        self._rng = rng

    # --- lookups the benchmarks use ------------------------------------------------------

    def village_of_cadre(self, cadre: int) -> int:
        """The village (index) of cadre index ``cadre``."""
        lo, hi = 0, len(self.village_cadres) - 2
        while lo < hi:  # the last v with village_cadres[v] <= cadre
            mid = (lo + hi + 1) // 2
            if self.village_cadres[mid] <= cadre:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def paired_cadre(self, household: int, village: int) -> int:
        first, size = self.village_cadres[village], self.team_size_of(village)
        return first + (household - self.village_households[village]) % size

    def team_size_of(self, village: int) -> int:
        return self.village_cadres[village + 1] - self.village_cadres[village]

    def households_of_cadre(self, cadre: int) -> list[int]:
        v = self.village_of_cadre(cadre)
        return [
            h
            for h in range(self.village_households[v], self.village_households[v + 1])
            if self.paired_cadre(h, v) == cadre
        ]

    @staticmethod
    def household_code(household: int) -> str:
        return f"H{household + 1:07d}"

    def head_name(self, household: int) -> str:
        return self.names[self.household_name[household]]

    def person_name(self, person: int) -> str:
        return self.names[(person * 7919) % len(self.names)]

    @staticmethod
    def telegram_id(person_id: int) -> int:
        return TELEGRAM_IDS + person_id

    def office_person_id(self, county: int) -> int:
        return self.shape.cadres + county + 1

    def group_chat_id(self, county: int) -> int:
        return -1_002_000_000_000 - county

    # --- rows, parents first -------------------------------------------------------------

    def tables(self) -> Iterator[Rows]:
        s = self.shape
        v_count = s.villages
        c_range = range(s.counties)
        yield Rows(
            _table(County), ("id", "name"), ((c + 1, f"第{c + 1}县") for c in c_range), s.counties
        )
        townships = s.counties * s.townships_per_county
        yield Rows(
            _table(Township),
            ("id", "county_id", "name"),
            (
                (t + 1, t // s.townships_per_county + 1, f"第{t % s.townships_per_county + 1}镇")
                for t in range(townships)
            ),
            townships,
        )
        yield Rows(
            _table(Village),
            ("id", "township_id", "name", "latitude", "longitude", "needs"),
            self._villages(),
            v_count,
        )
        yield Rows(
            _table(Team), ("id", "village_id"), ((v + 1, v + 1) for v in range(v_count)), v_count
        )
        units = s.counties * s.units_per_county
        levels = (UnitLevel.PROVINCE.value, UnitLevel.CITY.value, UnitLevel.COUNTY.value)
        yield Rows(
            _table(DispatchingUnit),
            ("id", "name", "level"),
            ((u + 1, f"派出单位{u + 1}", levels[u % 3]) for u in range(units)),
            units,
        )
        yield Rows(
            _table(Person),
            (
                "id",
                "name",
                "phone",
                "language",
                "registered_at",
                "menu_hash",
                "created_at",
                "updated_at",
            ),
            self._people(),
            s.cadres + s.counties,
        )
        yield Rows(
            _table(ChannelAccount),
            ("id", "person_id", "channel", "external_id", "chat_id", "created_at"),
            self._accounts(),
            sum(self.registered()),
        )
        yield Rows(
            _table(Cadre),
            (
                "id",
                "person_id",
                "team_id",
                "team_role",
                "is_leader",
                "unit_id",
                "dispatch_level",
                "term_start",
                "term_end",
            ),
            self._cadres(),
            s.cadres,
        )
        yield Rows(
            _table(ApproverPost),
            ("id", "kind", "person_id", "jurisdiction", "jurisdiction_key", "county_id"),
            (
                (
                    c + 1,
                    ApproverKind.COUNTY_LEADING_GROUP_OFFICE.value,
                    self.office_person_id(c),
                    Jurisdiction.COUNTY.value,
                    f"county:{c + 1}",
                    c + 1,
                )
                for c in c_range
            ),
            s.counties,
        )
        yield Rows(
            _table(GroupChat),
            ("id", "chat_id", "title", "scope", "county_id", "bound_by_person_id", "bound_at"),
            (
                (
                    c + 1,
                    self.group_chat_id(c),
                    f"第{c + 1}县驻村工作群",
                    GroupScope.COUNTY.value,
                    c + 1,
                    self.office_person_id(c),
                    PAIRED_AT,
                )
                for c in c_range
            ),
            s.counties,
        )
        yield Rows(
            _table(Household),
            ("id", "code", "head_name", "name_pinyin", "village_id", "category", "size"),
            self._households(),
            s.households,
        )
        yield Rows(
            _table(Pairing),
            ("id", "cadre_id", "household_id", "started_at"),
            self._pairings(),
            s.households,
        )
        yield Rows(
            _table(Visit),
            (
                "id",
                "household_id",
                "cadre_id",
                "visited_at",
                "mode",
                "checks",
                "notes",
                "latitude",
                "longitude",
                "risk",
                "risk_note",
                "created_at",
            ),
            self._visits(),
            s.visits,
        )

    def _centre(self, village: int) -> tuple[float, float]:
        county = self.village_county[village]
        # Counties on a coarse grid over southern China; villages within ±0.3°.
        lat = 22.0 + (county % 20) * 0.8 + ((village * 37) % 61 - 30) / 100
        lon = 100.0 + (county // 20) * 1.2 + ((village * 53) % 61 - 30) / 100
        return round(lat, 5), round(lon, 5)

    def _villages(self) -> Iterator[tuple[Any, ...]]:
        for v in range(self.shape.villages):
            lat, lon = self._centre(v)
            yield (v + 1, self.village_township[v] + 1, f"第{v + 1}村", lat, lon, "")

    def registered(self) -> bytearray:
        """Per person (by id - 1): whether they have a Telegram account bound."""
        if self._registered is None:
            s = self.shape
            rng = random.Random(s.seed + 1)
            self._registered = bytearray(
                i >= s.cadres or rng.random() < s.registered for i in range(s.cadres + s.counties)
            )
        return self._registered

    def _people(self) -> Iterator[tuple[Any, ...]]:
        for i, registered in enumerate(self.registered()):
            person_id = i + 1
            yield (
                person_id,
                self.person_name(person_id),
                f"1{person_id:010d}",
                "zh-hans" if registered else None,
                PAIRED_AT if registered else None,
                None,
                PAIRED_AT,
                PAIRED_AT,
            )

    def _accounts(self) -> Iterator[tuple[Any, ...]]:
        bound = (i + 1 for i, registered in enumerate(self.registered()) if registered)
        for n, person_id in enumerate(bound):
            user = self.telegram_id(person_id)
            yield (n + 1, person_id, Channel.TELEGRAM.value, str(user), user, PAIRED_AT)

    def _cadres(self) -> Iterator[tuple[Any, ...]]:
        s = self.shape
        rng = random.Random(s.seed + 2)
        levels = (UnitLevel.PROVINCE.value, UnitLevel.CITY.value, UnitLevel.COUNTY.value)
        for v in range(s.villages):
            county = self.village_county[v]
            for i in range(self.village_cadres[v], self.village_cadres[v + 1]):
                leader = i == self.village_cadres[v]
                unit = county * s.units_per_county + rng.randrange(s.units_per_county)
                yield (
                    i + 1,
                    i + 1,
                    v + 1,
                    (TeamRole.FIRST_SECRETARY if leader else TeamRole.MEMBER).value,
                    leader,
                    unit + 1,
                    levels[unit % 3],
                    TERM_START,
                    LEFT_ON if rng.random() < 0.02 else TERM_END,
                )

    def _households(self) -> Iterator[tuple[Any, ...]]:
        s = self.shape
        rng = random.Random(s.seed + 3)
        categories = [c.value for c in HouseholdCategory]
        weights = (3, 3, 1, 13)
        for v in range(s.villages):
            for h in range(self.village_households[v], self.village_households[v + 1]):
                name = self.household_name[h]
                yield (
                    h + 1,
                    self.household_code(h),
                    self.names[name],
                    self.keys[name],
                    v + 1,
                    rng.choices(categories, weights)[0],
                    rng.randint(1, 6),
                )

    def _pairings(self) -> Iterator[tuple[Any, ...]]:
        for v in range(self.shape.villages):
            for h in range(self.village_households[v], self.village_households[v + 1]):
                yield (h + 1, self.paired_cadre(h, v) + 1, h + 1, PAIRED_AT)

    def _visits(self) -> Iterator[tuple[Any, ...]]:
        s = self.shape
        rng = random.Random(s.seed + 4)
        # Which village each household is in, as one array (the loop below is the hot one).
        village_of = array("q", bytes(8 * s.households))
        for v in range(s.villages):
            first, last = self.village_households[v], self.village_households[v + 1]
            village_of[first:last] = array("q", [v]) * (last - first)
        modes = (VisitMode.IN_PERSON.value,) * 16 + (VisitMode.PHONE.value,) * 3
        modes += (VisitMode.ONLINE.value,)
        day_zero = PAIRED_AT + timedelta(hours=8)  # 08:00 local on the first day
        rand, randrange = rng.random, rng.randrange
        for n in range(s.visits):
            h = randrange(s.households)
            v = village_of[h]
            cadre = self.paired_cadre(h, v)
            if rand() < 0.05 and self.team_size_of(v) > 1:
                cadre = self.village_cadres[v] + randrange(self.team_size_of(v))
            at = day_zero + timedelta(days=randrange(VISIT_DAYS), seconds=randrange(36_000))
            lat = lon = None
            if rand() < 0.4:
                lat, lon = self._centre(v)
                spread = 0.01 if rand() < 0.9 else 0.2
                lat += (rand() - 0.5) * spread
                lon += (rand() - 0.5) * spread
            risk = rand() < 0.01
            yield (
                n + 1,
                h + 1,
                cadre + 1,
                at,
                modes[randrange(20)],
                CHECKS_OK,
                "",
                lat,
                lon,
                risk,
                "收入下降，有返贫风险" if risk else "",
                at,
            )


# --- writers -------------------------------------------------------------------------------


def _chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


Progress = Callable[[str, int, int, float], None]


def print_progress(table: str, done: int, total: int, elapsed: float) -> None:
    print(f"    {table}: {done:,}/{total:,} rows, {elapsed:.0f} s", flush=True)


class SqliteWriter:
    """Bulk inserts with ``sqlite3``; values go through each column's bind processor."""

    CHUNK = 50_000

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA cache_size=-1000000")  # 1 GB while loading
        self.dialect = sqlite_dialect.dialect()  # type: ignore[no-untyped-call]

    def write(self, rows: Rows, progress: Progress | None = None) -> None:
        processors = []
        for index, name in enumerate(rows.columns):
            column_type = rows.table.c[name].type
            proc = column_type.dialect_impl(self.dialect).bind_processor(self.dialect)
            if proc is not None:
                processors.append((index, proc))
        sql = (
            f"INSERT INTO {rows.table.name} ({', '.join(rows.columns)}) "
            f"VALUES ({', '.join('?' * len(rows.columns))})"
        )
        started, done, reported = time.monotonic(), 0, 0
        for chunk in _chunks(rows.rows, self.CHUNK):
            converted = []
            for row in chunk:
                values = list(row)
                for index, proc in processors:
                    values[index] = proc(values[index])
                converted.append(values)
            self.conn.executemany(sql, converted)
            self.conn.commit()
            done += len(chunk)
            if progress is not None and done - reported >= 1_000_000 and done < rows.count:
                reported = done
                progress(rows.table.name, done, rows.count, time.monotonic() - started)

    def close(self) -> None:
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()


class PostgresWriter:
    """``COPY`` through asyncpg, with foreign-key triggers off while loading (when the role
    may: ``session_replication_role`` needs a superuser), sequences moved past the ids."""

    CHUNK = 100_000

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.tables: list[str] = []

    async def start(self) -> None:
        try:
            await self.conn.execute("SET session_replication_role = replica")
        except Exception:  # not a superuser: foreign keys are checked row by row
            print("    (foreign keys checked while loading: not a superuser)")

    async def write(self, rows: Rows, progress: Progress | None = None) -> None:
        started, done, reported = time.monotonic(), 0, 0
        for chunk in _chunks(rows.rows, self.CHUNK):
            await self.conn.copy_records_to_table(
                rows.table.name, records=chunk, columns=list(rows.columns)
            )
            done += len(chunk)
            if progress is not None and done - reported >= 1_000_000 and done < rows.count:
                reported = done
                progress(rows.table.name, done, rows.count, time.monotonic() - started)
        self.tables.append(rows.table.name)

    async def finish(self) -> None:
        await self.conn.execute("SET session_replication_role = DEFAULT")
        for name in self.tables:
            await self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"
            )
        await self.conn.execute("ANALYZE")  # what autovacuum does shortly after a load


def summary(shape: Shape) -> Sequence[tuple[str, int]]:
    """Row counts by table, for the report."""
    return [
        ("counties", shape.counties),
        ("townships", shape.counties * shape.townships_per_county),
        ("villages (teams)", shape.villages),
        ("cadres", shape.cadres),
        ("households (pairings)", shape.households),
        ("visits", shape.visits),
    ]
