"""Telegram: the Bot API spec and the checks of calls against it (``spec/``), which the Bot
API emulator answers by."""
