"""Checking Bot API calls, as a client sends them, against the trimmed spec."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.telegram.spec.formatting import parse_html, utf16_len
from sandbox.telegram.spec.loading import load_spec

PRIMITIVES = frozenset({"Integer", "Float", "Boolean", "String", "True"})
PARSE_MODES = frozenset({"html", "markdown", "markdownv2"})
ARRAY_PREFIX = "Array of "


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
