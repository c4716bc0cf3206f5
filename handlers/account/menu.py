"""The commands each person sees: one table feeds both /help and the channel's command menu."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from handlers.core.views import Menu
from locales import N_, Translator
from models.enums import Role


@dataclass(frozen=True)
class MenuCommand:
    command: str
    description: str  # msgid
    # None: every registered person; otherwise anyone holding one of these roles.
    roles: frozenset[Role] | None = None


EVERYONE = None
CADRES = frozenset({Role.CADRE})
APPROVERS = frozenset({Role.APPROVER})
TEAM_LEADERS = frozenset({Role.TEAM_LEADER})

# Features add their commands here; the order is the order people see.
COMMANDS: tuple[MenuCommand, ...] = (
    MenuCommand("help", N_("What I can do for you")),
    MenuCommand("leave", N_("Ask for leave"), CADRES),
    MenuCommand("myleave", N_("My leave requests"), CADRES),
    MenuCommand("back", N_("Report back from leave"), CADRES),
    MenuCommand("emergency", N_("Emergency leave, already away"), CADRES),
    MenuCommand("pending", N_("Leave waiting for my decision"), APPROVERS),
    MenuCommand("visit", N_("Log a visit to a paired household"), CADRES),
    MenuCommand("mine", N_("My paired households"), CADRES),
    MenuCommand("coverage", N_("This quarter's visit coverage"), CADRES | APPROVERS),
    MenuCommand("month", N_("My days in the village this month"), CADRES),
    MenuCommand("here", N_("Share where I am now"), CADRES),
    MenuCommand("trip", N_("Log a self-driven round trip"), CADRES),
    MenuCommand("explain", N_("Explain a suspected absence"), CADRES),
    MenuCommand("spotcheck", N_("Spot-check a cadre or a village"), APPROVERS),
    MenuCommand("recall", N_("Propose recalling a cadre"), APPROVERS),
    MenuCommand("sheet", N_("The monthly attendance sheet"), APPROVERS),
    MenuCommand("fix", N_("Correct a day on the attendance sheet"), APPROVERS),
    MenuCommand("training", N_("Record a training attended"), CADRES | APPROVERS),
    MenuCommand("mytraining", N_("My trainings this term"), CADRES),
    MenuCommand("team", N_("My team this month: days, leave, visits"), TEAM_LEADERS),
    MenuCommand("halfyear", N_("Submit the team's half-year work report"), TEAM_LEADERS),
    MenuCommand("whoami", N_("Who I am registered as")),
    MenuCommand("lang", N_("Language: 中文 / English")),
)

STRANGER_COMMANDS: tuple[MenuCommand, ...] = (
    MenuCommand("start", N_("Register with your invitation link")),
)


def commands_for(roles: Iterable[Role]) -> list[MenuCommand]:
    held = frozenset(roles)
    return [c for c in COMMANDS if c.roles is None or c.roles & held]


def menu_hash(roles: Iterable[Role], language: str) -> str:
    """Fingerprint of a person's menu, so start-up only re-sends menus that changed."""
    parts = [language] + [f"{c.command}:{c.description}" for c in commands_for(roles)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def menu_view(roles: Iterable[Role], t: Translator) -> Menu:
    """The person's menu as a view, for the channel to set where it has menus."""
    return Menu(tuple((c.command, t(c.description)) for c in commands_for(roles)))
