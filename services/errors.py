"""Errors a service reports: a stable code and parameters, never translated text.

The handler (or the command line) turns the code into words in the person's language.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        if not self.params:
            return self.code
        detail = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.code} ({detail})"
