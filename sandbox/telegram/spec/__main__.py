"""Regenerate the vendored spec from the full ``api.json``:
``python -m sandbox.telegram.spec FULL_API_JSON [OUTPUT]``."""

from __future__ import annotations

import sys
from pathlib import Path

from sandbox.telegram.spec.loading import VENDORED_SPEC, dump_spec, load_spec


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2):
        print("usage: python -m sandbox.telegram.spec FULL_API_JSON [OUTPUT]", file=sys.stderr)
        return 2
    out = Path(args[1]) if len(args) == 2 else VENDORED_SPEC
    spec = load_spec(Path(args[0]))
    out.write_text(dump_spec(spec), encoding="utf-8")
    print(f"wrote {out} ({spec['version']}, {len(spec['methods'])} methods)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
