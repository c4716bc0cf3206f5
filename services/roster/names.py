"""Chinese personal names as pinyin search keys.

A household head's name becomes every way a cadre might type it: toneless syllables
("zhang wei ming"), joined ("zhangweiming") and initials ("zwm"). Surnames are read as
surnames: pypinyin reads characters by their most common reading, which for 单, 曾, 解,
仇, 区, 朴 … is not the surname's; the table below gives each polyphonic surname every
reading people use (the surname reading first), and compound surnames (尉迟 yù chí,
万俟 mò qí) their fixed readings.

The stored key (``Household.name_pinyin``) is the readings separated by ``|``:
``"shan xiong xin|dan xiong xin"``; joined forms and initials are derived when searching.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

KEY_MAX_CHARS = 255  # Household.name_pinyin
READING_SEPARATOR = "|"

# Single-character surnames whose surname reading differs from the everyday one, or that
# are read two ways as surnames. The first reading is the usual surname reading.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan", "dan"),
    "曾": ("zeng", "ceng"),
    "解": ("xie", "jie"),
    "仇": ("qiu", "chou"),
    "区": ("ou", "qu"),
    "朴": ("piao", "pu"),
    "查": ("zha", "cha"),
    "盖": ("ge", "gai"),
    "乐": ("yue", "le"),
    "尉": ("wei", "yu"),
    "覃": ("qin", "tan"),
    "召": ("shao", "zhao"),
    "翟": ("zhai", "di"),
    "缪": ("miao", "mou"),
    "种": ("chong", "zhong"),
    "繁": ("po", "fan"),
    "秘": ("bi", "mi"),
    "员": ("yun", "yuan"),
    "重": ("chong", "zhong"),
    "柏": ("bai", "bo"),
    "句": ("gou", "ju"),
    "牟": ("mou", "mu"),
    "宿": ("su", "xiu"),
    "费": ("fei", "bi"),
    "车": ("che", "ju"),
    "那": ("na", "nuo"),
    "能": ("nai", "neng"),
    "折": ("she", "zhe"),
    "隗": ("wei", "kui"),
    "长": ("chang", "zhang"),
    "黑": ("he", "hei"),
    "褚": ("chu", "zhu"),
    "莘": ("shen", "xin"),
    "洗": ("xian", "xi"),
    "冼": ("xian",),
    "蕃": ("pi", "fan"),
    "贲": ("ben", "bi"),
    "啜": ("chuai", "chuo"),
    "寻": ("xun", "xin"),
    "都": ("du", "dou"),
    "阿": ("a", "e"),
    "谌": ("chen", "shen"),
    "郇": ("huan", "xun"),
    "祭": ("zhai", "ji"),
    "粘": ("nian", "zhan"),
    "朝": ("chao", "zhao"),
    "行": ("xing", "hang"),
    "薄": ("bo",),
    "沈": ("shen",),
    "石": ("shi",),
    "任": ("ren",),
    "纪": ("ji",),
    "殷": ("yin",),
    "过": ("guo",),
    "相": ("xiang",),
    "应": ("ying",),
    "曲": ("qu",),
    "厍": ("she",),
    "逄": ("pang",),
    "訾": ("zi",),
    "眭": ("sui",),
    "阚": ("kan",),
    "臧": ("zang",),
}

# Compound surnames (复姓). None: pypinyin reads it right; otherwise the fixed readings.
COMPOUND_SURNAMES: dict[str, tuple[tuple[str, ...], ...] | None] = {
    "尉迟": (("yu", "chi"),),
    "万俟": (("mo", "qi"),),
    "长孙": (("zhang", "sun"),),
    "单于": (("chan", "yu"),),
    "澹台": (("tan", "tai"),),
    "乐正": (("yue", "zheng"),),
    "子车": (("zi", "ju"),),
    "亓官": (("qi", "guan"),),
    "欧阳": None,
    "司马": None,
    "上官": None,
    "诸葛": None,
    "令狐": None,
    "皇甫": None,
    "东方": None,
    "慕容": None,
    "夏侯": None,
    "公孙": None,
    "宇文": None,
    "端木": None,
    "司徒": None,
    "司空": None,
    "南宫": None,
    "独孤": None,
    "申屠": None,
    "轩辕": None,
    "西门": None,
    "呼延": None,
    "百里": None,
    "赫连": None,
    "闻人": None,
    "钟离": None,
    "太史": None,
    "公冶": None,
    "宗政": None,
    "濮阳": None,
    "淳于": None,
    "仲孙": None,
    "拓跋": None,
    "完颜": None,
    "东郭": None,
    "南门": None,
    "羊舌": None,
    "左丘": None,
    "第五": None,
}

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NOT_LETTER = re.compile(r"[^a-z]")


@dataclass(frozen=True)
class Reading:
    """One way to read a name: its syllables, the first ``surname_len`` being the surname."""

    syllables: tuple[str, ...]
    surname_len: int

    @property
    def spaced(self) -> str:
        return " ".join(self.syllables)

    @property
    def joined(self) -> str:
        return "".join(self.syllables)

    @property
    def initials(self) -> str:
        return "".join(s[0] for s in self.syllables if s)

    @property
    def surname(self) -> str:
        return "".join(self.syllables[: self.surname_len])

    @property
    def given(self) -> str:
        return "".join(self.syllables[self.surname_len :])


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


def han_only(text: str) -> str:
    return "".join(_HAN.findall(text))


def split_surname(name: str) -> tuple[str, str]:
    """(surname, given name): a known compound surname when the name is long enough."""
    name = name.strip()
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


def _syllables(text: str) -> list[str]:
    """Toneless syllables of the Han characters and letter runs in ``text``."""
    out: list[str] = []
    for part in lazy_pinyin(text, style=Style.NORMAL, errors=lambda chunk: chunk):
        cleaned = normalize_latin(part)
        if cleaned:
            out.append(cleaned)
    return out


def _surname_readings(surname: str) -> list[tuple[str, ...]]:
    if len(surname) == 2:
        fixed = COMPOUND_SURNAMES.get(surname)
        if fixed:
            return list(fixed)
        return [tuple(_syllables(surname))]
    if surname in SURNAME_READINGS:
        return [(r,) for r in SURNAME_READINGS[surname]]
    syllables = tuple(_syllables(surname))
    return [syllables] if syllables else [()]


@lru_cache(maxsize=65536)
def readings(name: str) -> tuple[Reading, ...]:
    """Every reading of a name, the usual one first: surname readings times the given name."""
    name = name.strip()
    if not name:
        return ()
    surname, given = split_surname(name)
    given_syllables = tuple(_syllables(given))
    out: list[Reading] = []
    for surname_syllables in _surname_readings(surname):
        reading = Reading(surname_syllables + given_syllables, len(surname_syllables))
        if reading.syllables and reading not in out:
            out.append(reading)
    return tuple(out)


def household_search_key(head_name: str) -> str:
    """What ``Household.name_pinyin`` holds: the readings, spaced, ``|``-separated.

    Readings that would overflow the column are dropped (the usual one always stays).
    """
    spaced = [r.spaced for r in readings(head_name)]
    key = ""
    for part in spaced:
        candidate = part if not key else key + READING_SEPARATOR + part
        if len(candidate) > KEY_MAX_CHARS:
            break
        key = candidate
    return key or (spaced[0][:KEY_MAX_CHARS] if spaced else "")


def key_readings(key: str, head_name: str) -> tuple[Reading, ...]:
    """The readings held in a stored key (computed afresh when the key is empty)."""
    if not key:
        return readings(head_name)
    surname, _ = split_surname(head_name)
    surname_count = len(surname) if surname else 1
    out: list[Reading] = []
    for part in key.split(READING_SEPARATOR):
        syllables = tuple(part.split())
        if syllables:
            out.append(Reading(syllables, min(surname_count, len(syllables))))
    return tuple(out)


def normalize_latin(text: str) -> str:
    """Lowercase letters only: tone marks, tone numbers, spaces and apostrophes go; ü is v."""
    decomposed = unicodedata.normalize("NFD", text.lower()).replace("u\u0308", "v")
    decomposed = decomposed.replace("u:", "v")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_LETTER.sub("", stripped)


def query_readings(text: str) -> tuple[str, ...]:
    """A typed query as joined pinyin, every reading of a leading surname included.

    "张为明" → ("zhangweiming",); "Zhāng Wěi-míng" and "zhang1 wei3 ming2" → the same;
    "单雄信" → ("shanxiongxin", "danxiongxin").
    """
    text = text.strip()
    if not text:
        return ()
    if has_han(text[:1]) and has_han(text):
        forms = [r.joined for r in readings(text)]
    else:
        forms = ["".join(_syllables(text))]
    return tuple(dict.fromkeys(f for f in forms if f))
