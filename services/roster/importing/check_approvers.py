"""审批人: one row per post, with the place or unit it covers."""

from __future__ import annotations

import re

from models.enums import POST_JURISDICTION, Jurisdiction
from services.roster.importing.cells import POSTS, parse_phone
from services.roster.importing.checker import RosterCheck, Row
from services.roster.importing.plan import ApproverPlan, Target

_PATH_SEPARATORS = re.compile(r"\s*[/／\\>＞]\s*")
_PLACE_WORDS = {
    Jurisdiction.VILLAGE: "村",
    Jurisdiction.TOWNSHIP: "乡镇",
    Jurisdiction.COUNTY: "县",
}


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
            message = f"与第{seen[post]}行重复，已忽略"
            row.report("jurisdiction", "duplicate_approver", message, warning=True)
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
        message = f"找不到派出单位“{text}”"
        check.unknown(row, "units", "jurisdiction", "unknown_jurisdiction", message)
        return None
    parts = tuple(p for p in _PATH_SEPARATORS.split(text) if p)
    found = check.places.find(jurisdiction, parts)
    what = _PLACE_WORDS[jurisdiction]
    if len(found) == 1:
        return Target(jurisdiction, found[0])
    if not found:
        message = f"找不到{what}“{text}”"
        check.unknown(row, "villages", "jurisdiction", "unknown_jurisdiction", message)
    else:
        paths = ["/".join(f) for f in found]
        row.report(
            "jurisdiction",
            "ambiguous_jurisdiction",
            f"{what}“{text}”不唯一：{'、'.join(paths)}；请写出上级，如“{paths[0]}”",
        )
    return None
