"""Every outbox template: its parameters have a declared shape next to the service that
enqueues them, and a representative message (built by the services' own builders where
they have one) renders in zh and in en without an error, an empty text, a placeholder left
over or, in zh, a text that fell back to its English msgid."""

from __future__ import annotations

import gettext
import re
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import pytest

from handlers import notices
from handlers.notices import Rendered, render, templates
from locales import Catalogs, Translator
from models.enums import RecallState
from models.presence import Recall
from services.messaging import templates as shapes
from services.policy_loading import load_pack
from services.supervision.monthly_check_sheet import TeamLine
from services.supervision.recall import card_params

GANZHOU = load_pack("ganzhou-2021")
RECALL = Recall(
    id=7, cadre_id=1, ground="absent_not_correcting", note="两次无故脱岗",
    state=RecallState.PROPOSED, proposed_at=datetime(2026, 11, 23, tzinfo=UTC),
)  # fmt: skip
RECALL_CARD = card_params(GANZHOU, RECALL, "王芳", "刘洋")
LEAVE_DATES = {"start": "2026-11-24", "end": "2026-11-26"}
LEAVE_CARD = {
    "leave_id": 12, "cadre": "王芳", "place": "江口镇下寨村", "kind": "personal",
    **LEAVE_DATES, "days": 3, "reason": "家中有事", "emergency": False, "written": True,
    "post": "township_party_committee", "replacement": False,
    "months": [{"year": 2026, "month": 11, "counted": 14, "possible": 19, "minimum": 20}],
    "empty_days": ["2026-11-20"],
}  # fmt: skip
PERIOD = "2026H2"
TEAM = {"village": "下寨村", "township": "江口镇"}
CADRES = [{"name": "王芳", **TEAM}]

SAMPLES: dict[str, dict[str, Any]] = {
    "reply": {"text": "已收到。", "buttons": [[["查看", "leave:12"]]]},
    "account.bound_by_mobile": {"name": "王芳"},
    "leave.card": LEAVE_CARD,
    "leave.emergency": {**LEAVE_CARD, "emergency": True, "written": False},
    "leave.decided": {"leave_id": 12, "approved": False, "approver": "刘洋", "note": "时间冲突",
                      "kind": "sick", **LEAVE_DATES},
    "leave.away": {"cadre": "王芳", **LEAVE_DATES},
    "leave.replacement": {"leave_id": 12, "cadre": "王芳", "days": 16, **LEAVE_DATES},
    "leave.withdrawn": {"leave_id": 12, "cadre": "王芳"},
    "leave.closed": {"leave_id": 12, "cadre": "张伟", "why": "term_over", **LEAVE_DATES},
    "leave.remind_approver": {"leave_id": 12, "cadre": "王芳", "hours": 25, **LEAVE_DATES},
    "leave.remind_back": {"leave_id": 12, "end": "2026-11-26"},
    "leave.remind_complete": {"leave_id": 12, "due": "2026-11-26", "overdue": True,
                              **LEAVE_DATES},
    "attendance.draft": {"sheet_id": 3, "township": "江口镇", "year": 2026, "month": 11,
                         "cadres": 4, "met": 3, "not_met": ["李强"], "absent": 1,
                         "allowance": "1900", "transport": "90.00", "confirmed": False,
                         "in_village": 80, "presumed": 74},
    "presence.unreachable": {"cadre": "王芳", "leave_id": 12, "own": False, "year": 2026,
                             "month": 11, "possible": 17, "minimum": 20},
    "sanction.notice": {"cadre": "王芳", "day": "2026-11-23", "count": 1},
    "sanction.no_award": {"cadre": "王芳", "day": "2026-11-23", "count": 1, "year": 2026},
    "spotcheck.ask": {"target_id": 5, "deadline": "2026-11-23T02:30:00+00:00",
                      "local_time": "10:30", "minutes": 30},
    "spotcheck.fine": {"target_id": 5, "cadre": "王芳", "reason": "inside",
                       "distance_m": 850, "day": "2026-11-23"},
    "spotcheck.suspected": {"target_id": 5, "cadre": "王芳", "reason": "outside",
                            "distance_m": 12400, "day": "2026-11-23"},
    "spotcheck.missed": {"target_id": 5, "day": "2026-11-23"},
    "spotcheck.explained": {"target_id": 5, "cadre": "王芳", "day": "2026-11-23",
                            "text": "去县里开会"},
    "spotcheck.decided": {"target_id": 5, "confirmed": True, "day": "2026-11-23"},
    "recall.card": RECALL_CARD,
    "recall.decided": {**RECALL_CARD, "proposer": "", "approved": True, "by": "陈县长"},
    "recall.replace": {**RECALL_CARD, "proposer": "", "approved": True, "by": "陈县长"},
    "recall.cadre": {**RECALL_CARD, "proposer": "", "approved": True, "by": "陈县长"},
    "recall.replaced": {**RECALL_CARD, "proposer": "", "by": "赵处长"},
    "training.recorded": {"day": "2026-11-20", "level": "county", "days": 2,
                          "topic": "乡村振兴政策"},
    "training.year_due": {"year": 2026, "sessions": 0, "days": 1, "need_sessions": None,
                          "need_days": 3},
    "training.term_due": {"term_end": "2027-05-31", "required": 1},
    "training.term_office": {"term_end": "2027-05-31", "required": 1, "cadres": CADRES},
    "team_report.received": {"period": PERIOD, **TEAM, "leader": "王芳",
                             "text": "本半年走访农户48户。", "revised": True},
    "team_report.due": {"period": PERIOD, "due": "2026-12-31", "overdue": False},
    "team_report.missing": {"period": PERIOD, "due": "2026-12-31", "overdue": True,
                            "teams": [TEAM]},
    "calendar.holidays_unknown": {"year": 2027},
    "meeting.leader_office": {"period": PERIOD, "cadence": "half_year", "teams": 6},
    "meeting.leader_group": {"period": "2026Q4", "cadence": "quarterly"},
    "unit.duties": {
        "duties": [{"duty": "unit_head_report", "period": PERIOD, "cadence": "half_year"}],
        "villages": [{**TEAM, "cadres": 2}],
    },
    "term_end.cadre": {"term_end": "2027-02-20", "days_left": 90},
    "term_end.list": {"term_end": "2027-02-20", "days_left": 30, "cadres": CADRES,
                      "to": "unit"},
    "dispatch.summary": {
        "county": "赣县区", "period": {"from": "2026-11", "to": "2026-11"},
        "teams": [asdict(TeamLine("江口镇", "下寨村", cadres=3, met=2, counted=55,
                                  minimum=60, leave=4, absent=1, paired=6, visited=5))],
    },
    "dispatch.sheet": {"county": "赣县区", "period": {"from": "2026-10", "to": "2026-12"},
                       "teams": 2, "cadres": 5, "below_minimum": 1, "absent": 1},
    "visit.risk": {"visit_id": 9, "household": "张伟明", "code": "XZ-001", **TEAM,
                   "cadre": "王芳", "mode": "in_person", "visited_on": "2026-11-23",
                   "problems": [{"check": "food", "note": "粮食不够吃"}], "note": "需要跟进"},
    "visit.risk_remind": {"visit_id": 9, "household": "张伟明", "code": "XZ-001", **TEAM,
                          "cadre": "王芳", "mode": "phone", "visited_on": "2026-11-23",
                          "problems": [], "note": "需要跟进", "hours": 24},
    "visit.risk_acked": {"visit_id": 9, "household": "张伟明", "code": "XZ-001",
                         "visited_on": "2026-11-23", "by": "刘洋"},
    "visit.due": {"quarter": "2026Q4", "last_day": "2026-12-31", "days_left": 28,
                  "min_per_quarter": 1,
                  "households": [{"name": "张伟明", "code": "XZ-001"}]},
}  # fmt: skip

