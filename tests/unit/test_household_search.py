"""Finding a household by what a cadre types: codes, names with typos, same-sound characters,
pinyin with or without tones and spaces, two-reading surnames, and a real "no match"."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Household, Pairing
from services.clock import FixedClock
from services.roster.importing.importer import import_roster
from services.roster.names import household_search_key
from services.visits.household_search import (
    TIER_COUNTY,
    TIER_PAIRED,
    TIER_VILLAGE,
    HouseholdIndex,
    MatchKind,
    backfill_search_keys,
    search,
)
from tests.factories import seed_roster
from tests.unit.roster_fixtures import sample_roster, write_workbook
from tests.visit_factories import seed_visit_world

VILLAGE = [
    "张伟明", "李秀英", "单雄信", "曾国藩", "解缙", "仇英", "区志强", "刘德华", "陈建国",
    "欧阳娜娜", "吕小明", "黄伟", "王芳", "钟桂兰",
]  # fmt: skip


@pytest.fixture(scope="module")
def index() -> HouseholdIndex:
    idx = HouseholdIndex()
    for number, name in enumerate(VILLAGE, start=1):
        idx.add(number, f"H{number:04d}", name, household_search_key(name))
    return idx


CASES = [
    # (typed, the household found first, how it matched, used without asking: only the code
    # or the exact name is; a same-sound name, pinyin or a typo is offered as a button)
    ("张伟明", "张伟明", MatchKind.NAME, True),
    ("H0003", "单雄信", MatchKind.CODE, True),
    ("h0003", "单雄信", MatchKind.CODE, True),
    # same-sound characters
    ("张为明", "张伟明", MatchKind.PINYIN, False),
    ("章卫明", "张伟明", MatchKind.PINYIN, False),
    ("刘德化", "刘德华", MatchKind.PINYIN, False),
    ("王方", "王芳", MatchKind.PINYIN, False),
    ("钟贵兰", "钟桂兰", MatchKind.PINYIN, False),
    # pinyin, with or without tones and spaces
    ("zhang weiming", "张伟明", MatchKind.PINYIN, False),
    ("zhangweiming", "张伟明", MatchKind.PINYIN, False),
    ("Zhāng Wěimíng", "张伟明", MatchKind.PINYIN, False),
    ("zhang1 wei3 ming2", "张伟明", MatchKind.PINYIN, False),
    ("ZHANG WEI MING", "张伟明", MatchKind.PINYIN, False),
    ("ouyang nana", "欧阳娜娜", MatchKind.PINYIN, False),
    ("lv xiaoming", "吕小明", MatchKind.PINYIN, False),
    ("lu xiaoming", "吕小明", MatchKind.PINYIN, False),
    # surnames with two readings, either reading
    ("shan xiongxin", "单雄信", MatchKind.PINYIN, False),
    ("dan xiong xin", "单雄信", MatchKind.PINYIN, False),
    ("zeng guofan", "曾国藩", MatchKind.PINYIN, False),
    ("ceng guofan", "曾国藩", MatchKind.PINYIN, False),
    ("xie jin", "解缙", MatchKind.PINYIN, False),
    ("qiu ying", "仇英", MatchKind.PINYIN, False),
    ("chou ying", "仇英", MatchKind.PINYIN, False),
    ("ou zhiqiang", "区志强", MatchKind.PINYIN, False),
    # typos: found, but a fuzzy match is offered, never assumed, when anything is close
    ("张伟民", "张伟明", MatchKind.FUZZY, False),
    ("zhang weimng", "张伟明", MatchKind.FUZZY, False),
    ("zhnag weiming", "张伟明", MatchKind.FUZZY, False),
    ("陈建", "陈建国", MatchKind.FUZZY, False),
    ("zwm", "张伟明", MatchKind.FUZZY, False),
    ("秀英", "李秀英", MatchKind.FUZZY, False),
    ("xiuying", "李秀英", MatchKind.FUZZY, False),
]


@pytest.mark.parametrize(("typed", "found", "kind", "confident"), CASES)
def test_fuzzy_search_cases(
    index: HouseholdIndex, typed: str, found: str, kind: MatchKind, confident: bool
) -> None:
    result = index.search(typed)
    assert result.matches, f"{typed!r} found nothing"
    top = result.matches[0]
    assert (top.head_name, top.kind) == (found, kind)
    assert result.confident is confident, result.matches


@pytest.mark.parametrize("typed", ["王伟明", "wang weiming", "李四", "xyz", "张", "", "H9999"])
def test_no_match_is_real(index: HouseholdIndex, typed: str) -> None:
    result = index.search(typed)
    assert result.matches == ()
    assert result.best is None


def test_homophones_in_one_scope_are_offered_not_guessed() -> None:
    idx = HouseholdIndex()
    for number, name in enumerate(["张伟明", "张为明"], start=1):
        idx.add(number, f"H{number:04d}", name, household_search_key(name))
    typed = idx.search("zhang weiming")
    assert {m.head_name for m in typed.matches} == {"张伟明", "张为明"}
    assert not typed.confident
    # The exact characters settle it.
    exact = idx.search("张为明")
    assert exact.confident and exact.best is not None and exact.best.head_name == "张为明"


def test_index_computes_a_missing_key() -> None:
    idx = HouseholdIndex()
    idx.add(1, "H0001", "曾国藩", "")
    found = idx.search("zeng guofan").matches
    assert found and found[0].household_id == 1


def test_index_scopes_partition_the_households() -> None:
    idx = HouseholdIndex()
    idx.add(1, "A1", "张伟明", household_search_key("张伟明"), scope=10)
    idx.add(2, "B1", "张伟明", household_search_key("张伟明"), scope=20)
    assert [m.household_id for m in idx.search("张伟明", scopes=[20]).matches] == [2]
    assert {m.household_id for m in idx.search("张伟明").matches} == {1, 2}


# --- the database search, in tiers -------------------------------------------------------


async def test_own_pairings_come_before_the_village(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await seed_roster(session, clock.now())
    world = await seed_visit_world(session, roster, clock.now())
    wang, li = world.cadres["王芳"].id, world.cadres["李强"].id
    village = roster.village.id
    assert wang is not None and li is not None and village is not None

    mine = await search(session, "zhang weiming", cadre_id=wang, village_id=village)
    assert [(m.head_name, m.tier) for m in mine.matches] == [
        ("张伟明", TIER_PAIRED),
        ("张为明", TIER_VILLAGE),
    ]
    # Pinyin is offered, not assumed: the own pairing first among the buttons.
    assert not mine.confident and mine.matches[0].paired
    named = await search(session, "张伟明", cadre_id=wang, village_id=village)
    assert named.confident and named.matches[0].paired

    # 李强 is paired with neither: the two homophones are offered.
    theirs = await search(session, "zhang weiming", cadre_id=li, village_id=village)
    assert {m.head_name for m in theirs.matches} == {"张伟明", "张为明"}
    assert not theirs.confident

    # An exact name in the village, while a same-sound pairing exists: ask.
    exact = await search(session, "张为明", cadre_id=wang, village_id=village)
    assert exact.matches[0].head_name == "张为明" and not exact.confident


async def test_other_villages_only_when_the_county_is_searched(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await seed_roster(session, clock.now())
    world = await seed_visit_world(session, roster, clock.now())
    wang = world.cadres["王芳"].id
    assert wang is not None and roster.village.id is not None
    village_only = await search(session, "单雄信", cadre_id=wang, village_id=roster.village.id)
    assert village_only.matches == ()
    county = await search(
        session, "单雄信", cadre_id=wang, village_id=roster.village.id, county_id=roster.county.id
    )
    assert [(m.head_name, m.tier) for m in county.matches] == [("单雄信", TIER_COUNTY)]


async def test_an_ended_pairing_is_no_longer_first(
    session: AsyncSession, clock: FixedClock
) -> None:
    roster = await seed_roster(session, clock.now())
    wang = roster.cadres["王芳"].id
    assert wang is not None and roster.village.id is not None
    pairing = (await session.exec(select(Pairing))).one()
    pairing.ended_at = clock.now() + timedelta(hours=1)
    session.add(pairing)
    await session.flush()
    result = await search(session, "张伟明", cadre_id=wang, village_id=roster.village.id)
    assert [(m.head_name, m.tier) for m in result.matches] == [("张伟明", TIER_VILLAGE)]


async def test_backfill_fills_only_empty_keys(session: AsyncSession, clock: FixedClock) -> None:
    roster = await seed_roster(session, clock.now())  # 张伟明 written without a key
    await seed_visit_world(session, roster, clock.now())
    assert await backfill_search_keys(session) == 1
    keys = {h.head_name: h.name_pinyin for h in (await session.exec(select(Household))).all()}
    assert keys["张伟明"] == "zhang wei ming"
    assert keys["单雄信"] == "shan xiong xin|dan xiong xin"
    assert await backfill_search_keys(session) == 0


async def test_roster_import_writes_the_key_and_rewrites_it_on_a_new_name(
    session: AsyncSession, clock: FixedClock, tmp_path: Path
) -> None:
    roster = sample_roster()
    result = await import_roster(
        session, write_workbook(tmp_path / "a.xlsx", roster), now=clock.now()
    )
    assert result.ok
    households = (await session.exec(select(Household))).all()
    assert households and all(h.name_pinyin for h in households)
    jk1 = next(h for h in households if h.code == "JK-001")
    assert (jk1.head_name, jk1.name_pinyin) == ("王大贵", "wang da gui")

    roster["农户"][0]["户主"] = "单大贵"
    for pairing in roster["结对"]:
        if pairing.get("户主") == "王大贵":
            pairing["户主"] = "单大贵"
    result = await import_roster(
        session, write_workbook(tmp_path / "b.xlsx", roster), now=clock.now()
    )
    assert result.ok, result.errors
    await session.refresh(jk1)
    assert jk1.name_pinyin == "shan da gui|dan da gui"
