"""/training and /mytraining: a cadre logs a training they attended (date, level 省/市/县,
days, topic) in one line; an approver records one for several cadres they cover by putting
their names first."""

from __future__ import annotations

from html import escape

from handlers.core.request import Request
from handlers.core.routing import Router
from handlers.core.views import Reply
from handlers.formatting import long_date, short_date
from handlers.supervision.schedule_notices import level_text
from handlers.supervision.training_parse import ParseError, parse
from locales import N_, Translator
from models.enums import Role
from services.errors import DomainError
from services.roster.identity import Identity
from services.supervision import training

USAGE_CADRE = N_(
    "To log a training you attended: /training <date> <level> <days> <topic>, for example "
    "/training 2026-11-20 县 3 乡村振兴专题. The level is 省, 市 or 县 (province, city, county)."
)
USAGE_APPROVER = N_(
    "To record a training for cadres you cover, put their names first, separated by 、: "
    "/training 王芳、李强 11-20 县 3 乡村振兴专题."
)
PARSE_ERRORS = {
    "date": N_("I could not find the date. Dates look like 2026-11-20, 11-20 or 11月20日."),
    "missing": N_("After the date come the level (省, 市 or 县) and the number of days."),
    "level": N_("I do not know the level {text!r}: use 省, 市 or 县 (province, city, county)."),
    "days": N_("I could not read the number of days {text!r}: write it as 3 or 3天."),
}
ERRORS = {
    "training_days_invalid": N_("A training lasts from 1 to {max} days."),
    "training_topic_too_long": N_("The topic is too long: at most {max} characters."),
    "training_in_future": N_("{day} has not come yet: record a training once it has begun."),
    "training_before_term": N_("{day} is too long before {name}'s term began."),
    "training_duplicate": N_("This training ({day}) is already on record."),
    "training_names_not_found": N_("Among the cadres you cover I found nobody named {names}."),
    "training_names_ambiguous": N_(
        "These names match cadres in several villages: {names}. Nothing was recorded."
    ),
    "training_names_missing": N_("Name at least one cadre before the date."),
    "post_required": N_("Only an approver can record a training for other cadres."),
}


def _usage(t: Translator, identity: Identity) -> str:
    lines = [t(USAGE_CADRE)] if identity.cadre is not None else []
    if Role.APPROVER in identity.roles:
        lines.append(t(USAGE_APPROVER))
    return escape("\n".join(lines))


def _error(t: Translator, exc: DomainError) -> str:
    msgid = ERRORS.get(exc.code)
    if msgid is None:
        return t("Sorry, that did not work ({code}).", code=escape(exc.code))
    return t(msgid, **{k: escape(str(v)) for k, v in exc.params.items()})


def _course_text(t: Translator, course: training.Course) -> str:
    text = t(
        "{day}, {level}, {days} days",
        day=long_date(t, course.day),
        level=level_text(t, course.level),
        days=course.days,
    )
    return text + (f"《{escape(course.topic)}》" if course.topic else "")


async def record_training(req: Request) -> Reply:
    t, identity = req.t, req.me
    args = req.event.args
    if not args:
        return Reply.text(_usage(t, identity))
    try:
        parsed = parse(args, req.today())
    except ParseError as exc:
        hint = escape(t(PARSE_ERRORS[exc.part], text=exc.text))
        return Reply.text(hint + "\n" + _usage(t, identity))
    pack, now, zone = req.pack, req.now(), req.zone
    try:
        if parsed.names:
            done = await training.record_for_names(
                req.session, pack, identity.person_id, parsed.names, parsed.course, now, zone
            )
        elif identity.cadre is not None:
            await training.record_own(
                req.session, pack, identity.cadre.cadre_id, identity.person_id, parsed.course,
                now, zone,
            )  # fmt: skip
            course = _course_text(t, parsed.course)
            return Reply.text("🎓 " + t("Training recorded: {course}", course=course))
        else:
            return Reply.text(_usage(t, identity))
    except DomainError as exc:
        return Reply.text(_error(t, exc))
    lines = []
    if done.trainings:
        names = t(", ").join(escape(name) for name, _ in done.trainings)
        course = _course_text(t, parsed.course)
        lines.append(
            "🎓 " + t("Training recorded for {names}: {course}", names=names, course=course)
        )
    if done.skipped:
        skipped = t(", ").join(escape(name) for name in done.skipped)
        lines.append(t("Already on record, not added again: {names}.", names=skipped))
    return Reply.text("\n".join(lines))


async def my_trainings(req: Request) -> Reply:
    t = req.t
    mine = await training.my_trainings(req.session, req.pack, req.cadre_id, req.today())
    lines = ["<b>" + t("My trainings") + "</b>"]
    for row in mine.trainings:
        line = t("{day}, {level}, {days} days", day=short_date(t, row.day),
                 level=level_text(t, row.level), days=row.days)  # fmt: skip
        lines.append("• " + line + (f"《{escape(row.topic)}》" if row.topic else ""))
    if not mine.trainings:
        lines.append(t("None recorded yet."))
    year = t("This year: {sessions} training(s), {days} days.", sessions=mine.year_sessions,
             days=mine.year_days)  # fmt: skip
    lines.append(("✅ " if mine.year_ok else "⚠️ ") + year)
    if mine.term_required:
        term = t(
            "This term (until {day}): {counted} county-level or higher, at least {required} "
            "required.",
            day=long_date(t, mine.term_end), counted=mine.term_counted,
            required=mine.term_required,
        )  # fmt: skip
        lines.append(("✅ " if mine.term_counted >= mine.term_required else "⚠️ ") + term)
    return Reply.text("\n".join(lines))


def routes() -> Router:
    router = Router("training")
    router.command("training", record_training, roles={Role.CADRE, Role.APPROVER})
    router.command("mytraining", my_trainings, roles={Role.CADRE})
    return router
