"""Finding a household by what a cadre types: a code, a name with typos or same-sound
characters, or pinyin with or without tones and spaces.

How a candidate is scored (0–100, rapidfuzz's normalized Indel ratio):

- ``CODE``: the query is the household code (H0001), case-insensitive. Always wins.
- ``NAME``: the query is exactly the head's name in characters.
- ``PINYIN``: the query's pinyin equals one of the name's readings ("张为明" for 张伟明,
  "zhang weiming", "shan xiongxin" for 单雄信).
- ``FUZZY``: the best of — characters against characters; joined pinyin against each
  reading (times 0.85 when the surname part does not resemble the reading's surname, so
  王伟明 does not find 张伟明); the query against the given name alone (times 0.95);
  initials typed as letters ("zwm", 88). Kept when it reaches ``MATCH_THRESHOLD`` (80).

Scopes come in tiers: the cadre's own active pairings (0), the rest of the village (1), and
optionally the county (2). Matches are ordered by kind, then tier, then score (a fuzzy match
loses 5 points per tier). One rule decides when the top match is *confident* — used
without asking — everywhere a household is typed: when it is the code, or exactly the head's
name in characters with no namesake in its tier and nothing from an earlier tier. Anything
else — a same-sound name (钟贵兰 for 钟桂兰), pinyin, a typo — is offered as buttons, because
a visit recorded against the wrong family is worse than one more tap.

``HouseholdIndex`` holds the keys in memory and pre-filters with ``rapidfuzz.process``, so
the same scoring serves a village and a million households (see bench/household_search.py).
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum

from rapidfuzz import fuzz, process
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Household, Pairing, Township, Village
from services.roster.names import (
    Reading,
    han_only,
    has_han,
    household_search_key,
    key_readings,
    query_readings,
    split_surname,
)

MATCH_THRESHOLD = 80.0
TIER_PENALTY = 5.0
SURNAME_PENALTY = 0.85
SURNAME_SIMILAR = 75.0
GIVEN_ONLY_FACTOR = 0.95
INITIALS_SCORE = 88.0
HOMOPHONE_SCORE = 98.0
PREFILTER_CUTOFF = 60.0

TIER_PAIRED = 0
TIER_VILLAGE = 1
TIER_COUNTY = 2


class MatchKind(IntEnum):
    CODE = 0
    NAME = 1
    PINYIN = 2
    FUZZY = 3


@dataclass(frozen=True)
class Query:
    text: str
    code: str  # the query as a household code would be written
    han: str  # its Chinese characters
    latin: tuple[str, ...]  # joined pinyin, one per reading of a leading surname
    letters_only: bool  # typed in letters (so initials are a fair guess)

    @classmethod
    def parse(cls, text: str) -> Query:
        text = " ".join(text.split())
        return cls(
            text=text,
            code=text.replace(" ", "").upper(),
            han=han_only(text),
            latin=query_readings(text),
            letters_only=bool(text) and not has_han(text),
        )


def _surname_like(typed: str, reading: Reading) -> bool:
    surname = reading.surname
    if not surname:
        return True
    return fuzz.ratio(typed[: len(surname)], surname) >= SURNAME_SIMILAR


def score_name(
    query: Query, code: str, head_name: str, readings: tuple[Reading, ...]
) -> tuple[MatchKind, float] | None:
    """How well one household answers the query; None below the threshold."""
    if query.code and query.code == code.upper():
        return MatchKind.CODE, 100.0
    if query.han and query.han == head_name:
        return MatchKind.NAME, 100.0
    best = 0.0
    for typed in query.latin:
        for reading in readings:
            joined = reading.joined
            if typed in (joined, joined.replace("v", "u")):  # 吕 lv, typed lu
                return MatchKind.PINYIN, HOMOPHONE_SCORE if query.han else 100.0
            score = fuzz.ratio(typed, joined)
            if not _surname_like(typed, reading):
                score *= SURNAME_PENALTY
            if reading.given:
                score = max(score, fuzz.ratio(typed, reading.given) * GIVEN_ONLY_FACTOR)
            if query.letters_only and 2 <= len(typed) <= 4 and typed == reading.initials:
                score = max(score, INITIALS_SCORE)
            best = max(best, score)
    if query.han:
        best = max(best, fuzz.ratio(query.han, head_name))
        given = split_surname(head_name)[1]
        if given:
            best = max(best, fuzz.ratio(query.han, given) * GIVEN_ONLY_FACTOR)
    if best >= MATCH_THRESHOLD:
        return MatchKind.FUZZY, round(min(best, 97.0), 1)
    return None


@dataclass(frozen=True)
class Match:
    household_id: int
    code: str
    head_name: str
    kind: MatchKind
    score: float
    tier: int = 0  # 0 own pairing, 1 the village, 2 the county

    @property
    def paired(self) -> bool:
        return self.tier == TIER_PAIRED


def _rank(match: Match) -> tuple[int, int, float, int]:
    if match.kind is MatchKind.FUZZY:
        return (match.kind, 0, -(match.score - TIER_PENALTY * match.tier), match.household_id)
    return (match.kind, match.tier, -match.score, match.household_id)


def _confident(matches: list[Match]) -> bool:
    if not matches:
        return False
    top, others = matches[0], matches[1:]
    if top.kind is MatchKind.CODE:
        return True
    if any(m.tier < top.tier for m in others):
        return False
    if top.kind is MatchKind.NAME:
        return not any(m.kind <= top.kind and m.tier == top.tier for m in others)
    return False


@dataclass(frozen=True)
class SearchResult:
    query: str
    matches: tuple[Match, ...]
    confident: bool

    @property
    def best(self) -> Match | None:
        """The household to use without asking, when there is one."""
        return self.matches[0] if self.confident and self.matches else None


def rank(query: str, matches: Iterable[Match], limit: int) -> SearchResult:
    ordered = sorted(matches, key=_rank)
    confident = _confident(ordered)
    return SearchResult(query, tuple(ordered[:limit]), confident)


# --- the in-memory index -------------------------------------------------------------------


class _Column:
    """Distinct strings to pre-filter on, each with the rows that have it. A million
    households have far fewer distinct names and given names, so the fuzzy pass is shorter."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.rows: list[list[int]] = []
        self._slot: dict[str, int] = {}

    def add(self, text: str, row: int) -> None:
        slot = self._slot.get(text)
        if slot is None:
            self._slot[text] = len(self.strings)
            self.strings.append(text)
            self.rows.append([row])
        elif self.rows[slot][-1] != row:
            self.rows[slot].append(row)

    def extract(self, typed: str, depth: int) -> list[tuple[float, list[int]]]:
        """The closest strings' rows (at most ``depth`` rows for one string: beyond that
        they are equally good, and the cadre is asked anyway)."""
        found = process.extract(
            typed, self.strings, scorer=fuzz.ratio, score_cutoff=PREFILTER_CUTOFF, limit=depth
        )
        return [(score, self.rows[int(slot)][:depth]) for _, score, slot in found]


