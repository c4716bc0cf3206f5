"""English is the source language: its catalog copies each new msgid as the translation,
so the en catalog is complete by construction and can still override a wording."""

from __future__ import annotations

import sys

from babel.messages.pofile import read_po, write_po

path = sys.argv[1] if len(sys.argv) > 1 else "locales/en/LC_MESSAGES/messages.po"
with open(path, "rb") as fh:
    catalog = read_po(fh, locale="en")
for message in catalog:
    if not message.id:
        continue
    if isinstance(message.id, tuple):
        if not any(message.string):
            message.string = (message.id[0], message.id[1])
    elif not message.string:
        message.string = message.id
    message.flags.discard("fuzzy")
with open(path, "wb") as fh:
    write_po(fh, catalog, width=100, sort_output=True, omit_header=False)
