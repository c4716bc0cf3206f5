"""Translations: the gettext catalogs in this folder, chosen per person.

Message ids are English; ``zh`` is the default locale and what a person sees unless they
chose English or their Telegram client speaks it. Catalogs are compiled ``.mo`` files when
the install made them, else the ``.po`` sources compiled in memory with Babel, so a fresh
checkout works without a build step.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "messages"
DEFAULT_LANGUAGE = "zh"
LANGUAGES = ("zh", "en")


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here (translated where shown)."""
    return message


def normalize_language(code: str | None) -> str:
    """Our language for a Telegram ``language_code`` (``en-GB`` → ``en``; others → ``zh``)."""
    if code and code.lower().split("-")[0] == "en":
        return "en"
    return DEFAULT_LANGUAGE


def _stale(mo: Traversable, po: Traversable) -> bool:
    """A compiled catalog older than its source is not to be trusted (someone edited the
    .po and did not rebuild); the source is compiled in memory instead."""
    if isinstance(mo, Path) and isinstance(po, Path) and po.is_file():
        return po.stat().st_mtime > mo.stat().st_mtime
    return False


def _load(language: str) -> gettext.NullTranslations:
    folder = resources.files("locales") / language / "LC_MESSAGES"
    mo = folder / f"{DOMAIN}.mo"
    po = folder / f"{DOMAIN}.po"
    if mo.is_file() and not _stale(mo, po):
        return gettext.GNUTranslations(io.BytesIO(mo.read_bytes()))
    if not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@dataclass(frozen=True)
class Translator:
    """Callable ``t("Hello, {name}", name=...)`` in one language."""

    language: str
    _catalog: gettext.NullTranslations

    def __call__(self, message: str, /, **params: Any) -> str:
        text = self._catalog.gettext(message)
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, /) -> str:
        """The translation as it is, for callers that format it themselves (argparse)."""
        return self._catalog.ngettext(singular, plural, n)

    def plural(self, singular: str, plural: str, n: int, /, **params: Any) -> str:
        text = self._catalog.ngettext(singular, plural, n)
        return text.format(n=n, **params)


class Catalogs:
    """All languages, loaded once at start-up."""

    def __init__(self) -> None:
        self._translators = {lang: Translator(lang, _load(lang)) for lang in LANGUAGES}

    def get(self, language: str | None) -> Translator:
        return (
            self._translators.get(language or DEFAULT_LANGUAGE)
            or self._translators[DEFAULT_LANGUAGE]
        )

    def __iter__(self) -> Iterator[Translator]:
        return iter(self._translators.values())


@cache
def translator(language: str) -> Translator:
    """One language's translator, its catalog read once per process (the command line
    needs only the one it speaks)."""
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return Translator(lang, _load(lang))


@cache
def office_translator() -> Translator:
    """Chinese, for what an office files (sheets, registers, their file names) whoever asks;
    the catalogs are read once per process."""
    return Catalogs().get(DEFAULT_LANGUAGE)
