"""How a person is described back to them: name, posting and posts."""

from __future__ import annotations

from html import escape

from handlers.labels import APPROVER_POSTS, TEAM_ROLES, UNIT_LEVELS
from locales import Translator
from services.roster.identity import Identity


def role_lines(identity: Identity, t: Translator) -> list[str]:
    lines: list[str] = []
    cadre = identity.cadre
    if cadre is not None:
        role = t(TEAM_ROLES[cadre.team_role])
        if cadre.is_leader and cadre.team_role.value != "leader":
            role = t("{role} and team leader", role=role)
        lines.append(
            t(
                "{role} of {county} {township} {village}",
                role=role,
                county=escape(cadre.county),
                township=escape(cadre.township),
                village=escape(cadre.village),
            )
        )
        lines.append(
            t(
                "Dispatched by {unit} ({level} level), term {start} – {end}",
                unit=escape(cadre.unit),
                level=t(UNIT_LEVELS[cadre.dispatch_level]),
                start=cadre.term_start.isoformat(),
                end=cadre.term_end.isoformat(),
            )
        )
    for post in identity.posts:
        lines.append(
            t(
                "Approver: {post} ({place})",
                post=t(APPROVER_POSTS[post.kind]),
                place=escape(post.place),
            )
        )
    return lines


def greeting(identity: Identity, t: Translator) -> str:
    head = t("Hello, {name}! You are registered as:", name=escape(identity.name))
    body = "\n".join("• " + line for line in role_lines(identity, t))
    return f"{head}\n{body}\n\n" + t("Send /help to see what I can do for you.")
