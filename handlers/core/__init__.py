"""The conversation core's port: what a channel hands a handler, and what it gets back.

A channel adapter (``bot/telegram/``, later DingTalk) turns a platform update into an
``Incoming`` event, runs the core's routes, and turns the returned views into platform
calls. Nothing here knows any messenger's types.
"""