@dataclass
class _Partition:
    ids: array[int] = field(default_factory=lambda: array("q"))
    codes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    han: _Column = field(default_factory=_Column)
    joined: _Column = field(default_factory=_Column)
    given: _Column = field(default_factory=_Column)
    by_code: dict[str, int] = field(default_factory=dict)
    by_initials: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, household_id: int, code: str, head_name: str, key: str) -> None:
        row = len(self.ids)
        self.ids.append(household_id)
        self.codes.append(code)
        self.names.append(head_name)
        self.keys.append(key)
        self.by_code[code.upper()] = row
        self.han.add(head_name, row)
        seen_initials: set[str] = set()
        for reading in key_readings(key, head_name):
            self.joined.add(reading.joined, row)
            if reading.given:
                self.given.add(reading.given, row)
            if reading.initials not in seen_initials:
                seen_initials.add(reading.initials)
                self.by_initials[reading.initials].append(row)

    def candidates(self, query: Query, depth: int) -> dict[int, float]:
        """Rows worth scoring in full, with their best pre-filter score."""
        rows: dict[int, float] = {}

        def keep(found: list[tuple[float, list[int]]]) -> None:
            for score, hits in found:
                for row in hits:
                    rows[row] = max(score, rows.get(row, 0.0))

        hit = self.by_code.get(query.code)
        if hit is not None:
            rows[hit] = 101.0  # a code outranks any name
        if query.han:
            keep(self.han.extract(query.han, depth))
        for typed in query.latin:
            keep(self.joined.extract(typed, depth))
            keep(self.given.extract(typed, depth))
            if query.letters_only and len(typed) <= 4:
                keep([(INITIALS_SCORE, self.by_initials.get(typed, [])[:depth])])
        return rows

    def match(self, query: Query, row: int, tier: int) -> Match | None:
        name = self.names[row]
        scored = score_name(query, self.codes[row], name, key_readings(self.keys[row], name))
        if scored is None:
            return None
        kind, score = scored
        return Match(self.ids[row], self.codes[row], name, kind, score, tier)