# Texts made of parameters only: the user's own words, nothing of ours to translate.
NOTHING_TO_TRANSLATE = {"reply"}
CJK = re.compile(r"[\u4e00-\u9fff]")


class _Recording(gettext.NullTranslations):
    """The zh catalog, noting every msgid it has no translation for."""

    def __init__(self, catalog: gettext.NullTranslations) -> None:
        super().__init__()
        self.catalog = catalog
        self.missing: list[str] = []

    def gettext(self, message: str) -> str:
        text = self.catalog.gettext(message)
        if text == message and CJK.search(message) is None and message.strip():
            self.missing.append(message)
        return text

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        text = self.catalog.ngettext(singular, plural, n)
        if text in (singular, plural):
            self.missing.append(singular)
        return text


def _product_templates() -> set[str]:
    """The registered templates, less the ones other tests register for themselves."""
    templates()  # loads every notice module
    return {
        name for name, fn in notices._RENDERERS.items() if not fn.__module__.startswith("tests")
    }


def test_every_template_has_a_shape_and_a_sample() -> None:
    registered = _product_templates()
    assert registered == set(shapes.shapes()), "a renderer without a shape or the reverse"
    assert registered == set(SAMPLES), "add a representative message for each template"


@pytest.mark.parametrize("template", sorted(SAMPLES))
def test_the_sample_fits_its_shape(template: str) -> None:
    assert shapes.problems(template, SAMPLES[template]) is None


def test_a_drifted_parameter_is_caught() -> None:
    assert "days_left" in (
        shapes.problems("visit.due", {**SAMPLES["visit.due"], "days_left": "28"}) or ""
    )
    assert "unexpected ['extra']" in (
        shapes.problems("leave.remind_back", {**SAMPLES["leave.remind_back"], "extra": 1}) or ""
    )
    assert "missing ['end']" in (shapes.problems("leave.remind_back", {"leave_id": 1}) or "")
    assert shapes.problems("spotcheck.decided", {**SAMPLES["spotcheck.decided"], "target_id": True})


def _text(rendered: Rendered) -> str:
    assert isinstance(rendered, Rendered)
    return rendered.text


@pytest.mark.parametrize("template", sorted(SAMPLES))
def test_every_template_renders_in_zh_and_en(template: str) -> None:
    catalogs = Catalogs()
    recording = _Recording(catalogs.get("zh")._catalog)
    zh = _text(render(template, Translator("zh", recording), SAMPLES[template]))
    en = _text(render(template, catalogs.get("en"), SAMPLES[template]))
    for language, text in (("zh", zh), ("en", en)):
        assert text.strip(), f"{template} renders empty in {language}"
        assert re.search(r"\{\w+\}", text) is None, f"{template} ({language}): {text}"
    if template not in NOTHING_TO_TRANSLATE:
        assert recording.missing == [], f"{template}: untranslated in zh"
        assert zh != en, f"{template} reads the same in zh and en"


def test_only_misleading_duplicates_are_sent_at_most_once() -> None:
    """Delivery by importance: every template is sent again when a send was unsure, except
    this one, whose duplicate would mislead (a spot check's question read as a second
    check). A retried reply is sent again: it says it is a late one (（补发）), so a
    duplicate reads as the same confirmation. A new entry here is a decision: say why."""
    from handlers import notices

    # (Test modules register test.* templates of their own.)
    product = {t for t in notices.at_most_once() if not t.startswith("test.")}
    assert product == {"spotcheck.ask"}
    assert notices.resend_when_unsure("leave.card") and notices.resend_when_unsure("visit.due")
