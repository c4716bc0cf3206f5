"""Messengers' length limits, kept once at the edge: a reply that quotes the person (a
village name of 5,000 characters after /spotcheck) must still go out, shortened with "…".

The core's rich text is a small HTML subset (``<b>``, ``<i>``, ``<code>``, ``<a href>``,
escaped user text). Shortening walks it as tags and visible characters, so the cut never
falls inside a tag or an entity, and the tags still open at the cut are closed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

ELLIPSIS = "…"
# Telegram's limits, in UTF-16 code units of the text after entity parsing.
TELEGRAM_TEXT = 4096
TELEGRAM_CAPTION = 1024
TELEGRAM_TOAST = 200  # answerCallbackQuery's text

_TOKEN = re.compile(r"<[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|\w+);|.", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z0-9-]+)")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def visible_length(text: str, measure: Callable[[str], int] = utf16_length) -> int:
    """The length a messenger counts for HTML text: tags gone, entities decoded."""
    return measure(html.unescape(re.sub(r"<[^>]*>", "", text)))


def shorten_html(text: str, limit: int, measure: Callable[[str], int] = utf16_length) -> str:
    """``text`` unchanged when its visible length is within ``limit``; else cut to fit with
    "…" at the end, every tag open at the cut closed again."""
    if visible_length(text, measure) <= limit:
        return text
    budget = limit - measure(ELLIPSIS)
    out: list[str] = []
    open_tags: list[str] = []
    used = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token.startswith("<") and token.endswith(">") and len(token) > 1:
            name = _TAG_NAME.match(token)
            if name is None:
                continue
            if token.startswith("</"):
                if open_tags and open_tags[-1] == name[1].lower():
                    open_tags.pop()
                    out.append(token)
            elif not token.endswith("/>"):
                open_tags.append(name[1].lower())
                out.append(token)
            continue
        size = measure(html.unescape(token))
        if used + size > budget:
            break
        used += size
        out.append(token)
    # Tags opened with nothing inside them yet are dropped rather than left empty.
    while open_tags and out and out[-1].startswith("<") and not out[-1].startswith("</"):
        out.pop()
        open_tags.pop()
    out.append(ELLIPSIS)
    out.extend(f"</{name}>" for name in reversed(open_tags))
    return "".join(out)


def shorten_plain(text: str, limit: int) -> str:
    """Plain text (no markup) within ``limit`` characters, "…" at the end when cut."""
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)] + ELLIPSIS
