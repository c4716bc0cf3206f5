"""Dates and numbers the way each language writes them (2026年12月1日 / 1 Dec 2026)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from locales import Translator

_LOCALES = {"zh": "zh_CN", "en": "en_GB"}
_LONG = {"zh": "y年M月d日", "en": "d MMM y"}
_SHORT = {"zh": "M月d日", "en": "d MMM"}
_STAMP = {"zh": "M月d日 HH:mm", "en": "d MMM HH:mm"}


def _locale(t: Translator) -> str:
    return _LOCALES.get(t.language, "zh_CN")


def long_date(t: Translator, day: date | str) -> str:
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return format_date(day, _LONG.get(t.language, _LONG["zh"]), locale=_locale(t))


def short_date(t: Translator, day: date | str) -> str:
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return format_date(day, _SHORT.get(t.language, _SHORT["zh"]), locale=_locale(t))


def date_range(t: Translator, start: date | str, end: date | str) -> str:
    """12月1日–12月3日; one date when they are the same day."""
    first, last = short_date(t, start), short_date(t, end)
    return first if first == last else f"{first}–{last}"


def stamp(t: Translator, moment: datetime, zone: ZoneInfo) -> str:
    return format_datetime(
        moment.astimezone(zone), _STAMP.get(t.language, _STAMP["zh"]), locale=_locale(t)
    )


def money(t: Translator, amount: float | int | str) -> str:
    """¥1,200 in both languages: the yuan sign reads the same to every reader here."""
    return "¥" + format_decimal(amount, "#,##0.##", locale=_locale(t))
