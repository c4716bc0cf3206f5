"""The documents a policy pack cites, as a reader finds them in an archive or a search
engine: title, issuer, number (文号) and date, never a file of ours."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Document(BaseModel):
    """A policy document as anyone can look it up: title, issuer, number (文号) and date."""

    # Frozen and strict like the rest of a pack: a misspelt key is an error, not a no-op.
    model_config = ConfigDict(extra="forbid", frozen=True)

    # How the pack's ``sources`` name this document when it cites more than one (选派意见 五.1).
    short: str = ""
    title: str = Field(min_length=1)
    issuer: str = Field(min_length=1)
    # None where the text carries no number: an invented one would send a reader astray.
    number: str | None = None
    # As precise as the text is: 2016-08-09 where it is dated, 2021 where only the number is.
    date: str = Field(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    note: str = ""  # how it reached us (forwarded by…), or what the text leaves unclear

    @field_validator("date", mode="before")
    @classmethod
    def _date_as_text(cls, value: Any) -> Any:
        # An unquoted TOML date (2016-08-09) reads as a date; the field is text so "2021" fits.
        return value.isoformat() if isinstance(value, date) else value

    def citation(self) -> str:
        """《title》，issuer，number，date: one line a reader can search for."""
        parts = [f"《{self.title}》", self.issuer, self.number or "", self.date]
        return "，".join(p for p in parts if p)


def untold_documents(documents: list[Document]) -> tuple[str, str] | None:
    """(field path, problem) when a pack of several documents cannot say which one a source
    cites: each needs a short name of its own."""
    if len(documents) < 2:
        return None
    seen: set[str] = set()
    for i, document in enumerate(documents):
        if not document.short:
            return f"documents[{i}].short", "needed when a pack cites several documents"
        if document.short in seen:
            return f"documents[{i}].short", f"{document.short} is used twice"
        seen.add(document.short)
    return None
