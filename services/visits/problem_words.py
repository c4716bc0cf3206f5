"""Words that make a visit note *name a problem*, per item of 一收入两不愁三保障.

A note naming one is never recorded as "all normal" on the strength of an untouched
checklist: the cadre is asked which item it concerns (or says 都正常). Asking costs one tap
when the guess is wrong, so the vocabulary errs towards asking; a clause that says all is
well (正常, 没问题, 不愁 …) names nothing.

The vocabulary is data: extend it here, keyed by ``services.visits.records.CHECKS``.
"""

from __future__ import annotations

import re

from services.visits.one_line import FINE_PHRASES, clauses, problems_from_notes

# Chinese by substring, English by whole word (lower case).
PROBLEM_TOPICS: dict[str, tuple[str, ...]] = {
    "income": ("收入", "失业", "没工作", "没活干", "欠薪", "工资", "就业", "income", "job"),
    "food": ("吃", "粮", "挨饿", "饿", "food", "hungry"),
    "clothing": ("穿", "衣", "被褥", "棉被", "clothes", "clothing"),
    "schooling": ("义务教育", "辍学", "失学", "上学", "学费", "school"),
    "medical": (
        "医疗", "看病", "生病", "病", "轮椅", "残疾", "腿脚", "住院", "药", "医保",
        "medical", "sick", "ill", "hospital", "wheelchair",
    ),
    "housing": ("住房", "危房", "漏雨", "房屋", "房子", "墙", "裂缝", "housing", "roof"),
    "water": ("饮水", "吃水", "喝水", "自来水", "缺水", "停水", "没水", "水管", "水井", "water"),
}  # fmt: skip


def _names(clause: str, word: str) -> bool:
    if word.isascii():
        return re.search(rf"\b{re.escape(word)}\b", clause) is not None
    return word in clause


def named_problems(notes: str) -> tuple[str, ...]:
    """The checklist items the notes name as a possible problem, in checklist order."""
    found: set[str] = set(problems_from_notes(notes))
    for clause in clauses(notes):
        lowered = clause.lower()
        if any(_names(lowered, phrase) for phrase in FINE_PHRASES):
            continue
        found.update(k for k, ws in PROBLEM_TOPICS.items() if any(_names(lowered, w) for w in ws))
    return tuple(k for k in PROBLEM_TOPICS if k in found)
