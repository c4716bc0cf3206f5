"""The Telegram channel: aiogram events in, core views out; the runtime that polls or
serves the webhook; and the relay's sender."""
