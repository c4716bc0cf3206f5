"""The Bot API spec as data (``botapi_spec.json``: Bot API 10.1 of June 11, 2026, trimmed
from Telegram's full machine-readable ``api.json``), the checker every call to the emulator
goes through, and Telegram's HTML formatting rules."""
