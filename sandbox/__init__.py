"""Emulators of messaging platforms' bot APIs, for the end-to-end tests, the benchmarks and
the offline demo (``zhucun demo``): the real client library talks to one over loopback HTTP
as it would to the platform. One subpackage per platform: ``sandbox.telegram``,
``sandbox.dingtalk``."""
