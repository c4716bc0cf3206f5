"""Add translations for new msgids to a catalog without rewrapping the rest of it.

Usage: python scripts/add_msgs.py LANG 'msgid' 'msgstr' ['msgid' 'msgstr' ...]
(``pybabel update`` rewraps every entry; this appends only what is missing.)
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main() -> None:
    language, pairs = sys.argv[1], sys.argv[2:]
    path = (
        Path(__file__).resolve().parents[1] / "locales" / language / "LC_MESSAGES" / "messages.po"
    )
    with path.open("rb") as f:
        have = {m.id for m in read_po(f) if m.id}
    text = path.read_text(encoding="utf-8")
    head, sep, tail = text.partition("\n#~ ")
    added = []
    for msgid, msgstr in zip(pairs[::2], pairs[1::2], strict=True):
        if msgid in have:
            continue
        flag = "#, python-brace-format\n" if "{" in msgid else ""
        added.append(f"{flag}msgid {_quote(msgid)}\nmsgstr {_quote(msgstr)}\n")
    if added:
        head = head.rstrip("\n") + "\n\n" + "\n".join(added)
        path.write_text(head + ("\n" + sep.lstrip("\n") + tail if sep else ""), encoding="utf-8")


if __name__ == "__main__":
    main()
