"""The Bot API spec as data (``botapi_spec.json``, trimmed from the full ``api.json``), the
checker every call to the emulator goes through, and Telegram's HTML formatting rules."""
