"""The offline demo: a county, the real bot, the built-in Bot API emulator, a terminal chat.

``zhucun demo`` (and ``zhucun`` with no token configured) starts it; ``--script tour``
plays the whole story without input. See ``bot/commands/demo.py``.
"""
