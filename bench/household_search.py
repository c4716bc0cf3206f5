"""Household name search at scale: 1,000,000 synthetic households in 50 counties.

Pinyin keys are computed once per household (as ``Household.name_pinyin`` is when the roster
is imported), then loaded into ``services.visits.household_search.HouseholdIndex``. The benchmark
reports the median (and 90th percentile) milliseconds per query, scoped to one county and
unscoped, over a mix of queries: exact names, same-sound characters, pinyin with and without
spaces and tones, typos, two-reading surnames, codes, and names nobody has.

Run: ``.venv/bin/python bench/household_search.py [--households N] [--seed S]``.
Not a test: timings depend on the machine; only the ratio travels.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from services.roster.names import household_search_key
from services.visits.household_search import HouseholdIndex

# Common surnames, roughly by frequency, with the polyphonic and compound ones included.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤单解仇区朴查盖乐"
)
COMPOUND = ("欧阳", "司马", "诸葛", "上官", "尉迟")
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国文辉力斌宇浩凯健俊"
    "帆帅旭宁龙林欣佳梅琴云莲真环雪荣爱妹香月莺媛瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊"
    "莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜"
    "纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽福生德发"
    "春水根来金山树田志永保贵财富祥"
)
# Same-sound swaps a cadre's input method might produce.
HOMOPHONES = {"伟": "为", "明": "名", "芳": "方", "华": "化", "军": "君", "平": "萍", "红": "宏"}


def make_name(rng: random.Random) -> str:
    surname = rng.choice(COMPOUND) if rng.random() < 0.01 else rng.choice(SURNAMES)
    length = 1 if rng.random() < 0.3 else 2
    return surname + "".join(rng.choice(GIVEN) for _ in range(length))


Row = tuple[str, str, int]  # name, code, county


def build(count: int, counties: int, seed: int) -> tuple[HouseholdIndex, list[Row]]:
    rng = random.Random(seed)
    names = [make_name(rng) for _ in range(count)]
    started = time.perf_counter()
    keys: dict[str, str] = {}
    for name in names:
        if name not in keys:
            keys[name] = household_search_key(name)
    pinyin_seconds = time.perf_counter() - started
    started = time.perf_counter()
    index = HouseholdIndex()
    rows = []
    for number, name in enumerate(names, start=1):
        county = number % counties
        code = f"H{number:07d}"
        index.add(number, code, name, keys[name], scope=county)
        rows.append((name, code, county))
    index_seconds = time.perf_counter() - started
    print(
        f"{count:,} households in {counties} counties: pinyin keys for {len(keys):,} distinct "
        f"names in {pinyin_seconds:.1f} s, index built in {index_seconds:.1f} s"
    )
    return index, rows


def queries(rows: list[Row], count: int, seed: int) -> list[tuple[str, int]]:
    """(typed text, county) pairs covering the ways a cadre types a name."""
    rng = random.Random(seed + 1)
    out: list[tuple[str, int]] = []
    kinds = ("exact", "homophone", "pinyin", "joined", "tones", "typo", "code", "absent")
    for i in range(count):
        name, code, county = rng.choice(rows)
        kind = kinds[i % len(kinds)]
        key = household_search_key(name).split("|")[0]
        if kind == "exact":
            text = name
        elif kind == "homophone":
            text = "".join(HOMOPHONES.get(c, c) for c in name)
        elif kind == "pinyin":
            text = key
        elif kind == "joined":
            text = key.replace(" ", "")
        elif kind == "tones":
            text = " ".join(s + str(rng.randint(1, 4)) for s in key.split())
        elif kind == "typo":
            joined = key.replace(" ", "")
            cut = rng.randrange(1, len(joined))
            text = joined[:cut] + joined[cut + 1 :]  # one letter dropped
        elif kind == "code":
            text = code
        else:
            text = "欧阳" + "".join(rng.choice("鑫淼犇骉") for _ in range(3))
        out.append((text, county))
    return out


def time_queries(
    index: HouseholdIndex, items: list[tuple[str, int]], scoped: bool
) -> tuple[list[float], int, int]:
    timings: list[float] = []
    found = sure = 0
    for text, county in items:
        started = time.perf_counter()
        result = index.search(text, scopes=[county] if scoped else None, limit=8)
        timings.append((time.perf_counter() - started) * 1000)
        found += bool(result.matches)
        sure += result.best is not None
    return timings, found, sure


def report(label: str, timings: list[float], found: int, sure: int) -> float:
    median = statistics.median(timings)
    p90 = statistics.quantiles(timings, n=10)[-1] if len(timings) >= 10 else max(timings)
    print(
        f"{label:>10}: median {median:8.2f} ms, p90 {p90:8.2f} ms over {len(timings)} queries "
        f"({found} with candidates, {sure} settled on one household without asking)"
    )
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--counties", type=int, default=50)
    parser.add_argument("--queries", type=int, default=400, help="scoped queries")
    parser.add_argument("--unscoped-queries", type=int, default=80)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    index, rows = build(args.households, args.counties, args.seed)
    scoped_items = queries(rows, args.queries, args.seed)
    scoped_median = report("one county", *time_queries(index, scoped_items, scoped=True))
    unscoped_items = queries(rows, args.unscoped_queries, args.seed + 7)
    unscoped_median = report("unscoped", *time_queries(index, unscoped_items, scoped=False))
    print(f"unscoped / one county: {unscoped_median / scoped_median:.0f}x")


if __name__ == "__main__":
    main()
