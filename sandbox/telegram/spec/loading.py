"""The machine-readable Bot API spec: trimming it and loading it.

The full machine-readable spec (``api.json``, some 900 KB of prose) is not kept: the trimmed
copy beside this module, ``botapi_spec.json``, is the project's spec, and its first keys note
the Bot API version and release date it was trimmed from.  For a new Bot API version, get the
new ``api.json`` and regenerate it with::

    python -m sandbox.telegram.spec /path/to/api.json

Trimming keeps what a checker needs: field names, types, required flags, method results and
subtypes.  The few rules that the spec only states in prose (length limits, which fields are
parsed for entities, discriminator values such as ``"type": "chat"``, "exactly one of these
fields") are extracted into small structured keys, so the checker never reads descriptions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

VENDORED_SPEC = Path(__file__).with_name("botapi_spec.json")

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
