"""Telegram's text formatting: HTML parsed into visible text and entities, and the UTF-16
length Telegram measures text and entity offsets in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TAG_RE = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z][a-zA-Z0-9_-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)"
    r"\s*(/?)>"
)
_ATTR_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8});")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
_ALLOWED_ATTRS: dict[str, frozenset[str]] = {
    "a": frozenset({"href"}),
    "span": frozenset({"class"}),
    "tg-emoji": frozenset({"emoji-id"}),
    "code": frozenset({"class"}),
    "pre": frozenset(),
    "blockquote": frozenset({"expandable"}),
}


def utf16_len(text: str) -> int:
    """Telegram measures text and entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class ParsedText:
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class _OpenTag:
    name: str
    offset: int
    attrs: dict[str, str]
    source_pos: int
    valid: bool = True


def _decode_entity(match: re.Match[str]) -> str | None:
    body = match.group(1)
    if body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body]
    code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _unescape_attr(value: str) -> str:
    if value[:1] in "\"'":
        value = value[1:-1]
    return _ENTITY_RE.sub(lambda m: _decode_entity(m) or m.group(0), value)


def parse_html(source: str) -> ParsedText:
    """Parse Telegram-flavoured HTML into visible text and entities, collecting every error.

    Stricter than Telegram in one respect: a bare ``&`` or ``>`` that Telegram would tolerate is
    reported, because text that relies on that tolerance is text that was not escaped.
    """
    out: list[str] = []
    out_len = 0  # UTF-16 length of the visible text so far
    entities: list[dict[str, Any]] = []
    errors: list[str] = []
    stack: list[_OpenTag] = []
    i = 0
    n = len(source)

    def emit(s: str) -> None:
        nonlocal out_len
        out.append(s)
        out_len += utf16_len(s)

    while i < n:
        ch = source[i]
        if ch == "&":
            m = _ENTITY_RE.match(source, i)
            decoded = _decode_entity(m) if m else None
            if m is None or decoded is None:
                errors.append(f"unescaped '&' at offset {i} (write &amp;)")
                emit("&")
                i += 1
            else:
                emit(decoded)
                i = m.end()
            continue
        if ch == ">":
            errors.append(f"unescaped '>' at offset {i} (write &gt;)")
            emit(">")
            i += 1
            continue
        if ch != "<":
            j = i
            while j < n and source[j] not in "<>&":
                j += 1
            emit(source[i:j])
            i = j
            continue
        m = _TAG_RE.match(source, i)
        if m is None:
            errors.append(f"unescaped '<' at offset {i} (write &lt;)")
            emit("<")
            i += 1
            continue
        closing, name, attr_src, self_closing = (
            m.group(1),
            m.group(2).lower(),
            m.group(3),
            m.group(4),
        )
        i = m.end()
        if closing:
            if attr_src.strip() or self_closing:
                errors.append(f"malformed end tag </{name}> at offset {m.start()}")
            if not stack:
                errors.append(f"end tag </{name}> at offset {m.start()} has no start tag")
                continue
            top = stack[-1]
            if top.name != name:
                errors.append(
                    f"misnested tags: </{name}> at offset {m.start()} closes <{top.name}> "
                    f"opened at offset {top.source_pos}"
                )
                # Recover only when the end tag matches something open, so one slip is
                # reported once instead of cascading.
                if any(t.name == name for t in stack):
                    while stack and stack[-1].name != name:
                        stack.pop()
                    stack.pop()
                continue
            stack.pop()
            _close_entity(top, out_len, stack, entities)
            continue
        if self_closing:
            errors.append(f"self-closing tag <{name}/> at offset {m.start()} is not supported")
            continue
        attrs: dict[str, str] = {}
        for am in _ATTR_RE.finditer(attr_src):
            attrs[am.group(1).lower()] = _unescape_attr(am.group(2)) if am.group(2) else ""
        problem = _check_start_tag(name, attrs, stack)
        if problem:
            errors.append(f"{problem} at offset {m.start()}")
        stack.append(_OpenTag(name, out_len, attrs, m.start(), valid=problem is None))
    for tag in stack:
        errors.append(f"tag <{tag.name}> opened at offset {tag.source_pos} is never closed")
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText("".join(out), entities, errors)


def _check_start_tag(name: str, attrs: dict[str, str], stack: list[_OpenTag]) -> str | None:
    if name not in _SIMPLE_TAGS and name not in _ALLOWED_ATTRS:
        return f"unsupported tag <{name}>"
    allowed = _ALLOWED_ATTRS.get(name, frozenset())
    extra = sorted(set(attrs) - allowed)
    if extra:
        return f"unsupported attribute {extra[0]!r} on <{name}>"
    parent = stack[-1].name if stack else None
    if parent == "code" or (parent == "pre" and name != "code"):
        return f"<{name}> inside <{parent}> (pre/code cannot contain other formatting)"
    if name == "blockquote" and any(t.name == "blockquote" for t in stack):
        return "nested <blockquote>"
    if name == "a" and not attrs.get("href"):
        return "<a> without href"
    if name == "span" and attrs.get("class") != "tg-spoiler":
        return '<span> must have class="tg-spoiler"'
    if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
        return "<tg-emoji> needs a numeric emoji-id"
    if name == "code" and "class" in attrs:
        if parent != "pre":
            return "<code class=...> is only allowed directly inside <pre>"
        if not attrs["class"].startswith("language-"):
            return '<code> class must look like "language-…"'
    return None


def _close_entity(
    tag: _OpenTag, end: int, stack: list[_OpenTag], entities: list[dict[str, Any]]
) -> None:
    length = end - tag.offset
    if length <= 0 or not tag.valid:
        return  # Telegram silently drops empty entities; invalid tags were reported already.
    entity: dict[str, Any] = {"offset": tag.offset, "length": length}
    if tag.name in _SIMPLE_TAGS:
        entity["type"] = _SIMPLE_TAGS[tag.name]
    elif tag.name == "span":
        entity["type"] = "spoiler"
    elif tag.name == "a":
        entity["type"] = "text_link"
        entity["url"] = tag.attrs["href"]
    elif tag.name == "tg-emoji":
        entity["type"] = "custom_emoji"
        entity["custom_emoji_id"] = tag.attrs.get("emoji-id", "")
    elif tag.name == "code":
        parent = stack[-1] if stack else None
        if parent is not None and parent.name == "pre":
            # <pre><code class="language-x"> is one pre entity carrying the language.
            lang = tag.attrs.get("class", "")
            if lang.startswith("language-"):
                parent.attrs["language"] = lang.removeprefix("language-")
            return
        entity["type"] = "code"
    elif tag.name == "pre":
        entity["type"] = "pre"
        if tag.attrs.get("language"):
            entity["language"] = tag.attrs["language"]
    elif tag.name == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in tag.attrs else "blockquote"
    entities.append(entity)
