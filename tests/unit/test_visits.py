"""Logging visits: validation, photos and location, who may visit what, the risk flag reaching
the township approver and nobody else, and the one-line form."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import VisitMode
from models.tables import ApproverPost, Person
from models.workflow import OutboxMessage, Visit, VisitPhoto
from services.clock import FixedClock
from services.errors import DomainError
from services.policy_loading import load_pack
from services.visits.my_households import my_households
from services.visits.one_line import (
    TOPIC_WORDS,
    parse_one_line,
    problems_from_notes,
    risk_from_notes,
)
from services.visits.problem_words import named_problems
from services.visits.quick_visits import answered, log_quick, quick_visit
from services.visits.records import CHECKS, Check, PhotoIn, log_visit, visited_today
from tests.factories import (
    bind_telegram,
    seed_roster,
    telegram_chat,
    unbind_telegram,
)
from tests.presence_factories import ZONE
from tests.visit_factories import VisitWorld, seed_visit_world

PACK = load_pack("ganzhou-2021")


@pytest.fixture
async def world(session: AsyncSession, clock: FixedClock) -> VisitWorld:
    roster = await seed_roster(session, clock.now())
    world = await seed_visit_world(session, roster, clock.now())
    # The approvers have opened the bot, so they can be written to.
    for number, name in enumerate(["刘洋", "陈静", "孙丽"], start=1):
        bind_telegram(session, world.people[name], 7000 + number)
    await session.flush()
    return world


def ids(world: VisitWorld, cadre: str, household: str) -> tuple[int, int]:
    cadre_id, household_id = world.cadres[cadre].id, world.households[household].id
    assert cadre_id is not None and household_id is not None
    return cadre_id, household_id


async def outbox(session: AsyncSession) -> list[OutboxMessage]:
    return list((await session.exec(select(OutboxMessage))).all())


async def test_a_full_visit_is_recorded(
    session: AsyncSession, clock: FixedClock, world: VisitWorld
) -> None:
    cadre, household = ids(world, "王芳", "张伟明")
    photo = PhotoIn("FILE-1", "U1", clock.now(), file_size=54321, width=1280, height=960)
    saved = await log_visit(
        session,
        cadre_id=cadre,
        household_id=household,
        mode="in_person",
        pack=PACK,
        now=clock.now(),
        checks={"housing": Check(ok=False, note="房屋漏雨")},
        notes="  家里三口人  ",
        photos=[photo],
        location=(25.861, 115.012),
        zone=ZONE,
    )
    assert saved.counted and saved.target.paired
    assert saved.problems == ("housing",)
    assert (saved.photos, saved.has_location, saved.risk) == (1, True, False)
    visit = await session.get(Visit, saved.visit_id)
    assert visit is not None
    checks = json.loads(visit.checks)
    assert list(checks) == list(CHECKS)
    assert checks["housing"] == {"ok": False, "note": "房屋漏雨"}
    assert checks["water"] == {"ok": True, "note": ""}
    assert (visit.notes, visit.latitude, visit.longitude) == ("家里三口人", 25.861, 115.012)
    assert visit.visited_at == clock.now()
    stored = (await session.exec(select(VisitPhoto))).one()
    assert (stored.file_id, stored.file_unique_id, stored.file_size) == ("FILE-1", "U1", 54321)
    assert (stored.width, stored.height, stored.received_at) == (1280, 960, clock.now())
    assert await outbox(session) == []


async def test_no_location_never_blocks_saving(
    session: AsyncSession, clock: FixedClock, world: VisitWorld
) -> None:
    cadre, household = ids(world, "王芳", "李秀英")
    saved = await log_visit(
        session, cadre_id=cadre, household_id=household, mode=VisitMode.IN_PERSON,
        pack=PACK, now=clock.now(), zone=ZONE,
    )  # fmt: skip
    visit = await session.get(Visit, saved.visit_id)
    assert visit is not None and visit.latitude is None and visit.longitude is None
    assert not saved.has_location and saved.counted


async def test_phone_contact_is_recorded_but_not_counted(
    session: AsyncSession, clock: FixedClock, world: VisitWorld
) -> None:
    cadre, household = ids(world, "王芳", "张伟明")
    saved = await log_visit(
        session,
        cadre_id=cadre,
        household_id=household,
        mode="phone",
        pack=PACK,
        now=clock.now(),
        zone=ZONE,
    )
    assert saved.mode is VisitMode.PHONE and not saved.counted


async def test_a_teammate_may_cover_but_it_does_not_count_and_outsiders_may_not(
    session: AsyncSession, clock: FixedClock, world: VisitWorld
) -> None:
    li, household = ids(world, "李强", "张伟明")
    saved = await log_visit(
        session,
        cadre_id=li,
        household_id=household,
        mode="in_person",
        pack=PACK,
        now=clock.now(),
        zone=ZONE,
    )
    assert not saved.target.paired and not saved.counted
    zhao, _ = ids(world, "赵敏", "张伟明")
    with pytest.raises(DomainError) as caught:
        await log_visit(
            session, cadre_id=zhao, household_id=household, mode="in_person", pack=PACK,
            now=clock.now(), zone=ZONE,
        )  # fmt: skip
    assert caught.value.code == "visit_not_allowed"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"mode": "carrier_pigeon"}, "visit_mode_invalid"),
        ({"checks": {"happiness": Check(ok=False)}}, "visit_check_unknown"),
        ({"notes": "长" * 1001}, "visit_note_too_long"),
        ({"checks": {"food": Check(ok=False, note="缺" * 201)}}, "visit_note_too_long"),
        ({"location": (91.0, 115.0)}, "visit_location_invalid"),
        ({"location": (float("nan"), 115.0)}, "visit_location_invalid"),
        ({"household_id": 99999}, "visit_household_unknown"),
        ({"visited_at_offset": timedelta(hours=1)}, "visit_in_future"),
        ({"photos": 11}, "visit_too_many_photos"),
    ],
)
async def test_invalid_visits_are_refused_with_a_code(
    session: AsyncSession, clock: FixedClock, world: VisitWorld, change: dict, code: str
) -> None:
    cadre, household = ids(world, "王芳", "张伟明")
    change = dict(change)  # shared by the test's variants: never edit the original
    args: dict = {
        "cadre_id": cadre, "household_id": household, "mode": "in_person", "pack": PACK,
        "zone": ZONE,
        "now": clock.now(),
    }  # fmt: skip
    if "visited_at_offset" in change:
        args["visited_at"] = clock.now() + change.pop("visited_at_offset")
    if "photos" in change:
        args["photos"] = [
            PhotoIn(f"F{i}", f"U{i}", clock.now()) for i in range(change.pop("photos"))
        ]
    args.update(change)
    with pytest.raises(DomainError) as caught:
        await log_visit(session, **args)
    assert caught.value.code == code
    assert (await session.exec(select(Visit))).all() == []


async def test_risk_flag_reaches_the_township_approver_and_nobody_else(
    session: AsyncSession, clock: FixedClock, world: VisitWorld
) -> None:
    cadre, household = ids(world, "王芳", "张伟明")
    saved = await log_visit(
        session,
        cadre_id=cadre,
        household_id=household,
        mode="in_person",
        pack=PACK,
        now=clock.now(),
        checks={"medical": Check(ok=False, note="户主重病住院")},
        risk=True,
        risk_note="医疗费用高，有返贫风险",
        zone=ZONE,
    )
    assert saved.risk and saved.approvers_told == 1
    rows = await outbox(session)
    assert len(rows) == 1
    row = rows[0]
    liu = world.people["刘洋"]
    liu_chat = await telegram_chat(session, liu)
    assert (row.person_id, row.chat_id, row.is_group) == (liu.id, liu_chat, False)
    assert row.template == "visit.risk"
    assert row.dedup_key == f"visit-risk:{saved.visit_id}:{liu.id}"
    params = json.loads(row.params)
    assert params["household"] == "张伟明" and params["village"] == "下寨村"
    assert params["cadre"] == "王芳" and params["visited_on"] == "2026-11-23"
    assert params["problems"] == [{"check": "medical", "note": "户主重病住院"}]
    assert params["note"] == "医疗费用高，有返贫风险"
    # Not 茅店镇's approver, not the county office.
    others = {world.people["陈静"].id, world.people["孙丽"].id}
    assert not others & {r.person_id for r in rows}


async def test_risk_flag_goes_to_every_holder_of_the_post_who_can_be_reached(
    session: AsyncSession, clock: FixedClock, world: VisitWorld
) -> None:
    township = world.roster.township.id
    deputy = Person(name="何平", phone="13900000031")
    unregistered = Person(name="周亮", phone="13900000032")
    session.add_all([deputy, unregistered])
    await session.flush()
    bind_telegram(session, deputy, 7100)
    for person in (deputy, unregistered):
        session.add(
            ApproverPost(
                kind="township_party_committee", person_id=person.id or 0,
                jurisdiction="township", jurisdiction_key=f"township:{township}",
                township_id=township,
            )
        )  # fmt: skip
    await session.flush()
    cadre, household = ids(world, "张伟", "区志强")
    saved = await log_visit(
        session, cadre_id=cadre, household_id=household, mode="phone", pack=PACK,
        now=clock.now(), risk=True, zone=ZONE,
    )  # fmt: skip
    assert saved.approvers_told == 2
    assert {r.person_id for r in await outbox(session)} == {world.people["刘洋"].id, deputy.id}


async def test_risk_flag_with_nobody_to_tell_is_still_saved(
    session: AsyncSession, clock: FixedClock, world: VisitWorld
) -> None:
    await unbind_telegram(session, world.people["陈静"])
    cadre, household = ids(world, "赵敏", "单雄信")
    saved = await log_visit(
        session, cadre_id=cadre, household_id=household, mode="in_person", pack=PACK,
        now=clock.now(), risk=True, zone=ZONE,
    )  # fmt: skip
    assert saved.risk and saved.approvers_told == 0
    assert await outbox(session) == []


# --- one line ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names", "mode"),
    [
        ("张伟明", [("张伟明", "")], VisitMode.IN_PERSON),
        ("张伟明 电话 孩子辍学", [("张伟明", "孩子辍学")], VisitMode.PHONE),
        ("张伟明 线上", [("张伟明", "")], VisitMode.ONLINE),
        ("H0001 入户 一切正常", [("H0001", "一切正常")], VisitMode.IN_PERSON),
        ("张伟明 电话联系，都好", [("张伟明", "电话联系，都好")], VisitMode.PHONE),
        ("zhang wei ming phone ok", [("zhang wei ming", "ok")], VisitMode.PHONE),
        ("张伟明 一切正常", [("张伟明", "一切正常")], VisitMode.IN_PERSON),
        (
            "zhang weiming roof leaks",
            [
                ("zhang weiming roof", "leaks"),
                ("zhang weiming", "roof leaks"),
                ("zhang", "weiming roof leaks"),
            ],
            VisitMode.IN_PERSON,
        ),
    ],
)
def test_one_line_parsing(text: str, names: list[tuple[str, str]], mode: VisitMode) -> None:
    parsed = parse_one_line(text)
    assert list(parsed.names) == names
    assert parsed.mode is mode


@pytest.mark.parametrize(
    ("notes", "problems"),
    [
        ("一切正常", {}),
        ("房屋漏雨，孩子辍学", {"housing": "房屋漏雨", "schooling": "孩子辍学"}),
        ("饮水没问题，收入正常", {}),
        ("吃水困难", {"water": "吃水困难"}),
        ("缺粮", {"food": "缺粮"}),
        ("看病难；务工收入低", {"medical": "看病难", "income": "务工收入低"}),
        ("冬天没有棉被", {"clothing": "冬天没有棉被"}),
        ("roof leaks, no water", {"housing": "roof leaks", "water": "no water"}),
        ("income fine, child not in school", {"schooling": "child not in school"}),
    ],
)
def test_problems_read_from_notes(notes: str, problems: dict[str, str]) -> None:
    assert problems_from_notes(notes) == problems


def test_every_checklist_item_has_its_words() -> None:
    assert tuple(TOPIC_WORDS) == CHECKS


@pytest.mark.parametrize(
    ("notes", "risk"),
    [
        ("有返贫风险", "有返贫风险"),
        ("收入低，存在致贫风险", "存在致贫风险"),
        ("无返贫风险，一切正常", None),
        ("家里都好", None),
        ("risk of falling back", "risk of falling back"),
        ("no risk", None),
    ],
)
def test_risk_read_from_notes(notes: str, risk: str | None) -> None:
    assert risk_from_notes(notes) == risk


async def test_one_line_visit_saves_at_once_when_the_name_is_sure(
    session: AsyncSession, clock: FixedClock, world: VisitWorld
) -> None:
    cadre, household = ids(world, "王芳", "张伟明")
    outcome = await quick_visit(
        session, "张为明 电话 孩子辍学", cadre_id=cadre, pack=PACK, now=clock.now(), zone=ZONE
    )
    # 张为明 is exactly a household of the village, but 王芳's own pairing 张伟明 sounds
    # the same: she is asked.
    assert outcome.saved is None and outcome.choices is not None
    assert [m.head_name for m in outcome.choices.matches][:2] == ["张为明", "张伟明"]

    # Pinyin is a guess: asked too.
    outcome = await quick_visit(
        session, "zhang weiming 电话", cadre_id=cadre, pack=PACK, now=clock.now(), zone=ZONE
    )
    assert outcome.saved is None and outcome.choices is not None
    assert outcome.choices.matches[0].household_id == household

    # An innocuous note: saved at once, the note kept for the confirmation.
    outcome = await quick_visit(
        session, "张伟明 电话 都好", cadre_id=cadre, pack=PACK, now=clock.now(), zone=ZONE
    )
    saved = outcome.saved
    assert saved is not None and saved.target.household_id == household
    assert saved.mode is VisitMode.PHONE and not saved.counted
    assert saved.problems == () and saved.notes == "都好"


async def test_one_line_notes_naming_a_problem_wait_for_the_item(
    session: AsyncSession, clock: FixedClock, world: VisitWorld
) -> None:
    cadre, household = ids(world, "王芳", "张伟明")
    outcome = await quick_visit(
        session, "张伟明 电话 孩子辍学，房屋漏雨", cadre_id=cadre, pack=PACK, now=clock.now(),
        zone=ZONE,
    )  # fmt: skip
    assert outcome.saved is None and outcome.household_id == household
    assert outcome.named == ("schooling", "housing") and outcome.quick is not None
    assert (await session.exec(select(Visit))).all() == []

    saved = await log_quick(
        session, cadre_id=cadre, household_id=household,
        quick=answered(outcome.quick, "housing"), pack=PACK, now=clock.now(), zone=ZONE,
    )  # fmt: skip
    assert saved.problems == ("housing",) and saved.notes == "孩子辍学，房屋漏雨"
    fine = answered(outcome.quick, None)
    assert fine.checks == {} and fine.notes == "孩子辍学，房屋漏雨"


@pytest.mark.parametrize(
    ("cadre", "household", "hours_ago", "asked"),
    [
        ("王芳", "张伟明", 1, True),  # earlier today
        ("王芳", "张伟明", 0, True),
        ("王芳", "张伟明", 24, False),  # yesterday
        ("王芳", "李秀英", 1, False),  # another household
        ("李强", "张伟明", 1, False),  # another cadre's (a teammate covering)
    ],
)
async def test_a_second_visit_the_same_local_day_is_asked_about(
    session: AsyncSession, clock: FixedClock, world: VisitWorld, cadre: str, household: str,
    hours_ago: int, asked: bool,
) -> None:  # fmt: skip
    wang, zhang = ids(world, "王芳", "张伟明")
    await log_visit(
        session, cadre_id=wang, household_id=zhang, mode="in_person", pack=PACK,
        now=clock.now(), visited_at=clock.now() - timedelta(hours=hours_ago), zone=ZONE,
    )  # fmt: skip
    who, where = ids(world, cadre, household)
    assert await visited_today(session, who, where, now=clock.now(), zone=ZONE) is asked
    outcome = await quick_visit(
        session, f"{world.households[household].code} 入户 都好", cadre_id=who, pack=PACK,
        now=clock.now(), zone=ZONE,
    )  # fmt: skip
    assert (outcome.saved is None) is asked and outcome.again is asked


async def test_the_day_is_the_local_day(
    session: AsyncSession, clock: FixedClock, world: VisitWorld
) -> None:
    wang, zhang = ids(world, "王芳", "张伟明")
    local = clock.now().astimezone(ZONE)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    # 23:50 local yesterday: another day. 00:10 local today is 16:10 UTC yesterday: today.
    for minutes, today in ((-10, False), (10, True)):
        await log_visit(
            session, cadre_id=wang, household_id=zhang, mode="in_person", pack=PACK,
            now=clock.now(), visited_at=midnight + timedelta(minutes=minutes), zone=ZONE,
        )  # fmt: skip
        assert await visited_today(session, wang, zhang, now=clock.now(), zone=ZONE) is today


@pytest.mark.parametrize(
    ("notes", "named"),
    [
        ("老人腿脚不便，需要轮椅", ("medical",)),
        ("孩子辍学", ("schooling",)),
        ("房屋是危房", ("housing",)),
        ("家里停水三天", ("water",)),
        ("今年收入下降", ("income",)),
        ("冬天缺棉被，衣服单薄", ("clothing",)),
        ("家里没粮了", ("food",)),
        ("孩子辍学，户主生病", ("schooling", "medical")),
        ("the roof leaks", ("housing",)),
        # nothing named, or said to be fine: one step
        ("都好", ()),
        ("门前道路已硬化", ()),
        ("吃穿不愁，收入稳定", ()),
        ("一切正常", ()),
        ("no problems", ()),
        ("", ()),
    ],
)
def test_notes_naming_a_problem(notes: str, named: tuple[str, ...]) -> None:
    assert named_problems(notes) == named


async def test_one_line_visit_asks_about_a_typo(
    session: AsyncSession, clock: FixedClock, world: VisitWorld
) -> None:
    cadre, _ = ids(world, "王芳", "李秀英")
    outcome = await quick_visit(
        session, "李秀音", cadre_id=cadre, pack=PACK, now=clock.now(), zone=ZONE
    )
    assert outcome.saved is None and outcome.choices is not None
    assert outcome.choices.matches[0].head_name == "李秀英"
    assert (await session.exec(select(Visit))).all() == []


async def test_one_line_visit_with_nothing_found(
    session: AsyncSession, clock: FixedClock, world: VisitWorld
) -> None:
    cadre, _ = ids(world, "王芳", "李秀英")
    outcome = await quick_visit(
        session, "王大锤 入户", cadre_id=cadre, pack=PACK, now=clock.now(), zone=ZONE
    )
    assert outcome.saved is None and outcome.choices is not None
    assert outcome.choices.matches == ()


async def test_one_line_risk_words_raise_the_flag(
    session: AsyncSession, clock: FixedClock, world: VisitWorld
) -> None:
    cadre, _ = ids(world, "王芳", "张伟明")
    outcome = await quick_visit(
        session,
        "H0001 户主重病住院，有返贫风险",
        cadre_id=cadre,
        pack=PACK,
        now=clock.now(),
        zone=ZONE,
    )
    assert outcome.named == ("medical",) and outcome.quick is not None
    assert outcome.household_id is not None
    saved = await log_quick(
        session, cadre_id=cadre, household_id=outcome.household_id,
        quick=answered(outcome.quick, "medical"), pack=PACK, now=clock.now(), zone=ZONE,
    )  # fmt: skip
    assert saved.risk and saved.problems == ("medical",)
    assert [r.person_id for r in await outbox(session)] == [world.people["刘洋"].id]


async def test_my_households_show_last_visit_and_quarter_status(
    session: AsyncSession, clock: FixedClock, world: VisitWorld
) -> None:
    cadre, household = ids(world, "王芳", "张伟明")
    earlier = clock.now() - timedelta(days=70)  # 2026-09-14: last quarter
    await log_visit(
        session, cadre_id=cadre, household_id=household, mode="in_person", pack=PACK,
        now=clock.now(), visited_at=earlier, zone=ZONE,
    )  # fmt: skip
    rows = await my_households(session, cadre, pack=PACK, now=clock.now(), zone=ZONE)
    assert [(r.code, r.head_name, r.village) for r in rows] == [
        ("H0001", "张伟明", "下寨村"),
        ("H0002", "李秀英", "下寨村"),
    ]
    assert rows[0].last_visit_at == earlier and not rows[0].done_this_quarter
    assert rows[1].last_visit_at is None

    await log_visit(
        session,
        cadre_id=cadre,
        household_id=household,
        mode="phone",
        pack=PACK,
        now=clock.now(),
        zone=ZONE,
    )
    rows = await my_households(session, cadre, pack=PACK, now=clock.now(), zone=ZONE)
    assert rows[0].last_visit_mode is VisitMode.PHONE and not rows[0].done_this_quarter
    await log_visit(
        session, cadre_id=cadre, household_id=household, mode="in_person", pack=PACK,
        now=clock.now(), zone=ZONE,
    )  # fmt: skip
    rows = await my_households(session, cadre, pack=PACK, now=clock.now(), zone=ZONE)
    assert rows[0].done_this_quarter
