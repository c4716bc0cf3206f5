"""Reading policy packs: one ``policies/*.toml`` file validated whole (its problems named
by field path), or a shipped pack by id, cached."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from services.errors import DomainError
from services.policy import PolicyPack

PACKAGE = "policies"


class PolicyPackError(DomainError):
    """A pack file that cannot be used; ``problems`` lists (field path, what is wrong)."""

    def __init__(self, file: str, problems: list[tuple[str, str]]) -> None:
        super().__init__("policy_invalid", file=file, problems=problems)
        self.file = file
        self.problems = problems

    def __str__(self) -> str:
        parts = [f"{field}: {problem}" if field else problem for field, problem in self.problems]
        return f"{self.file}: " + "; ".join(parts)


def _field_path(error: ErrorDetails) -> str:
    loc: list[Any] = list(error["loc"])
    if error["type"] == "policy_rule":
        loc.append(error.get("ctx", {})["path"])
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _problem(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "policy_rule":
        return str(error.get("ctx", {})["problem"])
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    return error["msg"]


def load_pack_file(path: Path | Traversable) -> PolicyPack:
    """Read and validate one pack file; its ``id`` must match the file name."""
    name = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyPackError(name, [("", f"not valid TOML: {exc}")]) from None
    except OSError as exc:
        raise PolicyPackError(name, [("", f"cannot be read: {exc.strerror or exc}")]) from None
    try:
        pack = PolicyPack.model_validate(data)
    except ValidationError as exc:
        problems = [(_field_path(e), _problem(e)) for e in exc.errors()]
        raise PolicyPackError(name, problems) from None
    stem = name.removesuffix(".toml")
    if pack.id != stem:
        raise PolicyPackError(name, [("id", f"must be {stem!r}, the file name without .toml")])
    return pack


def pack_ids() -> list[str]:
    """Ids of the packs shipped in the ``policies`` package, sorted."""
    folder = resources.files(PACKAGE)
    names = [entry.name for entry in folder.iterdir()]
    return sorted(name.removesuffix(".toml") for name in names if name.endswith(".toml"))


@cache
def load_pack(pack_id: str) -> PolicyPack:
    known = pack_ids()
    # Checked against the listing, so an id can never reach outside the package.
    if pack_id not in known:
        raise DomainError("policy_unknown", policy=pack_id, known=", ".join(known))
    return load_pack_file(resources.files(PACKAGE) / f"{pack_id}.toml")


def list_packs() -> list[PolicyPack]:
    return [load_pack(pack_id) for pack_id in pack_ids()]
