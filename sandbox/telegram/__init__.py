"""An emulator of the Telegram Bot API (see ``emulator.py``), served over loopback HTTP.

``BotApiSandbox`` (``emulator.py``) combines a shared state (``store.py``) with the areas of
methods it serves (``methods/``), the people and groups tests play (``actors.py``,
``users.py``) and what tests read and wait for (``inspection.py``); every call is checked
against the Bot API spec (``spec/``).
"""
