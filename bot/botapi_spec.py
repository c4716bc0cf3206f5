"""The machine-readable Bot API spec: trimming, loading and checking calls against it.

The full machine-readable spec (``api.json``) is large and lives outside the repository, so a
trimmed copy is vendored as ``bot/botapi_spec.json``.  Regenerate it with::

    python -m bot.botapi_spec /path/to/api.json

Trimming keeps what a checker needs: field names, types, required flags, method results and
subtypes.  The few rules that the spec only states in prose (length limits, which fields are
parsed for entities, discriminator values such as ``"type": "chat"``, "exactly one of these
fields") are extracted into small structured keys, so the checker never reads descriptions.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VENDORED_SPEC = Path(__file__).with_name("botapi_spec.json")

PRIMITIVES = frozenset({"Integer", "Float", "Boolean", "String", "True"})
PARSE_MODES = frozenset({"html", "markdown", "markdownv2"})
ARRAY_PREFIX = "Array of "

_LENGTH_RE = re.compile(r"(\d+)-(\d+) (characters|bytes)")
_PARSED_RE = re.compile(r"after entit(?:y|ies) parsing")
_CONST_RE = re.compile(r"(?:must be|always) [\"“]?([a-z0-9_]+)[\"”]?\s*$")
_DISCRIMINATORS = ("type", "status", "source")
_ONE_OF_EXCEPT_RE = re.compile(
    r"(Exactly|At most) one of the fields other than (.+?) must be used", re.IGNORECASE
)
_ONE_OF_LISTED_RE = re.compile(
    r"(Exactly|At most) one of the fields (\w+(?:, \w+)*,? (?:or|and) \w+) must be used",
    re.IGNORECASE,
)
_ONE_OF_OPTIONAL_RE = re.compile(r"(exactly|at most) one of the optional fields", re.IGNORECASE)


# --------------------------------------------------------------------------- trimming


def _names(listing: str) -> list[str]:
    return [n for n in re.findall(r"\w+", listing) if n not in ("and", "or")]


def _trim_field(raw: Mapping[str, Any], siblings: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": raw["name"],
        "types": list(raw["types"]),
        "required": bool(raw["required"]),
    }
    # Already-trimmed input carries the derived keys instead of a description.
    for key in ("length", "parse_mode_field", "const"):
        if key in raw:
            out[key] = raw[key]
    desc = raw.get("description")
    if not isinstance(desc, str):
        return out
    name = raw["name"]
    if m := _LENGTH_RE.search(desc):
        out["length"] = [int(m.group(1)), int(m.group(2)), m.group(3)]
    # A field is entity-parsed when the spec says so or when it has its own parse-mode sibling
    # (e.g. ``quote`` / ``quote_parse_mode``); the prose is not consistent on its own.
    if f"{name}_parse_mode" in siblings:
        out["parse_mode_field"] = f"{name}_parse_mode"
    elif "parse_mode" in siblings and (
        _PARSED_RE.search(desc) or name in ("text", "caption", "message_text")
    ):
        out["parse_mode_field"] = "parse_mode"
    if name in _DISCRIMINATORS and (m := _CONST_RE.search(desc)):
        out["const"] = m.group(1)
    return out


def _one_of(description: Iterable[str], fields: list[dict[str, Any]]) -> dict[str, Any] | None:
    names = [f["name"] for f in fields]
    for sentence in description:
        if m := _ONE_OF_EXCEPT_RE.search(sentence):
            excluded = set(_names(m.group(2)))
            group = [n for n in names if n not in excluded]
        elif m := _ONE_OF_LISTED_RE.search(sentence):
            group = [n for n in _names(m.group(2)) if n in names]
        elif m := _ONE_OF_OPTIONAL_RE.search(sentence):
            group = [f["name"] for f in fields if not f["required"]]
        else:
            continue
        mode = "exactly" if m.group(1).lower() == "exactly" else "at_most"
        return {"mode": mode, "fields": group}
    return None


def _trim_fields(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw_fields = raw.get("fields", [])
    siblings = {f["name"] for f in raw_fields}
    return [_trim_field(f, siblings) for f in raw_fields]


def trim_spec(full: Mapping[str, Any]) -> dict[str, Any]:
    """Reduce a full ``api.json`` (or an already trimmed spec, idempotently) to what checks need."""
    methods: dict[str, Any] = {}
    for name, raw in full["methods"].items():
        methods[name] = {"returns": list(raw.get("returns", [])), "fields": _trim_fields(raw)}
    types: dict[str, Any] = {}
    for name, raw in full["types"].items():
        entry: dict[str, Any] = {}
        if "fields" in raw:
            entry["fields"] = _trim_fields(raw)
        if "subtypes" in raw:
            entry["subtypes"] = list(raw["subtypes"])
        one_of = raw.get("one_of")
        if one_of is None and "description" in raw:
            one_of = _one_of(raw["description"], entry.get("fields", []))
        if one_of is not None:
            entry["one_of"] = one_of
        types[name] = entry
    return {
        "version": full.get("version", ""),
        "release_date": full.get("release_date", ""),
        "methods": methods,
        "types": types,
    }


def dump_spec(spec: Mapping[str, Any]) -> str:
    """Serialise a trimmed spec: one method or type per line keeps diffs reviewable."""
    lines = ["{"]
    lines.append(f'"version": {json.dumps(spec["version"])},')
    lines.append(f'"release_date": {json.dumps(spec["release_date"])},')
    for section, last in (("methods", False), ("types", True)):
        lines.append(f'"{section}": {{')
        items = list(spec[section].items())
        for i, (name, entry) in enumerate(items):
            body = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
            lines.append(f"{json.dumps(name)}: {body}{',' if i < len(items) - 1 else ''}")
        lines.append("}" if last else "},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def load_spec(path: Path | None = None) -> dict[str, Any]:
    """A trimmed spec: from the given full (or trimmed) ``api.json``, else the vendored copy."""
    with open(path or VENDORED_SPEC, encoding="utf-8") as fh:
        data = json.load(fh)
    return trim_spec(data) if path is not None else data


# --------------------------------------------------------------------------- Telegram HTML

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


# --------------------------------------------------------------------------- checking


def _entity_bounds(name: str, entities: list[Any], obj: Mapping[str, Any], path: str) -> list[str]:
    base = name.removesuffix("entities").removesuffix("_")
    text = obj.get(base) if base else obj.get("text", obj.get("message_text"))
    if not isinstance(text, str):
        return []
    size = utf16_len(text)
    errors = []
    for i, ent in enumerate(entities):
        if not isinstance(ent, dict):
            continue
        offset, length = ent.get("offset"), ent.get("length")
        if isinstance(offset, int) and isinstance(length, int):
            if offset < 0 or length <= 0 or offset + length > size:
                errors.append(
                    f"{path}[{i}]: entity {offset}+{length} outside the text ({size} UTF-16 units)"
                )
    return errors


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class _Ctx:
    files: set[str]
    attached: set[str] = field(default_factory=set)


class SpecChecker:
    """Checks Bot API calls (as a client sends them) against a trimmed spec.

    Top-level parameters may arrive form-encoded (every scalar a string, objects and arrays as
    JSON text, as aiogram sends them) or as native JSON values; nested values must be native.
    """

    def __init__(self, spec: Mapping[str, Any] | None = None) -> None:
        self.spec: Mapping[str, Any] = spec if spec is not None else load_spec()
        self.methods: Mapping[str, Any] = self.spec["methods"]
        self.types: Mapping[str, Any] = self.spec["types"]
        self._by_lower = {name.lower(): name for name in self.methods}

    @classmethod
    def load(cls, path: Path | None = None) -> SpecChecker:
        return cls(load_spec(path))

    @property
    def version(self) -> str:
        return str(self.spec.get("version", ""))

    def resolve_method(self, method: str) -> str | None:
        """The spec's spelling of a method name (Telegram matches names case-insensitively)."""
        return self._by_lower.get(method.lower())

    def check(self, method: str, params: Mapping[str, Any], files: set[str]) -> list[str]:
        """Every violation in one call, each a one-line ``"method: path: problem"`` message."""
        return self.validate(method, params, files)[0]

    def decode(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Parameters converted to native values (JSON text parsed, "true" → True, "5" → 5)."""
        return self.validate(method, params, set())[1]

    def validate(
        self, method: str, params: Mapping[str, Any], files: set[str]
    ) -> tuple[list[str], dict[str, Any]]:
        name = self.resolve_method(method)
        if name is None:
            return [f"{method}: unknown method"], dict(params)
        ctx = _Ctx(files=set(files))
        fields = {f["name"]: f for f in self.methods[name]["fields"]}
        errors: list[str] = []
        for key in params:
            if key in files:
                errors.append(f"{key}: sent both as a value and as an uploaded file")
        for key in files:
            spec_field = fields.get(key)
            if spec_field is None:
                continue  # An attach:// target; checked below once all references are known.
            if "InputFile" not in spec_field["types"]:
                errors.append(f"{key}: does not accept a file upload")
        obj_errors, decoded = self._check_fields(
            fields, params, "", ctx, form=True, present_extra=set(files) & set(fields)
        )
        errors.extend(obj_errors)
        for part in sorted(ctx.files - set(fields) - ctx.attached):
            errors.append(f"{part}: uploaded file is not a parameter nor used by any attach://")
        return [f"{name}: {e}" for e in errors], decoded

    def check_value(self, types: list[str], value: Any, path: str = "value") -> list[str]:
        """Check one native value (e.g. a method's result) against a list of type expressions."""
        return self._check_union(types, value, path, _Ctx(files=set()), form=False)[0]

    # -- internals ---------------------------------------------------------------------------

    def _check_fields(
        self,
        fields: Mapping[str, Mapping[str, Any]],
        obj: Mapping[str, Any],
        path: str,
        ctx: _Ctx,
        *,
        form: bool,
        present_extra: set[str] | None = None,
        one_of: Mapping[str, Any] | None = None,
    ) -> tuple[list[str], dict[str, Any]]:
        errors: list[str] = []
        decoded: dict[str, Any] = {}
        prefix = f"{path}." if path else ""
        present = {k for k, v in obj.items() if v is not None} | (present_extra or set())
        for key, value in obj.items():
            spec_field = fields.get(key)
            if spec_field is None:
                errors.append(f"{prefix}{key}: unknown {'parameter' if form else 'field'}")
                decoded[key] = value
                continue
            if value is None:
                continue
            errs, decoded[key] = self._check_union(
                spec_field["types"], value, f"{prefix}{key}", ctx, form=form
            )
            errors.extend(errs)
            if not errs:
                errors.extend(self._check_rules(spec_field, decoded[key], obj, f"{prefix}{key}"))
        for key, spec_field in fields.items():
            if spec_field["required"] and key not in present:
                errors.append(f"{prefix}{key}: required but missing")
        if one_of is not None:
            used = [n for n in one_of["fields"] if n in present]
            if len(used) > 1 or (one_of["mode"] == "exactly" and not used):
                what = "exactly" if one_of["mode"] == "exactly" else "at most"
                errors.append(
                    f"{path or 'object'}: {what} one of {', '.join(one_of['fields'])} "
                    f"must be set, got {', '.join(used) or 'none'}"
                )
        return errors, decoded

    def _check_rules(
        self, spec_field: Mapping[str, Any], value: Any, obj: Mapping[str, Any], path: str
    ) -> list[str]:
        errors: list[str] = []
        name = spec_field["name"]
        if name == "parse_mode" or name.endswith("_parse_mode"):
            if isinstance(value, str) and value and value.lower() not in PARSE_MODES:
                errors.append(f"{path}: unsupported parse mode {value!r}")
        if "const" in spec_field and value != spec_field["const"]:
            errors.append(f"{path}: must be {spec_field['const']!r}, got {_short(value)}")
        if name.endswith("entities") and isinstance(value, list):
            errors.extend(_entity_bounds(name, value, obj, path))
        if not isinstance(value, str):
            return errors
        text = value
        mode_field = spec_field.get("parse_mode_field")
        if mode_field:
            mode = obj.get(mode_field)
            if isinstance(mode, str) and mode.lower() == "html":
                parsed = parse_html(value)
                errors.extend(f"{path}: HTML: {e}" for e in parsed.errors)
                text = parsed.text
        length = spec_field.get("length")
        if length:
            low, high, unit = length
            size = len(text.encode("utf-8")) if unit == "bytes" else utf16_len(text)
            blank = low > 0 and mode_field is not None and not text.strip()
            if size > high or size < low or blank:
                shown = "empty after entity parsing" if blank or size == 0 else f"{size} {unit}"
                errors.append(f"{path}: must be {low}-{high} {unit}, got {shown}")
        return errors

    def _check_union(
        self, types: list[str], value: Any, path: str, ctx: _Ctx, *, form: bool
    ) -> tuple[list[str], Any]:
        if isinstance(value, str) and value.startswith("attach://") and "InputFile" in types:
            types = ["InputFile"]  # else the String alternative would accept a dangling reference
        if len(types) == 1:
            return self._check_type(types[0], value, path, ctx, form=form)
        attempts: list[tuple[str, list[str], Any]] = []
        for t in types:
            trial = _Ctx(files=ctx.files)
            errs, decoded = self._check_type(t, value, path, trial, form=form)
            if not errs:
                ctx.attached |= trial.attached
                return [], decoded
            attempts.append((t, errs, decoded))
        return self._closest(types, attempts, value, path)

    def _closest(
        self,
        names: list[str],
        attempts: list[tuple[str, list[str], Any]],
        value: Any,
        path: str,
    ) -> tuple[list[str], Any]:
        """Explain a value that fits none of several types by the alternative it came closest to."""
        # A discriminator naming one alternative tells which one was meant.
        if isinstance(value, dict):
            for t, errs, decoded in attempts:
                consts = {
                    f["name"]: f["const"]
                    for f in self.types.get(t, {}).get("fields", [])
                    if "const" in f
                }
                if consts and all(value.get(k) == v for k, v in consts.items()):
                    return errs, decoded
            # Every alternative has its own value for one field: name the accepted values.
            keys = {
                (f["name"], f["const"])
                for t, _, _ in attempts
                for f in self.types.get(t, {}).get("fields", [])
                if "const" in f
            }
            key_names = {k for k, _ in keys}
            if len(keys) == len(attempts) and len(key_names) == 1:
                key = key_names.pop()
                allowed = ", ".join(sorted(v for _, v in keys))
                got = _short(value[key]) if key in value else "nothing"
                return [f"{path}.{key}: must be one of {allowed}, got {got}"], value
        # So does shape: when only one alternative's own fields all fit, the problem is deeper
        # inside it (a button's callback_data, say) and is best reported as is.
        direct = re.compile(re.escape(path) + r"(?:\.\w+)?: ")
        shaped = [a for a in attempts if not any(direct.match(e) for e in a[1])]
        if len(shaped) == 1:
            return shaped[0][1], shaped[0][2]
        best_type, best_errs, best_decoded = min(attempts, key=lambda a: len(a[1]))
        if all(direct.match(a[1][0]) and ": expected " in a[1][0] for a in attempts):
            return [f"{path}: expected {' or '.join(names)}, got {_short(value)}"], best_decoded
        listed = ", ".join(names) if len(names) <= 4 else f"{len(names)} alternatives"
        return [
            f"{path}: matches none of {listed}; closest {best_type}: {best_errs[0]}",
            *best_errs[1:],
        ], best_decoded

    def _check_type(
        self, texpr: str, value: Any, path: str, ctx: _Ctx, *, form: bool
    ) -> tuple[list[str], Any]:
        if texpr.startswith(ARRAY_PREFIX):
            if form and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    return [f"{path}: expected JSON array, got {_short(value)}"], value
            if not isinstance(value, list):
                return [f"{path}: expected {texpr}, got {_short(value)}"], value
            inner = texpr[len(ARRAY_PREFIX) :]
            errors: list[str] = []
            items: list[Any] = []
            for i, item in enumerate(value):
                errs, dec = self._check_type(inner, item, f"{path}[{i}]", ctx, form=False)
                errors.extend(errs)
                items.append(dec)
            return errors, items
        if texpr in PRIMITIVES:
            return self._check_primitive(texpr, value, path, form=form)
        if texpr == "InputFile":
            return self._check_input_file(value, path, ctx)
        spec_type = self.types.get(texpr)
        if spec_type is None:
            return [f"{path}: spec names unknown type {texpr}"], value
        if form and isinstance(value, str):
            # Leave undecodable text as is: a String subtype may accept it, else it fails below.
            try:
                value = json.loads(value)
            except ValueError:
                pass
        subtypes = spec_type.get("subtypes")
        if subtypes and "fields" not in spec_type:
            # Subtypes may themselves be type expressions (RichText lists String and arrays).
            return self._check_union(list(subtypes), value, path, ctx, form=False)
        if not isinstance(value, dict):
            return [f"{path}: expected {texpr} object, got {_short(value)}"], value
        fields = {f["name"]: f for f in spec_type.get("fields", [])}
        return self._check_fields(
            fields, value, path, ctx, form=False, one_of=spec_type.get("one_of")
        )

    @staticmethod
    def _check_primitive(texpr: str, value: Any, path: str, *, form: bool) -> tuple[list[str], Any]:
        bad = [f"{path}: expected {texpr}, got {_short(value)}"]
        if texpr == "String":
            return ([], value) if isinstance(value, str) else (bad, value)
        if form and isinstance(value, str):
            if texpr == "Integer":
                return ([], int(value)) if re.fullmatch(r"-?\d+", value) else (bad, value)
            if texpr == "Float":
                try:
                    return [], float(value)
                except ValueError:
                    return bad, value
            if texpr in ("Boolean", "True"):
                if value == "true" or (value == "false" and texpr == "Boolean"):
                    return [], value == "true"
                return bad, value
        if texpr == "Integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif texpr == "Float":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif texpr == "Boolean":
            ok = isinstance(value, bool)
        else:
            ok = value is True
        return ([], value) if ok else (bad, value)

    @staticmethod
    def _check_input_file(value: Any, path: str, ctx: _Ctx) -> tuple[list[str], Any]:
        if not isinstance(value, str):
            return [
                f"{path}: expected InputFile (upload or file_id/URL), got {_short(value)}"
            ], value
        if value.startswith("attach://"):
            part = value.removeprefix("attach://")
            if part not in ctx.files:
                return [f"{path}: {value} names no uploaded file part"], value
            ctx.attached.add(part)
        elif not value:
            return [f"{path}: empty file reference"], value
        return [], value


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2):
        print("usage: python -m bot.botapi_spec FULL_API_JSON [OUTPUT]", file=sys.stderr)
        return 2
    out = Path(args[1]) if len(args) == 2 else VENDORED_SPEC
    spec = load_spec(Path(args[0]))
    out.write_text(dump_spec(spec), encoding="utf-8")
    print(f"wrote {out} ({spec['version']}, {len(spec['methods'])} methods)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