class HouseholdIndex:
    """Households' search keys in memory, partitioned by a scope (a county id, a tier)."""

    def __init__(self) -> None:
        self._parts: dict[int | None, _Partition] = defaultdict(_Partition)

    def __len__(self) -> int:
        return sum(len(p.ids) for p in self._parts.values())

    def add(
        self, household_id: int, code: str, head_name: str, key: str, scope: int | None = None
    ) -> None:
        """Index one household; ``key`` is its ``name_pinyin`` (computed when empty)."""
        self._parts[scope].add(household_id, code, head_name, key)

    def search(
        self,
        text: str,
        *,
        scopes: Iterable[int | None] | None = None,
        tiered: bool = False,
        limit: int = 8,
    ) -> SearchResult:
        """Ranked matches in the given scopes (every scope when None). ``tiered``: the
        scopes are tiers in order of preference, and a match's tier is its scope's place."""
        query = Query.parse(text)
        if not query.text:
            return SearchResult(text, (), False)
        depth = max(limit * 5, 50)
        wanted = list(self._parts) if scopes is None else list(scopes)
        # (pre-filter score, tier, partition, row) for every candidate, every scope.
        pool: list[tuple[float, int, _Partition, int]] = []
        for position, scope in enumerate(wanted):
            part = self._parts.get(scope)
            if part is not None:
                tier = position if tiered else 0
                pool += [
                    (score, tier, part, row) for row, score in part.candidates(query, depth).items()
                ]
        if not tiered and len(wanted) > 1:
            # Across many partitions (a million households in fifty counties), only the
            # best candidates overall are scored in full.
            pool = sorted(pool, key=lambda item: -item[0])[: depth * 2]
        found = [m for _, tier, part, row in pool if (m := part.match(query, row, tier))]
        return rank(text, found, limit)


# --- the database search -------------------------------------------------------------------


async def search(
    session: AsyncSession,
    query: str,
    *,
    cadre_id: int,
    village_id: int,
    county_id: int | None = None,
    limit: int = 8,
) -> SearchResult:
    """Households answering ``query``: the cadre's active pairings first, then the village,
    then (when given) the county."""
    index = HouseholdIndex()
    seen: set[int] = set()

    def add(rows: Iterable[Household], tier: int) -> None:
        for h in rows:
            if h.id is not None and h.id not in seen:
                seen.add(h.id)
                index.add(h.id, h.code, h.head_name, h.name_pinyin, scope=tier)

    paired = await session.exec(
        select(Household)
        .join(Pairing, col(Pairing.household_id) == col(Household.id))
        .where(Pairing.cadre_id == cadre_id, col(Pairing.ended_at).is_(None))
    )
    add(paired.all(), TIER_PAIRED)
    village = await session.exec(select(Household).where(Household.village_id == village_id))
    add(village.all(), TIER_VILLAGE)
    tiers = [TIER_PAIRED, TIER_VILLAGE]
    if county_id is not None:
        county = await session.exec(
            select(Household)
            .join(Village, col(Village.id) == col(Household.village_id))
            .join(Township, col(Township.id) == col(Village.township_id))
            .where(Township.county_id == county_id)
        )
        add(county.all(), TIER_COUNTY)
        tiers.append(TIER_COUNTY)
    return index.search(query, scopes=tiers, tiered=True, limit=limit)


async def backfill_search_keys(session: AsyncSession) -> int:
    """Fill ``name_pinyin`` where it is empty (households written before name search
    existed, or by hand). Flushed, not committed; returns how many were filled."""
    result = await session.exec(select(Household).where(Household.name_pinyin == ""))
    filled = 0
    for household in result.all():
        household.name_pinyin = household_search_key(household.head_name)
        session.add(household)
        filled += 1
    if filled:
        await session.flush()
    return filled
