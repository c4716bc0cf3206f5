"""审批人: one row per post, with the place or unit it covers."""

from __future__ import annotations

import re

from models.enums import POST_JURISDICTION, Jurisdiction
from services.roster.importing.cells import POSTS, parse_phone
from services.roster.importing.checker import RosterCheck, Row
from services.roster.importing.plan import ApproverPlan, Target

_PATH_SEPARATORS = re.compile(r"\s*[/／\\>＞]\s*")


def check_approvers(check: RosterCheck) -> None:
    seen: dict[ApproverPlan, int] = {}
    for row in check.rows("approvers"):
        name = row.name()
        phone = row.get("phone", parse_phone)
        kind = row.get("post", POSTS.parse)
        text = row.text("jurisdiction", max_len=120)
        target = _target(check, row, POST_JURISDICTION[kind], text) if kind and text else None
        if not row.ok or phone is None or kind is None or target is None:
            continue
        post = ApproverPlan(phone, kind, target)
        if post in seen:
            row.report("jurisdiction", "duplicate_approver", warning=True, first=seen[post])
            continue
        seen[post] = row.number
        check.claim_name(row, phone, name)
        if row.ok:
            check.plan.approvers.append(post)


def _target(check: RosterCheck, row: Row, jurisdiction: Jurisdiction, text: str) -> Target | None:
    """The place (or unit) a post covers, by name or by a path like "江口镇/下寨村"."""
    if jurisdiction is Jurisdiction.UNIT:
        if text in check.units:
            return Target(jurisdiction, (text,))
        check.unknown(row, "units", "jurisdiction", "unknown_jurisdiction", "unit", name=text)
        return None
    parts = tuple(p for p in _PATH_SEPARATORS.split(text) if p)
    found = check.places.find(jurisdiction, parts)
    if len(found) == 1:
        return Target(jurisdiction, found[0])
    if not found:
        place = jurisdiction.value
        check.unknown(
            row, "villages", "jurisdiction", "unknown_jurisdiction", place=place, name=text
        )
    else:
        paths = tuple("/".join(f) for f in found)
        place = jurisdiction.value
        row.report(
            "jurisdiction",
            "ambiguous_jurisdiction",
            place=place,
            name=text,
            paths=paths,
            example=paths[0],
        )
    return None
