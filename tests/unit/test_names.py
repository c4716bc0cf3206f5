"""Names as pinyin search keys: surnames read as surnames, every reading of the polyphonic ones."""

from __future__ import annotations

import pytest

from services.roster.names import (
    KEY_MAX_CHARS,
    household_search_key,
    key_readings,
    normalize_latin,
    query_readings,
    readings,
    split_surname,
)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("张伟明", "zhang wei ming"),
        ("单雄信", "shan xiong xin|dan xiong xin"),
        ("曾国藩", "zeng guo fan|ceng guo fan"),
        ("解缙", "xie jin|jie jin"),
        ("仇英", "qiu ying|chou ying"),
        ("区志强", "ou zhi qiang|qu zhi qiang"),
        ("朴正浩", "piao zheng hao|pu zheng hao"),
        ("查良镛", "zha liang yong|cha liang yong"),
        ("盖聂", "ge nie|gai nie"),
        ("乐嘉", "yue jia|le jia"),
        ("尉迟恭", "yu chi gong"),
        ("万俟卨", "mo qi xie"),
        ("欧阳娜娜", "ou yang na na"),
        ("吕小明", "lv xiao ming"),
    ],
)
def test_search_key_reads_surnames_as_surnames(name: str, key: str) -> None:
    assert household_search_key(name) == key


def test_readings_mark_the_surname_and_give_joined_forms_and_initials() -> None:
    first, second = readings("单雄信")
    assert (first.surname, first.given, first.joined, first.initials) == (
        "shan",
        "xiongxin",
        "shanxiongxin",
        "sxx",
    )
    assert second.surname == "dan"
    compound = readings("欧阳娜娜")[0]
    assert (compound.surname, compound.given) == ("ouyang", "nana")


def test_compound_surname_only_when_a_given_name_follows() -> None:
    assert split_surname("欧阳娜娜") == ("欧阳", "娜娜")
    assert split_surname("欧阳") == ("欧", "阳")
    assert split_surname("张伟明") == ("张", "伟明")


def test_stored_key_reads_back_into_the_same_readings() -> None:
    for name in ("单雄信", "欧阳娜娜", "张伟明"):
        assert key_readings(household_search_key(name), name) == readings(name)
    # An empty key (a household written before search existed) is computed afresh.
    assert key_readings("", "曾国藩") == readings("曾国藩")


def test_key_never_overflows_the_column() -> None:
    long_name = "单" + "乐" * 120
    key = household_search_key(long_name)
    assert 0 < len(key) <= KEY_MAX_CHARS
    assert household_search_key("") == ""


def test_minority_names_with_a_middle_dot() -> None:
    assert household_search_key("阿依古丽·买买提").split("|")[0] == "a yi gu li mai mai ti"


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("Zhāng Wěi-míng", "zhangweiming"),
        ("zhang1 wei3 ming2", "zhangweiming"),
        ("ZHANG  WEIMING", "zhangweiming"),
        ("Lǚ Xiǎomíng", "lvxiaoming"),
        ("lu:", "lv"),
        ("xi'an", "xian"),
    ],
)
def test_typed_pinyin_is_normalised(typed: str, normal: str) -> None:
    assert normalize_latin(typed) == normal


def test_query_readings() -> None:
    assert query_readings("张为明") == ("zhangweiming",)
    assert query_readings("单雄信") == ("shanxiongxin", "danxiongxin")
    assert query_readings("zhang wei ming") == ("zhangweiming",)
    assert query_readings("  ") == ()
