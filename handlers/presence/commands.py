"""/month, /here, a shared location, /trip: the cadre's side of presence. Nothing here is a
daily punch-in: a location is optional evidence, and it answers a spot check."""

from __future__ import annotations

from html import escape

from handlers.core.conversation import State, Steps
from handlers.core.request import Request
from handlers.core.routing import Router
from handlers.core.views import Reply, Text
from handlers.formatting import money, short_date
from handlers.presence.views import distance_text, error_text, month_text
from locales import Translator
from models.enums import CheckState, Role
from services.calendar import load_calendar
from services.errors import DomainError
from services.presence import day_ledger as ledger
from services.presence import locations, trips
from services.roster.identity import Identity


class HereFlow(Steps):
    command = "here"
    waiting = State()  # /here was sent: the next location is its answer


def _cadre(identity: Identity) -> int:
    assert identity.cadre is not None  # the router only lets cadres in
    return identity.cadre.cadre_id


async def show_month(req: Request) -> Reply:
    t, day = req.t, req.today()
    calendar = await load_calendar(req.session)
    month = await ledger.cadre_month(
        req.session, req.pack, calendar, req.cadre_id, day.year, day.month,
        today=day, zone=req.zone,
    )  # fmt: skip
    if month is None:
        return Reply.text(t("You are not in post this month."))
    return Reply.text(month_text(t, month))


async def here(req: Request) -> Reply:
    t = req.t
    await req.state.set_state(HereFlow.waiting)
    text = t(
        "Press the button below to share where you are now. A location inside the "
        "village counts the day as a day in the village, weekends included."
    )
    return Reply([Text(text, ask_location=t("📍 Send my location"))])


def _answered_lines(t: Translator, shared: locations.Shared) -> list[str]:
    lines = []
    for answer in shared.answered:
        if answer.state is CheckState.SUSPECTED:
            lines.append(
                "⚠️ "
                + t(
                    "Spot check answered, but from outside the village and without leave: it is "
                    "recorded as a suspected unexplained absence. If there is a reason, send "
                    "/explain followed by what happened."
                )
            )
        elif answer.reason == "on_leave":
            lines.append("✅ " + t("Spot check answered: you are on approved leave."))
        else:
            lines.append("✅ " + t("Spot check answered: you are in the village."))
    return lines


async def location(req: Request) -> Reply:
    t, event = req.t, req.event
    was_asked = await req.current_state() == HereFlow.waiting.state
    await req.state.clear()

    def done(text: str) -> Reply:
        # Whatever the answer, the share-location button /here offered goes away.
        return Reply([Text(text, clear_keyboard=True)])

    if event.forwarded:
        return done(t("A forwarded location shows where someone else was; please share your own."))
    where = event.location
    if where is None or where.venue:
        return done(t("That is a place, not where you are; please share your current location."))
    try:
        shared = await locations.share(
            req.session, req.pack, req.cadre_id, where.latitude, where.longitude,
            now=req.now(), source="here" if was_asked else "location",
        )  # fmt: skip
    except DomainError as exc:
        return done(error_text(t, exc))
    if shared.distance_m is None:
        text = t(
            "Location received. The village's coordinates are not on the roster yet, so it "
            "cannot be checked; please tell the township."
        )
    elif shared.inside:
        text = "📍 " + t(
            "Location received: in the village ({distance} from its centre). Today counts as a "
            "day in the village.",
            distance=distance_text(t, shared.distance_m),
        )
    else:
        text = "📍 " + t(
            "Location received: {distance} from the village, outside the {radius} km radius, "
            "so it does not count today as a day in the village.",
            distance=distance_text(t, shared.distance_m),
            radius=f"{shared.radius_km:g}",
        )
    return done("\n".join([text, *_answered_lines(t, shared)]))


async def trip(req: Request) -> Reply:
    t, pack = req.t, req.pack
    words = req.event.args.split(maxsplit=1)
    if not words:
        return Reply.text(
            escape(
                t(
                    "Log a self-driven round trip between your unit and the village: /trip <km> "
                    "[note], with the kilometres of the whole round trip, e.g. /trip 120."
                )
            )
        )
    day = req.today()
    try:
        _, paid = await trips.log(
            req.session, pack, req.cadre_id, req.me.person_id, words[0],
            words[1] if len(words) > 1 else "", day, req.now(),
        )  # fmt: skip
    except DomainError as exc:
        return Reply.text(error_text(t, exc))
    lines = [
        t(
            "Round trip of {km} km logged for {day}. This month: {logged} logged, {counted} "
            "reimbursed, {amount}.",
            km=f"{trips.parse_km(words[0]):g}",
            day=short_date(t, day),
            logged=paid.logged,
            counted=paid.counted,
            amount=money(t, str(paid.amount)),
        )
    ]
    if paid.over_cap:
        lines.append(
            t(
                "At most {max} round trips a month are reimbursed; tolls never are (ganzhou "
                "Art.27(一)).",
                max=pack.money.transport_max_round_trips_per_month,
            )
        )
    return Reply.text("\n".join(lines))


def routes() -> Router:
    router = Router("presence")
    router.command("month", show_month, roles={Role.CADRE})
    router.command("trip", trip, roles={Role.CADRE})
    router.command("here", here, roles={Role.CADRE})
    # After visits (handlers/__init__.py), whose open card takes a location first.
    router.location(location, roles={Role.CADRE})
    return router
