"""The supervision calendar end to end: /training in one line and /mytraining, an approver
recording a training for two cadres (each told), and /halfyear reaching the county office,
in one message and guided."""

from __future__ import annotations

from sqlmodel import col, select

from models.presence import TeamReport, Training
from tests.e2e.conftest import Harness


async def test_a_cadre_logs_a_training_in_one_line(harness: Harness) -> None:
    wang = await harness.register("王芳")
    usage = await harness.say(wang, "/training", contains="/training")
    assert "省" in usage.text and "县" in usage.text
    done = await harness.say(wang, "/training 2026-11-20 县 3 乡村振兴专题", contains="已记录")
    assert "2026年11月20日" in done.text and "乡村振兴专题" in done.text
    wrong = await harness.say(wang, "/training 11-20 乡 3 专题", contains="乡")
    assert "省、市或县" in wrong.text or "省" in wrong.text
    mine = await harness.say(wang, "/mytraining", contains="乡村振兴专题")
    assert "✅" in mine.text
    async with await harness.ctx.uow() as uow:
        rows = (await uow.session.exec(select(Training))).all()
    assert [(r.days, r.topic) for r in rows] == [(3, "乡村振兴专题")]


async def test_an_approver_records_a_training_for_two_cadres(harness: Harness) -> None:
    sandbox = harness.sandbox
    liu = await harness.register("刘洋")
    wang, li = await harness.register("王芳"), await harness.register("李强")
    done = await harness.say(
        liu, "/training 王芳、李强 11-18 市 2 党建业务培训", contains="记录培训"
    )
    assert "王芳" in done.text and "李强" in done.text
    for cadre in (wang, li):
        told = await sandbox.wait_for_message(cadre.chat_id, contains="党建业务培训", timeout=10)
        assert "2026年11月18日" in told.text
    refused = await harness.say(liu, "/training 王五 11-18 市 2 培训", contains="王五")
    assert "没有" in refused.text or "未" in refused.text
    async with await harness.ctx.uow() as uow:
        count = len((await uow.session.exec(select(Training))).all())
    assert count == 2


async def test_the_half_year_report_reaches_the_county_office(harness: Harness) -> None:
    sandbox = harness.sandbox
    chen, wang = await harness.register("陈静"), await harness.register("王芳")
    text = "思想：稳定\n工作：发展<茶叶>产业\n学习：每周党课"
    done = await harness.say(wang, f"/halfyear {text}", contains="县驻村工作领导小组办公室")
    assert "2026年下半年" in done.text
    received = await sandbox.wait_for_message(chen.chat_id, contains="茶叶", timeout=10)
    assert "<茶叶>" in received.text and "王芳" in received.text and "下寨村" in received.text

    asked = await harness.say(wang, "/halfyear", contains="2026年下半年")
    assert asked.text
    updated = await harness.say(wang, "修订：补充学习情况", contains="替换")
    assert updated.text
    await sandbox.wait_for_message(chen.chat_id, contains="补充学习情况", timeout=10)
    async with await harness.ctx.uow() as uow:
        reports = (await uow.session.exec(select(TeamReport).order_by(col(TeamReport.id)))).all()
    assert [(r.period, r.text) for r in reports] == [("2026H2", "修订：补充学习情况")]
