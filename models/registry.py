"""Imports every table module, so the metadata (and alembic) sees the whole schema."""

from __future__ import annotations

import models.presence
import models.tables
import models.workflow

__all__ = ["models"]
