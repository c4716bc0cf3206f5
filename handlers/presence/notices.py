"""Presence, spot check, sanction, recall and attendance messages the relay sends."""

from __future__ import annotations

from html import escape
from typing import Any

from handlers.formatting import long_date
from handlers.notices import Rendered, notice
from handlers.presence.views import (
    distance_text,
    explain_keyboard,
    month_label,
    recall_keyboard,
    replaced_keyboard,
    sheet_keyboard,
    sheet_text,
    spot_decision_keyboard,
)
from locales import Translator


@notice("presence.unreachable")
def presence_unreachable(t: Translator, params: dict[str, Any]) -> Rendered:
    month = month_label(t, params["year"], params["month"])
    if params["own"]:
        text = t(
            "With the leave approved, {month} can no longer reach the minimum of {minimum} "
            "days in the village (at most {possible}).",
            month=month,
            minimum=params["minimum"],
            possible=params["possible"],
        )
    else:
        text = t(
            "With the leave approved, {cadre} can no longer reach the minimum of {minimum} "
            "days in the village in {month} (at most {possible}).",
            cadre=escape(params["cadre"]),
            month=month,
            minimum=params["minimum"],
            possible=params["possible"],
        )
    return Rendered("⚠️ " + text)


# At most once: a spot check's question arriving twice reads as a second check.
@notice("spotcheck.ask", at_most_once=True)
def spotcheck_ask(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(
        "🔎 "
        + t(
            "Spot check: please share your current location within {minutes} minutes (by "
            "{time}). Send /here and press the button, or attach your location.",
            minutes=params["minutes"],
            time=params["local_time"],
        )
    )


@notice("spotcheck.fine")
def spotcheck_fine(t: Translator, params: dict[str, Any]) -> Rendered:
    if params["reason"] == "on_leave":
        text = t("Spot check: {cadre} is away on approved leave.", cadre=escape(params["cadre"]))
    else:
        text = t(
            "Spot check: {cadre} is in the village ({distance} from its centre).",
            cadre=escape(params["cadre"]),
            distance=distance_text(t, params["distance_m"]),
        )
    return Rendered("✅ " + text)


def _suspected(t: Translator, params: dict[str, Any]) -> str:
    cadre = escape(params["cadre"])
    if params["reason"] == "outside":
        why = t(
            "shared a location {distance} from the village, without leave",
            distance=distance_text(t, params["distance_m"]),
        )
    else:
        why = t("did not answer in time")
    return "⚠️ " + t(
        "Spot check of {day}: {cadre} {why}. Suspected unexplained absence; the cadre may "
        "explain. Only a confirmed absence counts.",
        day=long_date(t, params["day"]),
        cadre=cadre,
        why=why,
    )


@notice("spotcheck.suspected")
def spotcheck_suspected(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(_suspected(t, params), spot_decision_keyboard(t, params["target_id"]))


@notice("spotcheck.missed")
def spotcheck_missed(t: Translator, params: dict[str, Any]) -> Rendered:
    text = t(
        "You did not answer the spot check of {day} in time: it is recorded as a suspected "
        "unexplained absence. If there is a reason, press Explain or send /explain followed "
        "by what happened.",
        day=long_date(t, params["day"]),
    )
    return Rendered("⚠️ " + text, explain_keyboard(t, params["target_id"]))


@notice("spotcheck.explained")
def spotcheck_explained(t: Translator, params: dict[str, Any]) -> Rendered:
    text = t(
        "{cadre} explains the spot check of {day}: {text}",
        cadre=escape(params["cadre"]),
        day=long_date(t, params["day"]),
        text=escape(params["text"]),
    )
    return Rendered("💬 " + text, spot_decision_keyboard(t, params["target_id"]))


@notice("spotcheck.decided")
def spotcheck_decided(t: Translator, params: dict[str, Any]) -> Rendered:
    day = long_date(t, params["day"])
    if params["confirmed"]:
        return Rendered(
            "❌ " + t("The spot check of {day} is confirmed as an unexplained absence.", day=day)
        )
    return Rendered("✅ " + t("The spot check of {day} is cleared; nothing is recorded.", day=day))


@notice("sanction.notice")
def sanction_notice(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(
        "📢 "
        + t(
            "{cadre}: unexplained absence on {day} confirmed ({count} in all). A city-wide "
            "notice is recorded (ganzhou Art.21).",
            cadre=escape(params["cadre"]),
            day=long_date(t, params["day"]),
            count=params["count"],
        )
    )


@notice("sanction.no_award")
def sanction_no_award(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(
        "📢 "
        + t(
            "{cadre}: unexplained absence on {day} confirmed. No award for {year}, and the "
            "dispatching unit's leadership cannot be rated excellent this year (qinghai item 4).",
            cadre=escape(params["cadre"]),
            day=long_date(t, params["day"]),
            year=params["year"],
        )
    )


def _recall_head(t: Translator, params: dict[str, Any]) -> str:
    return "\n".join(
        [
            "<b>" + t("Recall #{id}", id=params["recall_id"]) + "</b> · " + escape(params["cadre"]),
            t("Ground: {ground}", ground=escape(params["ground_text"])),
            t("Note: {note}", note=escape(params["note"])),
        ]
    )


@notice("recall.card")
def recall_card(t: Translator, params: dict[str, Any]) -> Rendered:
    by = (
        t("Proposed by {name} (township party committee).", name=escape(params["proposer"]))
        if params["proposer"]
        else t("Opened by the policy's threshold on confirmed unexplained absences.")
    )
    text = _recall_head(t, params) + "\n" + by + "\n" + t("The county leading group decides.")
    return Rendered(text, recall_keyboard(t, params["recall_id"]))


@notice("recall.decided")
def recall_decided(t: Translator, params: dict[str, Any]) -> Rendered:
    if params["approved"]:
        verdict = t("approved by {by}", by=escape(params["by"]))
    else:
        verdict = t("not approved by {by}", by=escape(params["by"]))
    return Rendered(_recall_head(t, params) + "\n" + t("Decision: {verdict}.", verdict=verdict))


@notice("recall.replace")
def recall_replace(t: Translator, params: dict[str, Any]) -> Rendered:
    text = t(
        "The county leading group ({by}) has approved the recall of {cadre}. As the "
        "dispatching unit, please recall them and send a qualified replacement (ganzhou "
        "Art.22); press the button once the replacement is on the way.",
        by=escape(params["by"]),
        cadre=escape(params["cadre"]),
    )
    return Rendered(
        _recall_head(t, params) + "\n" + text, replaced_keyboard(t, params["recall_id"])
    )


@notice("recall.cadre")
def recall_cadre(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(
        t(
            "The county leading group has decided to recall you from the village (ground: "
            "{ground}). Your dispatching unit will arrange the hand-over.",
            ground=escape(params["ground_text"]),
        )
    )


@notice("recall.replaced")
def recall_replaced(t: Translator, params: dict[str, Any]) -> Rendered:
    return Rendered(
        t(
            "Recall #{id}: {by} reports that a replacement for {cadre} has been sent.",
            id=params["recall_id"],
            by=escape(params["by"]),
            cadre=escape(params["cadre"]),
        )
    )


@notice("attendance.draft")
def attendance_draft(t: Translator, params: dict[str, Any]) -> Rendered:
    text = (
        sheet_text(t, params)
        + "\n"
        + t("Correct a day with /fix <name> <date> <class> <reason>, then confirm the sheet.")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )
    return Rendered(text, sheet_keyboard(t, params["sheet_id"]))
