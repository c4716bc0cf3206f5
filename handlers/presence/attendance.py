"""/sheet (the township's attendance sheet, 考勤表, of a month again), /fix (the township
corrects one day, the reason recorded) and the Confirm button on a drafted sheet, which
locks it and sends back the confirmed workbook."""

from __future__ import annotations

import re
from datetime import date
from html import escape

from handlers.core.request import Request
from handlers.core.routing import Router
from handlers.core.views import Document, Edit, Reply, Toast
from handlers.formatting import long_date
from handlers.leave.parse import parse_date
from handlers.presence.notices import attendance_draft
from handlers.presence.payloads import SheetCb
from handlers.presence.views import ERRORS, class_label, error_text, month_label, sheet_text
from locales import office_translator
from models.enums import DayClass, Role, SheetState
from services.calendar import load_calendar
from services.errors import DomainError
from services.presence import attendance
from services.presence.attendance_workbook import file_name

CLASS_WORDS = {
    "在村": DayClass.IN_VILLAGE,
    "驻村": DayClass.IN_VILLAGE,
    "公差": DayClass.OFFICIAL_BUSINESS,
    "出差": DayClass.OFFICIAL_BUSINESS,
    "会议": DayClass.OFFICIAL_BUSINESS,
    "开会": DayClass.OFFICIAL_BUSINESS,
    "培训": DayClass.OFFICIAL_BUSINESS,
    "事假": DayClass.PERSONAL_LEAVE,
    "病假": DayClass.SICK_LEAVE,
    "年假": DayClass.ANNUAL_LEAVE,
    "年休假": DayClass.ANNUAL_LEAVE,
    "脱岗": DayClass.ABSENT,
    "无故脱岗": DayClass.ABSENT,
    "旷工": DayClass.ABSENT,
    "休息": DayClass.REST,
    **{c.value: c for c in DayClass},
}
_NUMERIC_DATE = re.compile(r"^[\d/\-.月日号]+$")
_YEAR_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_MONTH = re.compile(r"^(\d{1,2})\s*月?(份)?$")


def sheet_month(text: str, day: date) -> tuple[int, int] | None:
    """``2026-11``, ``2026年11月``, ``11月`` or ``11`` (this year's, or last year's when it is
    still to come); nothing: last month."""
    text = text.strip()
    if not text:
        return attendance.previous_month(day)
    if found := _YEAR_MONTH.match(text):
        year, month = int(found[1]), int(found[2])
    elif found := _MONTH.match(text):
        month = int(found[1])
        year = day.year if month <= day.month else day.year - 1
    else:
        return None
    return (year, month) if 1 <= month <= 12 else None


def past_date(text: str, day: date) -> date | None:
    """A date on the sheet: without a year, the latest such date not after today."""
    parsed = parse_date(text, day)
    if parsed is not None and parsed > day and _NUMERIC_DATE.match(text) and len(text) <= 6:
        try:
            parsed = parsed.replace(year=parsed.year - 1)
        except ValueError:  # 2-29 typed early in a leap year: last year had no such day
            return None
    return parsed


async def fix(req: Request) -> Reply:
    t = req.t
    words = req.event.args.split(maxsplit=3)
    now_day = req.today()
    usage = escape(
        t(
            "To correct one day: /fix <name> <date> <class> <reason>, e.g. /fix 李强 11-06 在村 "
            "当天提前返岗. Classes: 在村, 公差, 事假, 病假, 年假, 脱岗, 休息."
        )
    )
    if len(words) < 4:
        return Reply.text(usage)
    name, day_text, class_text, reason = words
    day = past_date(day_text, now_day)
    day_class = CLASS_WORDS.get(class_text.lower())
    if day is None or day_class is None:
        return Reply.text(usage)
    try:
        fixed = await attendance.fix_day(
            req.session, req.pack, await load_calendar(req.session), req.me.person_id,
            name, day, day_class, reason, req.now(), req.zone,
        )  # fmt: skip
    except DomainError as exc:
        return Reply.text(error_text(t, exc))
    before = class_label(t, fixed.before) if fixed.before else "—"
    return Reply.text(
        t(
            "{name}, {day}: {before} → {after}; the reason is recorded. {month}: {counted} "
            "days counted (minimum {minimum}).",
            name=escape(fixed.cadre),
            day=long_date(t, fixed.day),
            before=before,
            after=class_label(t, fixed.after),
            month=month_label(t, fixed.day.year, fixed.day.month),
            counted=fixed.month.counted,
            minimum=fixed.month.minimum,
        )
    )


async def sheet_command(req: Request) -> Reply:
    """``/sheet [month]``: the township's sheet of that month (default: last month), a draft
    with its Confirm button, or the confirmed one."""
    t = req.t
    asked = sheet_month(req.event.args, req.today())
    if asked is None:
        return Reply.text(t(ERRORS["sheet_month_invalid"]))
    try:
        files = await attendance.owned_sheets(
            req.session, req.pack, await load_calendar(req.session),
            req.me.person_id, *asked, req.zone,
        )  # fmt: skip
    except DomainError as exc:
        return Reply.text(error_text(t, exc))
    reply = Reply()
    # One township is the rule; a person holding several gets one document each.
    for file in files:
        params = file.sheet.summary()
        if file.sheet.state is SheetState.DRAFT and file.sheet.sheet_id is not None:
            rendered = attendance_draft(t, params)
            assert isinstance(rendered.buttons, tuple)
            caption, keyboard = rendered.text, rendered.buttons
        else:
            caption, keyboard = sheet_text(t, params), ()
        # The workbook's name is the office's, in Chinese whoever asks.
        name = file_name(file.sheet, office_translator())
        reply.add(Document(name, file.content, caption, keyboard))
    return reply


async def sheet_pressed(req: Request) -> Reply:
    t, identity = req.t, req.identity
    try:
        if identity is None:
            raise DomainError("sheet_not_yours")
        done = await attendance.confirm(
            req.session, req.pack, await load_calendar(req.session),
            req.press(SheetCb).sheet_id, identity.person_id, req.now(), req.zone,
        )  # fmt: skip
    except DomainError as exc:
        return Reply.toast(error_text(t, exc), alert=True)
    verdict = t("Confirmed by {name}; the sheet is locked.", name=escape(done.sheet.confirmed_by))
    if not done.done_now:
        verdict = t("Already confirmed: {verdict}", verdict=verdict)
    reply = Reply([Toast(verdict, alert=not done.done_now)])
    if req.event.origin is None:
        return reply
    return reply.add(
        Edit(None),
        Document(
            file_name(done.sheet, office_translator()),
            done.content,
            sheet_text(t, done.sheet.summary()) + f"\n<b>{verdict}</b>",
        ),
    )


def routes() -> Router:
    router = Router("attendance")
    router.press(SheetCb, sheet_pressed, registered=False)
    router.command("fix", fix, roles={Role.APPROVER})
    router.command("sheet", sheet_command, roles={Role.APPROVER})
    return router
