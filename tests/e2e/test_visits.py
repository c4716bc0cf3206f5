"""走访 end to end: one-line and guided visits, a photo, a location, a visit with none, a risk
flag reaching the township approver (and nobody else) through the outbox relay, /mine and
/coverage, and presses the server refuses."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlmodel import select

from handlers.visits.card import VisitCb
from models.enums import OutboxState, VisitMode
from models.workflow import OutboxMessage, Visit, VisitPhoto
from sandbox.telegram.chats import SentMessage
from sandbox.telegram.users import FakeUser
from tests.e2e.conftest import Harness
from tests.visit_factories import VisitWorld, seed_visit_world


@pytest.fixture
async def world(harness: Harness) -> VisitWorld:
    async with await harness.ctx.uow() as uow:
        world = await seed_visit_world(uow.session, harness.roster, harness.clock.now())
        await uow.commit()
    harness.roster.people.update(world.people)  # so harness.register knows 陈静 and 孙丽
    return world


async def visits(harness: Harness) -> list[Visit]:
    async with await harness.ctx.uow() as uow:
        return list((await uow.session.exec(select(Visit).order_by(Visit.id))).all())  # type: ignore[arg-type]


async def photos(harness: Harness) -> list[VisitPhoto]:
    async with await harness.ctx.uow() as uow:
        return list((await uow.session.exec(select(VisitPhoto))).all())


async def outbox(harness: Harness) -> list[OutboxMessage]:
    async with await harness.ctx.uow() as uow:
        return list((await uow.session.exec(select(OutboxMessage))).all())


async def settled_outbox(harness: Harness) -> list[OutboxMessage]:
    """The outbox once the relay has recorded how every row went."""
    for _ in range(100):
        rows = await outbox(harness)
        if all(r.state != OutboxState.PENDING for r in rows):
            return rows
        await asyncio.sleep(0.05)
    return await outbox(harness)


async def next_card(harness: Harness, user: FakeUser, after: int) -> SentMessage:
    return await harness.sandbox.wait_for_message(user.chat_id, contains="走访 ", after=after)


async def test_one_line_visit_is_saved_at_once(harness: Harness, world: VisitWorld) -> None:
    wang = await harness.register("王芳")
    # A note naming a problem asks which item it concerns before anything is saved.
    question = await harness.say(wang, "/visit 张伟明 电话 孩子辍学")
    assert "备注提到了可能的问题：“孩子辍学”。涉及哪一项？" in question.text
    assert ["不愁穿", "👉 义务教育"] in question.buttons()
    assert question.buttons()[-1] == ["都正常"]
    assert await visits(harness) == []
    await wang.press(question, "👉 义务教育")
    reply = await harness.sandbox.wait_for_message(wang.chat_id, contains="已保存走访")
    assert reply.message_id == question.message_id
    assert "已保存走访：张伟明（H0001），下寨村，电话联系，2026年11月23日。" in reply.text
    assert "发现问题：义务教育。" in reply.text and "其他情况：孩子辍学" in reply.text
    assert "不计入季度走访" in reply.text
    [visit] = await visits(harness)
    assert visit.mode == VisitMode.PHONE and visit.notes == "孩子辍学"
    checks = json.loads(visit.checks)
    assert checks["schooling"] == {"ok": False, "note": "孩子辍学"}
    assert checks["housing"]["ok"] and visit.latitude is None

    # Everything fine, in person by default: counts for the quarter.
    # A second visit the same day is asked about first.
    again = await harness.say(wang, "/visit 张伟明")
    assert "今天已走访过张伟明（H0001）" in again.text
    await wang.press(again, "保存")
    reply = await harness.sandbox.wait_for_message(wang.chat_id, contains="入户走访")
    assert reply.message_id == again.message_id and "计入本季度走访" in reply.text
    assert "一收入两不愁三保障各项均正常" in reply.text

    # A photo can carry the one line as its caption.
    sent = await wang.send_photo(caption="/visit 李秀英 入户 门前道路已硬化", file_size=40000)
    reply = await harness.sandbox.wait_for_message(wang.chat_id, after=sent["message_id"])
    assert "已保存走访：李秀英（H0002）" in reply.text and "照片 1 张" in reply.text
    assert "其他情况：门前道路已硬化" in reply.text  # an innocuous note stays one step
    [photo] = await photos(harness)
    assert photo.file_size == 40000 and photo.visit_id == (await visits(harness))[-1].id


async def test_all_normal_never_hides_the_note(harness: Harness, world: VisitWorld) -> None:
    wang = await harness.register("王芳")
    question = await harness.say(wang, "/visit 张伟明 入户 老人腿脚不便，需要轮椅")
    assert "涉及哪一项？" in question.text and ["👉 基本医疗", "住房安全"] in question.buttons()
    await wang.press(question, "都正常")
    saved = await harness.sandbox.wait_for_message(wang.chat_id, contains="已保存走访")
    assert "一收入两不愁三保障各项均正常" in saved.text
    assert "其他情况：老人腿脚不便，需要轮椅" in saved.text
    [visit] = await visits(harness)
    assert all(c["ok"] for c in json.loads(visit.checks).values())

    # A name not quite right is asked first, then the note's question, then saved.
    choices = await harness.say(wang, "/visit 李秀音 入户 房子漏雨")
    await wang.press(choices, "李秀英 · H0002")
    question = await harness.sandbox.wait_for_message(wang.chat_id, contains="涉及哪一项")
    assert question.message_id == choices.message_id
    await wang.press(question, "👉 住房安全")
    saved = await harness.sandbox.wait_for_message(wang.chat_id, contains="发现问题：住房安全")
    assert "其他情况：房子漏雨" in saved.text
    assert json.loads((await visits(harness))[-1].checks)["housing"]["ok"] is False


async def test_one_line_typo_is_confirmed_by_a_button(harness: Harness, world: VisitWorld) -> None:
    wang = await harness.register("王芳")
    choices = await harness.say(wang, "/visit 李秀音 入户 都好")
    assert "“李秀音”是指哪一户？" in choices.text
    assert choices.buttons()[0][0] == "李秀英 · H0002"
    assert await visits(harness) == []
    await wang.press(choices, "李秀英 · H0002")
    saved = await harness.sandbox.wait_for_message(wang.chat_id, contains="已保存走访")
    assert saved.message_id == choices.message_id  # the question becomes the answer
    [visit] = await visits(harness)
    assert visit.household_id == world.households["李秀英"].id and visit.notes == "都好"

    # One rule: only the code or the exact name goes straight on; a same-sound name asks,
    # in the one line and in the guided form alike.
    same_sound = await harness.say(wang, "/visit 张为明 入户 都好")
    assert "“张为明”是指哪一户？" in same_sound.text
    assert same_sound.buttons() == [["张为明 · H0004", "张伟明 · H0001"]]
    await harness.say(wang, "/visit")
    typed = await harness.say(wang, "张伟民")
    assert "“张伟民”是指哪一户？" in typed.text and typed.buttons()[0][0] == "张伟明 · H0001"
    assert len(await visits(harness)) == 1

    nothing = await harness.say(wang, "/visit 王大锤")
    assert "没有与“王大锤”相符的" in nothing.text and nothing.buttons() == []


async def test_guided_visit_with_a_problem_a_photo_and_a_location(
    harness: Harness, world: VisitWorld
) -> None:
    sandbox = harness.sandbox
    wang = await harness.register("王芳")
    pick = await harness.say(wang, "/visit")
    assert "走访了哪一户" in pick.text
    assert pick.buttons() == [["张伟明 · H0001", "李秀英 · H0002"]]
    await wang.press(pick, "张伟明 · H0001")
    card = await sandbox.wait_for_message(wang.chat_id, contains="走访 张伟明（H0001）")
    assert card.message_id == pick.message_id
    assert card.buttons()[0] == ["● 入户走访", "电话联系", "线上联系"]
    # Unticked: nothing is "fine" until the cadre says so.
    assert ["▫️ 收入就业", "▫️ 不愁吃"] in card.buttons() and ["✅ 各项均正常"] in card.buttons()

    await wang.press(card, "▫️ 住房安全")
    await sandbox.drain()
    assert "请发送“住房安全”的问题说明" in card.text
    sent = await wang.send("房屋漏雨")
    card2 = await next_card(harness, wang, sent["message_id"])
    assert "⚠️ 住房安全：房屋漏雨" in card2.text
    await sandbox.drain()
    assert card.buttons() == []  # only the newest card can be pressed

    sent = await wang.send_photo(file_size=54321)
    card3 = await next_card(harness, wang, sent["message_id"])
    assert "照片：1 张" in card3.text
    sent = await wang.share_location(25.861, 115.012)
    card4 = await next_card(harness, wang, sent["message_id"])
    assert "位置：已共享" in card4.text
    sent = await wang.send("家里三口人，老人身体尚可")
    card5 = await next_card(harness, wang, sent["message_id"])
    assert "其他情况：家里三口人，老人身体尚可" in card5.text

    await wang.press(card5, "💾 保存")
    saved = await sandbox.wait_for_message(wang.chat_id, contains="已保存走访")
    assert saved.message_id == card5.message_id and saved.buttons() == []
    assert "发现问题：住房安全。" in saved.text and "照片 1 张" in saved.text
    assert "⚠️ 住房安全：房屋漏雨" in saved.text  # what was written on an item, shown back
    assert "已共享位置" in saved.text and "计入本季度走访" in saved.text

    [visit] = await visits(harness)
    assert visit.mode == VisitMode.IN_PERSON
    assert json.loads(visit.checks)["housing"] == {"ok": False, "note": "房屋漏雨"}
    assert (visit.latitude, visit.longitude) == (25.861, 115.012)
    assert visit.notes == "家里三口人，老人身体尚可" and not visit.risk
    [photo] = await photos(harness)
    assert photo.visit_id == visit.id and photo.file_size == 54321
    assert (photo.width, photo.height) == (1280, 960)
    assert photo.received_at == harness.clock.now()


async def test_guided_visit_by_typed_name_without_a_location(
    harness: Harness, world: VisitWorld
) -> None:
    sandbox = harness.sandbox
    wang = await harness.register("王芳")
    await harness.say(wang, "/visit")
    # Pinyin is a guess, so it asks even in the guided form; the button settles it.
    sent = await wang.send("zhang wei ming")
    choices = await harness.sandbox.wait_for_message(wang.chat_id, after=sent["message_id"])
    assert "“zhang wei ming”是指哪一户？" in choices.text
    await wang.press(choices, "张伟明 · H0001")
    card = await sandbox.wait_for_message(wang.chat_id, contains="走访 张伟明（H0001）")
    assert "走访 张伟明（H0001）" in card.text and "位置：未共享（可选）" in card.text
    await wang.press(card, "电话联系")
    await sandbox.drain()
    assert card.buttons()[0] == ["入户走访", "● 电话联系", "线上联系"]
    # Saving an unticked checklist is refused: "all normal" is said once, explicitly.
    query = await wang.press(card, "💾 保存")
    await sandbox.drain()
    assert "各项均正常" in sandbox.callbacks[query].answer["text"]  # type: ignore[index]
    assert await visits(harness) == []
    await wang.press(card, "✅ 各项均正常")
    await sandbox.drain()
    assert "✅ 收入就业" in card.text and ["✅ 各项均正常"] not in card.buttons()
    await wang.press(card, "💾 保存")
    saved = await sandbox.wait_for_message(wang.chat_id, contains="已保存走访")
    assert "一收入两不愁三保障各项均正常" in saved.text
    assert "未共享位置" in saved.text
    [visit] = await visits(harness)
    assert visit.mode == VisitMode.PHONE and visit.latitude is None and visit.longitude is None
    # The saved card's form is closed: pressing it again is refused, politely.
    query = await wang.press_data(saved, VisitCb(a="s").pack())
    await sandbox.drain()
    assert "已失效" in sandbox.callbacks[query].answer["text"]  # type: ignore[index]
    assert len(await visits(harness)) == 1


async def test_a_photo_without_a_visit_says_how_to_attach_it(
    harness: Harness, world: VisitWorld
) -> None:
    wang = await harness.register("王芳")
    sent = await wang.send_photo()
    reply = await harness.sandbox.wait_for_message(wang.chat_id, after=sent["message_id"])
    assert "收到照片" in reply.text and "/visit 张伟明 入户" in reply.text
    assert "没有看懂" not in reply.text
    assert await photos(harness) == [] and await visits(harness) == []


async def test_a_note_naming_a_problem_asks_which_item_on_the_card(
    harness: Harness, world: VisitWorld
) -> None:
    sandbox = harness.sandbox
    wang = await harness.register("王芳")
    pick = await harness.say(wang, "/visit")
    await wang.press(pick, "张伟明 · H0001")
    card = await next_card(harness, wang, pick.message_id - 1)
    sent = await wang.send("老人腿脚不便，需要轮椅")
    card = await next_card(harness, wang, sent["message_id"])
    assert "备注提到了可能的问题：“老人腿脚不便，需要轮椅”。涉及哪一项？" in card.text
    assert ["👉 基本医疗", "住房安全"] in card.buttons() and ["都正常"] in card.buttons()
    assert ["💾 保存", "取消"] not in card.buttons()
    await wang.press(card, "👉 基本医疗")
    await sandbox.drain()
    assert "⚠️ 基本医疗：老人腿脚不便，需要轮椅" in card.text
    await wang.press(card, "💾 保存")
    saved = await sandbox.wait_for_message(wang.chat_id, contains="已保存走访")
    assert "发现问题：基本医疗。" in saved.text
    assert "其他情况：老人腿脚不便，需要轮椅" in saved.text
    [visit] = await visits(harness)
    assert json.loads(visit.checks)["medical"] == {"ok": False, "note": "老人腿脚不便，需要轮椅"}


async def test_a_second_visit_the_same_day_is_asked_about(
    harness: Harness, world: VisitWorld
) -> None:
    sandbox = harness.sandbox
    wang = await harness.register("王芳")
    await harness.say(wang, "/visit H0001 入户 都好", contains="已保存走访")
    again = await harness.say(wang, "/visit H0001 电话 都好")
    assert "今天已走访过张伟明（H0001），仍要保存吗？" in again.text
    assert again.buttons() == [["保存", "取消"]]
    await wang.press(again, "取消")
    await sandbox.wait_for_message(wang.chat_id, contains="走访未保存")
    assert len(await visits(harness)) == 1

    # The guided form asks on Save too; 保存 saves the second visit.
    pick = await harness.say(wang, "/visit")
    await wang.press(pick, "✅ 张伟明 · H0001")
    card = await next_card(harness, wang, pick.message_id - 1)
    await wang.press(card, "✅ 各项均正常")
    await wang.press(card, "💾 保存")
    question = await sandbox.wait_for_message(wang.chat_id, contains="今天已走访过")
    assert question.message_id == card.message_id and len(await visits(harness)) == 1
    await wang.press(question, "保存")
    await sandbox.drain()
    assert "已保存走访" in question.text and len(await visits(harness)) == 2

    # The next local day is a new day; another household is not a duplicate.
    await harness.say(wang, "/visit H0002 入户 都好", contains="已保存走访")
    harness.clock.advance(timedelta(days=1))
    await harness.say(wang, "/visit H0001 入户 都好", contains="已保存走访")
    assert len(await visits(harness)) == 4


async def test_cancel_saves_nothing(harness: Harness, world: VisitWorld) -> None:
    wang = await harness.register("王芳")
    pick = await harness.say(wang, "/visit")
    await wang.press(pick, "李秀英 · H0002")
    card = await next_card(harness, wang, pick.message_id - 1)
    await wang.press(card, "取消")
    await harness.sandbox.wait_for_message(wang.chat_id, contains="走访未保存")
    assert await visits(harness) == []


async def test_risk_flag_reaches_the_township_approver_and_nobody_else(
    harness: Harness, world: VisitWorld
) -> None:
    sandbox = harness.sandbox
    wang = await harness.register("王芳")
    liu = await harness.register("刘洋")  # 江口镇's township party committee
    chen = await harness.register("陈静")  # 茅店镇's
    sun = await harness.register("孙丽")  # the county office
    li = await harness.register("李强")  # a teammate
    before = {u.id: len(sandbox.sent(u)) for u in (chen, sun, li)}

    pick = await harness.say(wang, "/visit")
    await wang.press(pick, "张伟明 · H0001")
    card = await next_card(harness, wang, pick.message_id - 1)
    await wang.press(card, "▫️ 基本医疗")
    sent = await wang.send("户主重病住院")
    card = await next_card(harness, wang, sent["message_id"])
    await wang.press(card, "标记返贫风险")
    await sandbox.drain()
    assert "请发送风险说明" in card.text
    sent = await wang.send("医疗费用高 <无力承担>")
    card = await next_card(harness, wang, sent["message_id"])
    assert "⚠️ 返贫风险" in card.text and "<无力承担>" in card.text
    await wang.press(card, "💾 保存")
    saved = await sandbox.wait_for_message(wang.chat_id, contains="已保存走访")
    assert "返贫风险已报告乡镇党委" in saved.text
    assert "⚠️ 基本医疗：户主重病住院" in saved.text
    assert "⚠️ 返贫风险：医疗费用高 &lt;无力承担&gt;" in (saved.source or "")

    alert = await sandbox.wait_for_message(liu.chat_id, contains="返贫风险", timeout=10)
    assert "农户：张伟明（H0001），江口镇下寨村" in alert.text
    assert "走访干部：王芳，入户走访，2026年11月23日" in alert.text
    assert "基本医疗：户主重病住院" in alert.text
    assert "医疗费用高 <无力承担>" in alert.text  # escaped when sent, shown as typed
    assert "&lt;" in (alert.source or "")

    rows = await settled_outbox(harness)
    assert [(r.template, r.person_id, r.state) for r in rows] == [
        ("visit.risk", world.people["刘洋"].id, OutboxState.SENT)
    ]
    for user in (chen, sun, li):
        assert len(sandbox.sent(user)) == before[user.id], user
    [visit] = await visits(harness)
    assert visit.risk and visit.risk_note == "医疗费用高 <无力承担>"
    assert alert.buttons() == [["已知悉/跟进"]]


async def test_a_risk_flag_is_chased_until_the_township_acknowledges_it(
    harness: Harness, world: VisitWorld
) -> None:
    sandbox = harness.sandbox
    wang = await harness.register("王芳")
    liu = await harness.register("刘洋")
    chen = await harness.register("陈静")  # another township's: never chased
    await harness.say(wang, "/visit H0001 入户 有返贫风险", contains="已保存走访")
    alert = await sandbox.wait_for_message(liu.chat_id, contains="返贫风险", timeout=10)
    assert alert.buttons() == [["已知悉/跟进"]]

    coverage = await harness.say(liu, "/coverage")
    assert "返贫风险标记 1 次（1 条尚未确认知悉）" in coverage.text

    harness.clock.advance(timedelta(hours=23))
    assert (await harness.tick())["risk_follow_up"] == 0
    harness.clock.advance(timedelta(hours=1))
    assert (await harness.tick())["risk_follow_up"] == 1
    reminder = await sandbox.wait_for_message(
        liu.chat_id, contains="尚未确认知悉（已 24 小时）", after=alert.message_id, timeout=10
    )
    assert "张伟明（H0001）" in reminder.text and reminder.buttons() == [["已知悉/跟进"]]
    assert (await harness.tick())["risk_follow_up"] == 0  # once per period

    query = await liu.press(reminder, "已知悉/跟进")
    await sandbox.drain()
    assert "已确认知悉" in sandbox.callbacks[query].answer["text"]  # type: ignore[index]
    assert reminder.buttons() == []
    [visit] = await visits(harness)
    assert visit.risk_acked_by_person_id == world.people["刘洋"].id
    coverage = await harness.say(liu, "/coverage")
    assert "返贫风险标记 1 次" in coverage.text and "尚未确认知悉" not in coverage.text
    heard = await sandbox.wait_for_message(wang.chat_id, contains="已知悉", timeout=10)
    assert "刘洋" in heard.text and "张伟明（H0001）" in heard.text

    # The older notice's button now only says who acknowledged it; no more reminders.
    query = await liu.press(alert, "已知悉/跟进")
    await sandbox.drain()
    assert "刘洋 已确认知悉" in sandbox.callbacks[query].answer["text"]  # type: ignore[index]
    harness.clock.advance(timedelta(days=3))
    assert (await harness.tick())["risk_follow_up"] == 0
    assert not [m for m in sandbox.sent(chen) if "返贫风险" in m.text]


async def test_mine_and_coverage(harness: Harness, world: VisitWorld) -> None:
    sandbox = harness.sandbox
    wang = await harness.register("王芳")
    liu = await harness.register("刘洋")
    await harness.say(wang, "/visit H0001 入户 都好")

    mine = await harness.say(wang, "/mine")
    assert "<b>" not in mine.text and "我的结对户" in mine.text
    assert "已走访 1/2 户" in mine.text and "还剩 39 天" in mine.text
    assert "张伟明（H0001） · 下寨村 · " in mine.text and "本季度已走访" in mine.text
    assert "李秀英（H0002）" in mine.text and "尚无走访记录" in mine.text
    assert mine.buttons() == [["📝 张伟明 · H0001", "📝 李秀英 · H0002"]]
    await wang.press(mine, "📝 李秀英 · H0002")
    await sandbox.wait_for_message(wang.chat_id, contains="走访 李秀英（H0002）")

    own = await harness.say(wang, "/coverage")
    assert "2026年第4季度走访覆盖情况" in own.text and "我的结对户" in own.text
    assert "结对 2 户，已走访 1 户，未走访 1 户" in own.text and "李秀英" in own.text

    township = await harness.say(liu, "/coverage 2026Q4")
    assert "江口镇" in township.text and "结对 4 户，已走访 1 户，未走访 3 户" in township.text
    assert "曾国藩（H0003） · 下寨村 — 李强" in township.text
    assert "单雄信" not in township.text  # another township's household

    group = sandbox.group("江口镇驻村工作群", members=[liu])
    sent = await liu.send("/coverage", chat=group)
    counts = await sandbox.wait_for_message(group.chat_id, after=sent["message_id"])
    assert "结对 4 户，已走访 1 户" in counts.text
    for name in ("张伟明", "李秀英", "曾国藩", "区志强", "王芳", "李强"):
        assert name not in counts.text
    assert "户名只在与我的私聊中显示" in counts.text

    # A dispatching unit's line names the unit (it once read "：结对 …", issue 18).
    wu = await harness.register("吴海")
    unit = await harness.say(wu, "/coverage")
    assert "赣州市财政局：结对" in unit.text, unit.text
    assert "张伟明" not in unit.text  # a unit sees counts, not households


async def test_presses_the_server_refuses(harness: Harness, world: VisitWorld) -> None:
    sandbox = harness.sandbox
    li = await harness.register("李强")
    pick = await harness.say(li, "/visit")
    assert pick.buttons() == [["曾国藩 · H0003"]]
    # A forged press for a household in another township: refused, nothing opened.
    far = world.households["单雄信"].id
    assert far is not None
    query = await li.press_data(pick, VisitCb(a="h", v=far).pack())
    await sandbox.drain()
    answer = sandbox.callbacks[query].answer
    assert answer is not None and answer.get("show_alert") is True
    assert "只能登记自己的结对户" in answer.get("text", "")
    assert "单雄信" not in pick.text

    # An approver who is not a cadre cannot use the visit buttons or commands.
    liu = await harness.register("刘洋")
    reply = await harness.say(liu, "/visit 张伟明")
    assert "只有驻村干部可以登记走访" in reply.text
    assert await visits(harness) == []
