"""Reading a one-line visit: ``/visit <name or code> [入户|电话|线上] [notes]``.

Kept simple and documented, because a cadre should be able to predict it:

- The mode word (入户/走访/上门, 电话, 线上/网络/微信/视频, or in-person/phone/online) ends the
  name; a word that starts with a Chinese mode word (电话联系) sets the mode and stays in the
  notes. Without a mode word the visit is in person.
- Without a mode word the name is the first word, or the first two or three words when they
  are all letters (pinyin with spaces); the caller tries the longest first.
- The notes are split into clauses at punctuation. A clause naming a checklist item (收入,
  吃, 穿, 上学, 看病, 住房, 饮水 … or income, food, school, roof, water …) together with a
  problem word (问题, 困难, 没有, 缺, 漏, 低, 重病 … or problem, no, lack, leak …) makes that
  item a problem, with the clause as its note, once phrases saying all is well (没问题, 正常,
  不愁, no problem, fine …) are taken out. Everything else stays fine.
- A clause with 返贫风险, 致贫风险, 风险 or "risk" raises the risk flag, unless it says there is
  none (无返贫风险, 没有风险, no risk).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from models.enums import VisitMode

MODE_WORDS: dict[str, VisitMode] = {
    "入户": VisitMode.IN_PERSON,
    "走访": VisitMode.IN_PERSON,
    "上门": VisitMode.IN_PERSON,
    "in-person": VisitMode.IN_PERSON,
    "in_person": VisitMode.IN_PERSON,
    "inperson": VisitMode.IN_PERSON,
    "电话": VisitMode.PHONE,
    "phone": VisitMode.PHONE,
    "call": VisitMode.PHONE,
    "线上": VisitMode.ONLINE,
    "网络": VisitMode.ONLINE,
    "微信": VisitMode.ONLINE,
    "视频": VisitMode.ONLINE,
    "online": VisitMode.ONLINE,
    "wechat": VisitMode.ONLINE,
    "video": VisitMode.ONLINE,
}

# What a clause is about: each checklist item's words (Chinese by substring, English by word),
# in the order of ``services.visits.records.CHECKS``.
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "income": ("收入", "就业", "务工", "打工", "工作", "产业", "工资", "income", "job", "work"),
    "food": ("吃饭", "吃", "粮", "饭", "饿", "食", "food", "meal", "meals"),
    "clothing": ("穿", "衣", "被褥", "棉被", "被子", "clothing", "clothes"),
    "schooling": ("上学", "辍学", "读书", "学费", "教育", "学", "school", "schooling"),
    "medical": ("看病", "医", "病", "药", "住院", "medical", "health", "sick", "hospital"),
    "housing": ("住房", "房", "屋", "漏雨", "housing", "house", "roof"),
    "water": (
        "饮水",
        "喝水",
        "吃水",
        "自来水",
        "水源",
        "水井",
        "水管",
        "停水",
        "没水",
        "缺水",
        "water",
    ),
}
# Words saying something is wrong, and phrases saying it is not (removed first).
PROBLEM_WORDS: tuple[str, ...] = (
    "问题", "困难", "没有", "没", "缺", "不足", "不够", "无", "难", "差", "低", "漏", "坏",
    "危", "停", "辍", "断", "欠", "负担", "贵", "重病", "大病", "住院", "残疾", "失业",
    "problem", "problems", "issue", "issues", "trouble", "lack", "lacks", "no", "not",
    "without", "broken", "leak", "leaks", "short", "unpaid",
)  # fmt: skip
FINE_PHRASES: tuple[str, ...] = (
    "没有问题", "没问题", "无问题", "没有困难", "没困难", "无困难", "正常", "良好", "不愁",
    "有保障", "已解决", "稳定",
    "no problems", "no problem", "no issues", "no issue", "fine", "ok", "good",
)  # fmt: skip
RISK_WORDS: tuple[str, ...] = ("返贫风险", "致贫风险", "返贫", "风险", "risk")
NO_RISK_PHRASES: tuple[str, ...] = (
    "无返贫风险", "没有返贫风险", "无致贫风险", "没有风险", "没风险", "无风险", "no risk",
)  # fmt: skip

_CLAUSE = re.compile(r"[，,。.；;！!？?\n、]+")
_CHINESE_MODE_PREFIX = ("入户", "走访", "上门", "电话", "线上", "网络", "微信", "视频")
MAX_NAME_WORDS = 3


def _has(text: str, word: str) -> bool:
    if word.isascii():
        return re.search(rf"\b{re.escape(word)}\b", text) is not None
    return word in text


def _without(text: str, phrases: Iterable[str]) -> str:
    for phrase in phrases:
        if phrase.isascii():
            text = re.sub(rf"\b{re.escape(phrase)}\b", " ", text)
        else:
            text = text.replace(phrase, " ")
    return text


def clauses(notes: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.split(notes) if c.strip()]


def problems_from_notes(notes: str, note_limit: int = 200) -> dict[str, str]:
    """Checklist items the notes call a problem, each with its clause (see the module)."""
    out: dict[str, str] = {}
    for clause in clauses(notes):
        lowered = clause.lower()
        rest = _without(lowered, FINE_PHRASES)
        if not any(_has(rest, w) for w in PROBLEM_WORDS):
            continue
        for key in _topics(lowered):
            out.setdefault(key, clause[:note_limit])
    return out


def _topics(clause: str) -> list[str]:
    """Items a clause names. Words of two or more characters (吃水, 上学) decide first; a
    single character (吃, 学, 房) only counts when no longer word matched."""
    strong = [
        key
        for key in TOPIC_WORDS
        if any(_has(clause, w) for w in TOPIC_WORDS[key] if len(w) > 1 or w.isascii())
    ]
    if strong:
        return strong
    return [k for k in TOPIC_WORDS if any(_has(clause, w) for w in TOPIC_WORDS[k] if len(w) == 1)]


def risk_from_notes(notes: str) -> str | None:
    """The clauses flagging a risk of falling back into poverty (返贫风险, risk), or None.
    "无返贫风险" and "no risk" do not flag one."""
    found = []
    for clause in clauses(notes):
        rest = _without(clause.lower(), NO_RISK_PHRASES)
        if any(_has(rest, w) for w in RISK_WORDS):
            found.append(clause)
    return "，".join(found) if found else None


@dataclass(frozen=True)
class OneLine:
    """``/visit <name or code> [入户|电话|线上] [notes]`` taken apart.

    ``names`` are the ways to read the name, best first, each with the notes that follow it:
    when a mode word is given, everything before it is the name; otherwise the name is the
    first word, or the first two or three words when they are all letters (pinyin with
    spaces). The mode is in person unless a mode word says otherwise; a word starting with a
    Chinese mode word (电话联系) sets the mode and stays in the notes.
    """

    names: tuple[tuple[str, str], ...]
    mode: VisitMode
    mode_given: bool


def parse_one_line(text: str) -> OneLine:
    words = text.split()
    for i, word in enumerate(words[: MAX_NAME_WORDS + 1]):
        if i == 0:
            continue
        mode = MODE_WORDS.get(word.lower())
        if mode is not None:
            return OneLine(((" ".join(words[:i]), " ".join(words[i + 1 :])),), mode, True)
        prefix = next((p for p in _CHINESE_MODE_PREFIX if word.startswith(p)), None)
        if prefix is not None:
            return OneLine(((" ".join(words[:i]), " ".join(words[i:])),), MODE_WORDS[prefix], True)
    names: list[tuple[str, str]] = []
    for n in range(1, min(MAX_NAME_WORDS, len(words)) + 1):
        if n > 1 and not all(w.isascii() and w.isalpha() for w in words[:n]):
            break
        names.append((" ".join(words[:n]), " ".join(words[n:])))
    names.reverse()  # the longest reading first
    return OneLine(tuple(names), VisitMode.IN_PERSON, False)
