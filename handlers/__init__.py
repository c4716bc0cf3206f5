"""What each message, button and notice does, in no messenger's types: one package per
feature, and the conversation core (handlers/core) they are written against."""

from __future__ import annotations

from handlers.core.routing import Core


def core() -> Core:
    """Every feature's routes, in the order they see events: registration and groups first,
    the features, then what is left (a registered person's, then a stranger's)."""
    from handlers.account import blocking, fallback, registration, replies, strangers, term_over
    from handlers.account import help as account_help
    from handlers.groups import binding, private_only
    from handlers.leave import approval, requests
    from handlers.presence import attendance, spot_checks
    from handlers.presence import commands as presence
    from handlers.supervision import recall, team_reports, team_view, training
    from handlers.visits import commands as visits
    from handlers.visits import coverage

    return Core(
        [
            registration.routes(),
            binding.routes(),
            blocking.routes(),
            account_help.routes(),
            # A former cadre hears that their term is over, before any feature.
            term_over.routes(),
            requests.routes(),
            approval.routes(),
            visits.routes(),
            coverage.routes(),
            # After visits, whose open card takes a location first.
            presence.routes(),
            spot_checks.routes(),
            recall.routes(),
            attendance.routes(),
            training.routes(),
            team_reports.routes(),
            team_view.routes(),
            replies.routes(),
            private_only.routes(),
            fallback.routes(),
            strangers.routes(),
        ]
    )
