"""The Telegram channel: aiogram events in, core views out (and the relay's sends)."""
