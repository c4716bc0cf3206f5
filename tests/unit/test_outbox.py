"""The outbox on a real SQLite database (claims, leases, outcomes, status, retry) and the
pacing rules with a fake clock."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import cli
from models import migrate
from models.db import create_engine, session_factory
from models.enums import OutboxState
from models.tables import Person
from models.workflow import OutboxMessage
from services.clock import FixedClock
from services.messaging import outbox, outbox_leases, outbox_outcomes, outbox_status
from services.messaging.pacing import GROUP_WINDOW, Limits, Pacer, SendQueue
from services.roster import accounts
from tests.factories import bind_telegram

LEASE = timedelta(seconds=60)
GROUP = -1001


async def _person(session: AsyncSession, name: str, tg: int, now: datetime) -> int:
    person = Person(name=name, phone=f"1380000{tg % 10000:04d}")
    person.created_at = person.updated_at = now
    session.add(person)
    await session.flush()
    bind_telegram(session, person, tg)
    await session.flush()
    assert person.id is not None
    return person.id


async def _add(
    session: AsyncSession,
    key: str,
    chat_id: int,
    now: datetime,
    *,
    person_id: int | None = None,
    is_group: bool = False,
    not_before: datetime | None = None,
) -> int:
    assert await outbox.enqueue(
        session,
        key=key,
        chat_id=str(chat_id),
        template="test.echo",
        params={"text": key},
        now=now,
        person_id=person_id,
        is_group=is_group,
        not_before=not_before,
        channel="telegram",
    )
    row = (await session.exec(select(OutboxMessage).where(OutboxMessage.dedup_key == key))).one()
    assert row.id is not None
    return row.id


async def _row(session: AsyncSession, row_id: int) -> OutboxMessage:
    session.expire_all()
    row = await session.get(OutboxMessage, row_id)
    assert row is not None
    return row


# ---------------------------------------------------------------------------- enqueue


async def test_enqueue_is_idempotent_by_dedup_key(session: AsyncSession, clock: FixedClock) -> None:
    now = clock.now()
    args = {
        "chat_id": "1",
        "template": "test.echo",
        "params": {"text": "a"},
        "now": now,
        "channel": "telegram",
    }
    assert await outbox.enqueue(session, key="k1", **args)  # type: ignore[arg-type]
    assert not await outbox.enqueue(session, key="k1", **args)  # type: ignore[arg-type]
    rows = (await session.exec(select(OutboxMessage))).all()
    assert len(rows) == 1 and rows[0].state == OutboxState.PENDING


async def test_enqueue_many_adds_in_batches_and_skips_existing_keys(
    session: AsyncSession, clock: FixedClock
) -> None:
    now = clock.now()
    await _add(session, "bulk-3", 3, now)  # queued earlier, say by yesterday's run

    def messages(n: int) -> list[outbox.Message]:
        return [
            outbox.Message(
                key=f"bulk-{i}",
                chat_id=str(i),
                template="test.echo",
                params={"i": i},
                channel="telegram",
            )
            for i in range(n)
        ]

    # Batches of 4 over 10 messages: the last batch is short, one key already exists.
    assert await outbox.enqueue_many(session, messages(10), now=now, batch=4) == 9
    assert await outbox.enqueue_many(session, messages(12), now=now, batch=4) == 2
    assert await outbox.enqueue_many(session, [], now=now) == 0
    rows = (await session.exec(select(OutboxMessage))).all()
    rows = sorted(rows, key=lambda r: int(r.chat_id))
    assert [r.dedup_key for r in rows] == [f"bulk-{i}" for i in range(12)]
    assert rows[5].params == '{"i": 5}' and rows[5].state == OutboxState.PENDING
    assert rows[5].not_before == now and rows[3].params == '{"text": "bulk-3"}'


# ---------------------------------------------------------------------------- claiming


async def test_claim_leases_due_rows_oldest_first(session: AsyncSession, clock: FixedClock) -> None:
    now = clock.now()
    lang_person = await _person(session, "甲", 501, now)
    person = await session.get(Person, lang_person)
    assert person is not None
    person.language = "en"
    later = await _add(session, "later", 501, now, not_before=now + timedelta(minutes=5))
    second = await _add(session, "b", 502, now + timedelta(seconds=1))
    first = await _add(session, "a", 501, now, person_id=lang_person)

    claimed = await outbox_leases.claim_due(
        session, now + timedelta(seconds=2), limit=10, lease=LEASE
    )
    assert [c.id for c in claimed] == [first, second]
    assert claimed[0].language == "en" and claimed[1].language is None
    assert claimed[0].params == {"text": "a"}
    assert claimed[0].lease == now + timedelta(seconds=2) + LEASE
    # Leased: nobody else gets them, not even this caller, until the lease ends.
    assert (
        await outbox_leases.claim_due(session, now + timedelta(seconds=3), limit=10, lease=LEASE)
        == []
    )
    again = await outbox_leases.claim_due(
        session, now + timedelta(minutes=6), limit=10, lease=LEASE
    )
    assert sorted(c.id for c in again) == sorted([first, second, later])


async def test_a_pass_takes_only_what_was_due_when_it_began(
    session: AsyncSession, clock: FixedClock
) -> None:
    now = clock.now()
    early = await _add(session, "early", 1, now)
    await _add(session, "put-off", 2, now, not_before=now + timedelta(seconds=5))
    later = now + timedelta(seconds=10)
    claimed = await outbox_leases.claim_due(session, later, limit=10, lease=LEASE, due_by=now)
    assert [c.id for c in claimed] == [early]
    assert claimed[0].lease == later + LEASE  # the lease runs from the real now


async def test_claim_caps_rows_per_chat_and_skips_chats(
    session: AsyncSession, clock: FixedClock
) -> None:
    now = clock.now()
    for i in range(5):
        await _add(session, f"busy-{i}", 700, now)
        await _add(session, f"group-{i}", GROUP, now, is_group=True)
    quiet = await _add(session, "quiet", 701, now)

    claimed = await outbox_leases.claim_due(
        session, now, limit=100, lease=LEASE, per_chat=2, per_group=1
    )
    by_chat: dict[int, int] = {}
    for c in claimed:
        by_chat[int(c.chat_id)] = by_chat.get(int(c.chat_id), 0) + 1
    assert by_chat == {700: 2, GROUP: 1, 701: 1}
    assert quiet in [c.id for c in claimed]

    more = await outbox_leases.claim_due(session, now, limit=100, lease=LEASE, skip_chats=["700"])
    assert {int(c.chat_id) for c in more} == {GROUP}
    assert len(more) == 4


async def test_a_second_claimer_gets_other_rows(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    now = clock.now()
    async with sessions() as s:
        for i in range(6):
            await _add(s, f"r{i}", 800 + i, now)
        await s.commit()
    async with sessions() as a, sessions() as b:
        got_a = await outbox_leases.claim_due(a, now, limit=4, lease=LEASE)
        await a.commit()
        got_b = await outbox_leases.claim_due(b, now, limit=10, lease=LEASE)
        await b.commit()
    assert len(got_a) == 4 and len(got_b) == 2
    assert not {c.id for c in got_a} & {c.id for c in got_b}


async def test_the_lease_is_a_fencing_token(session: AsyncSession, clock: FixedClock) -> None:
    """A relay that stalled past its lease cannot send a row another relay took over."""
    now = clock.now()
    row_id = await _add(session, "x", 900, now)
    (stale,) = await outbox_leases.claim_due(session, now, limit=1, lease=LEASE)
    later = now + LEASE + timedelta(seconds=1)
    (fresh,) = await outbox_leases.claim_due(session, later, limit=1, lease=LEASE)
    assert fresh.id == stale.id == row_id
    assert await outbox_outcomes.mark_sending(session, row_id, stale.lease, later, LEASE) is None
    kept = await outbox_leases.extend_leases(session, [(row_id, stale.lease)], later + LEASE)
    assert kept == {}
    assert (
        await outbox_outcomes.mark_sending(session, row_id, fresh.lease, later, LEASE) is not None
    )


@pytest.mark.parametrize("at_most_once", [True, False])
async def test_in_flight_rows_are_uncertain_or_sent_again_by_importance(
    session: AsyncSession, clock: FixedClock, at_most_once: bool
) -> None:
    """The relay died with the request out: it may have arrived. An at-most-once row is
    uncertain and not resent; any other (a card, a decision, a reminder) is sent again."""
    now = clock.now()
    row_id = await _add(session, "x", 900, now)
    once = {"test.echo"} if at_most_once else set()
    (row,) = await outbox_leases.claim_due(session, now, limit=1, lease=LEASE, at_most_once=once)
    token = await outbox_outcomes.mark_sending(session, row_id, row.lease, now, LEASE)
    assert token == now + LEASE
    stored = await _row(session, row_id)
    assert stored.attempts == 1 and stored.sent_at == now

    after = now + LEASE + timedelta(seconds=1)
    # The claim that finds the stale send settles it (after its search: the next one takes it).
    assert (
        await outbox_leases.claim_due(session, after, limit=10, lease=LEASE, at_most_once=once)
        == []
    )
    stored = await _row(session, row_id)
    again = await outbox_leases.claim_due(session, after, limit=10, lease=LEASE, at_most_once=once)
    if at_most_once:
        assert again == []
        assert stored.state == OutboxState.UNCERTAIN
        assert stored.last_error == outbox_leases.IN_FLIGHT_LOST
    else:
        assert [c.id for c in again] == [row_id]
        assert stored.state == OutboxState.PENDING and stored.sent_at is None
        assert stored.last_error == outbox_leases.IN_FLIGHT_RESENT


async def test_extend_and_release(session: AsyncSession, clock: FixedClock) -> None:
    now = clock.now()
    ids = [await _add(session, f"r{i}", 950 + i, now) for i in range(3)]
    claimed = await outbox_leases.claim_due(session, now, limit=3, lease=LEASE)
    held = [(c.id, c.lease) for c in claimed]
    until = now + 2 * LEASE
    kept = await outbox_leases.extend_leases(session, held, until)
    assert kept == dict.fromkeys(ids, until)
    assert await outbox_leases.release(session, [(ids[0], until)], now) == 1
    back = await outbox_leases.claim_due(session, now, limit=10, lease=LEASE)
    assert [c.id for c in back] == [ids[0]]


# ---------------------------------------------------------------------------- outcomes


async def test_sent_retry_and_uncertain(session: AsyncSession, clock: FixedClock) -> None:
    now = clock.now()
    sent_id = await _add(session, "sent", 1, now)
    retry_id = await _add(session, "retry", 2, now)
    unsure_id = await _add(session, "unsure", 3, now)
    claimed = {c.id: c for c in await outbox_leases.claim_due(session, now, limit=10, lease=LEASE)}
    tokens = {
        i: await outbox_outcomes.mark_sending(session, i, claimed[i].lease, now, LEASE)
        for i in claimed
    }
    assert all(tokens.values())

    await outbox_outcomes.mark_sent(session, sent_id, "42", now)
    assert await outbox_outcomes.mark_retry(
        session, retry_id, now + timedelta(seconds=5), "502 Bad Gateway"
    )
    await outbox_outcomes.mark_uncertain(session, unsure_id, "no answer within 10 s")

    sent = await _row(session, sent_id)
    assert (sent.state, sent.sent_message_id, sent.sent_at) == (OutboxState.SENT, "42", now)
    retried = await _row(session, retry_id)
    assert retried.state == OutboxState.PENDING and retried.sent_at is None
    assert retried.last_error == "502 Bad Gateway"
    unsure = await _row(session, unsure_id)
    assert unsure.state == OutboxState.UNCERTAIN and unsure.sent_at == now

    assert (
        await outbox_leases.claim_due(session, now + timedelta(seconds=4), limit=9, lease=LEASE)
        == []
    )
    due = await outbox_leases.claim_due(session, now + timedelta(seconds=5), limit=9, lease=LEASE)
    assert [c.id for c in due] == [retry_id]
    assert due[0].attempts == 1


async def test_progress_keeps_the_first_part(session: AsyncSession, clock: FixedClock) -> None:
    now = clock.now()
    row_id = await _add(session, "two-part", 1, now)
    (row,) = await outbox_leases.claim_due(session, now, limit=1, lease=LEASE)
    token = await outbox_outcomes.mark_sending(session, row_id, row.lease, now, LEASE)
    assert token is not None
    held = await outbox_outcomes.mark_progress(session, row_id, "77", token, now, LEASE)
    assert held is not None
    stored = await _row(session, row_id)
    assert stored.state == OutboxState.PENDING and stored.sent_message_id == "77"
    assert stored.sent_at is None  # no longer in flight
    await outbox_leases.release(session, [(row_id, held)], now)
    (again,) = await outbox_leases.claim_due(session, now, limit=1, lease=LEASE)
    assert again.sent_message_id == "77"


async def test_a_relay_claims_only_its_own_channels_rows(
    session: AsyncSession, clock: FixedClock
) -> None:
    now = clock.now()
    mine = await _add(session, "telegram", 700, now)
    # Another messenger's chat with the same number is another chat altogether.
    assert await outbox.enqueue(
        session, key="dingtalk", channel="dingtalk", chat_id="700", template="test.echo",
        params={}, now=now,
    )  # fmt: skip
    claimed = await outbox_leases.claim_due(session, now, limit=10, lease=LEASE)
    assert [c.id for c in claimed] == [mine]
    (theirs,) = await outbox_leases.claim_due(
        session, now, limit=10, lease=LEASE, channel="dingtalk"
    )
    assert (await _row(session, theirs.id)).dedup_key == "dingtalk"
    assert (await _row(session, mine)).channel == "telegram"


async def test_403_marks_the_person_blocked_and_their_rows_dead(
    session: AsyncSession, clock: FixedClock
) -> None:
    now = clock.now()
    pid = await _person(session, "乙", 1234, now)
    first = await _add(session, "one", 1234, now, person_id=pid)
    second = await _add(session, "two", 1234, now, person_id=pid)
    other = await _add(session, "other", 999, now)

    dead = await outbox_outcomes.mark_dead(
        session, first, "403 Forbidden: bot was blocked by the user", now, blocked=True
    )
    assert dead == [first, second]
    account = await accounts.account_of(session, pid)
    assert account is not None and account.blocked_at == now
    assert (await _row(session, other)).state == OutboxState.PENDING
    assert (await _row(session, second)).last_error == outbox_outcomes.BLOCKED_CASCADE.format(
        row=first
    )
    # Nobody enqueues for them any more, one by one or in a sweep's batch.
    assert not await outbox.to_person(
        session, pid, key="three", template="test.echo", params={}, now=now
    )
    assert outbox.message_to(account, "four", "test.echo", {}) is None


async def test_403_in_a_group_kills_only_that_row(session: AsyncSession, clock: FixedClock) -> None:
    now = clock.now()
    a = await _add(session, "g1", GROUP, now, is_group=True)
    b = await _add(session, "g2", GROUP, now, is_group=True)
    reason = "403 Forbidden: bot was kicked from the supergroup chat"
    assert await outbox_outcomes.mark_dead(session, a, reason, now, blocked=True) == [a]
    assert (await _row(session, b)).state == OutboxState.PENDING


async def test_status_lists_counts_age_and_reasons(
    session: AsyncSession, clock: FixedClock
) -> None:
    now = clock.now()
    old = await _add(session, "old", 1, now - timedelta(minutes=30))
    await _add(session, "new", 2, now)
    dead = await _add(session, "dead", 3, now)
    unsure = await _add(session, "unsure", 4, now)
    sent = await _add(session, "sent", 5, now)
    await outbox_outcomes.mark_dead(session, dead, "400 Bad Request: chat not found", now)
    await outbox_outcomes.mark_uncertain(session, unsure, "no answer within 10 s")
    await outbox_outcomes.mark_sent(session, sent, "9", now)

    report = await outbox_status.status(session, now)
    assert report.counts == {
        OutboxState.PENDING: 2,
        OutboxState.SENT: 1,
        OutboxState.DEAD: 1,
        OutboxState.UNCERTAIN: 1,
    }
    assert report.oldest_pending == now - timedelta(minutes=30)
    assert report.oldest_pending_age == timedelta(minutes=30)
    assert report.due == 2 and report.in_flight == 0
    assert [(r.id, r.error) for r in report.dead] == [(dead, "400 Bad Request: chat not found")]
    assert [r.id for r in report.uncertain] == [unsure]
    assert old not in [r.id for r in report.dead]


async def test_retry_dead_and_uncertain(session: AsyncSession, clock: FixedClock) -> None:
    now = clock.now()
    pid = await _person(session, "丙", 4321, now)
    blocked = await _add(session, "blocked", 4321, now, person_id=pid)
    bad = await _add(session, "bad", 2, now)
    unsure = await _add(session, "unsure", 3, now)
    await outbox_outcomes.mark_dead(session, blocked, "403 Forbidden", now, blocked=True)
    await outbox_outcomes.mark_dead(session, bad, "400 Bad Request", now)
    await outbox_outcomes.mark_uncertain(session, unsure, "no answer")

    with pytest.raises(ValueError, match="row id"):
        await outbox_status.retry(session, now=now)
    with pytest.raises(ValueError, match="row id"):
        await outbox_status.retry(session, bad, dead=True, now=now)

    later = now + timedelta(hours=1)
    # --dead leaves uncertain rows alone: they may have arrived already.
    assert await outbox_status.retry(session, dead=True, now=later) == 2
    assert (await _row(session, unsure)).state == OutboxState.UNCERTAIN
    account = await accounts.account_of(session, pid)
    assert account is not None and account.blocked_at is None  # the operator vouched
    assert await outbox_status.retry(session, unsure, now=later) == 1
    assert await outbox_status.retry(session, unsure, now=later) == 0  # pending now: nothing to do

    due = await outbox_leases.claim_due(session, later, limit=10, lease=LEASE)
    assert sorted(c.id for c in due) == sorted([blocked, bad, unsure])
    assert all(c.attempts == 0 for c in due)
    rows = (
        await session.exec(select(OutboxMessage).where(col(OutboxMessage.sent_at).is_not(None)))
    ).all()
    assert rows == []


# ---------------------------------------------------------------------------- pacing


def _drain(
    queue: SendQueue[str], *, latency: float, until: float = 600.0
) -> list[tuple[float, float, int, str]]:
    """Run the queue against a fake clock: every send takes ``latency`` seconds.
    Returns (start, finish, chat, item) per send."""
    now = 0.0
    in_flight: list[tuple[float, int, str, float]] = []  # (finish, chat, item, start)
    done: list[tuple[float, float, int, str]] = []
    while len(queue) or in_flight:
        assert now < until, "the queue stalled"
        while (popped := queue.pop_ready(now)) is not None:
            _, item = popped
            chat = int(item.split(":")[0])
            in_flight.append((now + latency, chat, item, now))
        candidates = [f for f, *_ in in_flight]
        ready = queue.next_at()
        if ready is not None:
            candidates.append(max(ready, now))
        now = min(candidates)
        for entry in [e for e in in_flight if e[0] <= now]:
            in_flight.remove(entry)
            finish, chat, item, start = entry
            queue.finish(chat, finish)
            done.append((start, finish, chat, item))
    return done


def _fill(queue: SendQueue[str], chats: list[int], per_chat: int) -> None:
    key = 0
    for n in range(per_chat):
        for chat in chats:
            key += 1
            queue.push(key, chat, chat < 0, f"{chat}:{n}")


def test_one_chat_is_spaced_by_the_interval_after_each_answer() -> None:
    queue: SendQueue[str] = SendQueue(Limits(per_chat_interval=1.0))
    _fill(queue, [7], 5)
    sends = _drain(queue, latency=0.2)
    assert [item for *_, item in sends] == [f"7:{n}" for n in range(5)]  # in order
    starts = [start for start, *_ in sends]
    finishes = [finish for _, finish, *_ in sends]
    for prev_finish, start in zip(finishes, starts[1:], strict=False):
        assert start >= prev_finish + 1.0


def test_one_send_in_flight_per_chat_but_others_go() -> None:
    queue: SendQueue[str] = SendQueue(Limits(per_chat_interval=1.0, global_per_second=100))
    _fill(queue, [1, 2], 2)
    first = queue.pop_ready(0.0)
    second = queue.pop_ready(0.1)
    assert first is not None and second is not None
    assert {first[1], second[1]} == {"1:0", "2:0"}
    assert queue.pop_ready(5.0) is None  # both chats busy
    assert queue.next_at() is None
    queue.finish(1, 0.5)
    assert queue.next_at() == pytest.approx(1.5)
    assert queue.pop_ready(1.4) is None
    popped = queue.pop_ready(1.5)
    assert popped is not None and popped[1] == "1:1"


def test_a_group_gets_at_most_twenty_a_minute() -> None:
    queue: SendQueue[str] = SendQueue(Limits(per_chat_interval=1.0, group_per_minute=20))
    _fill(queue, [GROUP], 45)
    sends = _drain(queue, latency=0.05)
    finishes = [finish for _, finish, *_ in sends]
    starts = [start for start, *_ in sends]
    # Any send starts at least a minute after the answer to the send twenty before it.
    for i in range(20, len(sends)):
        assert starts[i] >= finishes[i - 20] + GROUP_WINDOW
    # ...yet the first twenty go out at the per-chat pace, not three seconds apart.
    assert starts[19] < 25


def test_the_global_rate_holds_in_every_second() -> None:
    """At 29/s Telegram's "30 in any second" is never reached, even when the loop wakes
    late at random, and the pace is kept rather than merely capped."""
    rng = random.Random(7)
    queue: SendQueue[str] = SendQueue(Limits(per_chat_interval=1.0, global_per_second=29))
    _fill(queue, list(range(1, 301)), 3)
    starts: list[float] = []
    now = 0.0
    while len(queue):
        popped = queue.pop_ready(now)
        if popped is None:
            ready = queue.next_at()
            assert ready is not None
            now = max(now, ready) + rng.choice([0.0, 0.001, 0.002, 0.004, 0.008])  # woke late
            continue
        starts.append(now)
        chat = int(popped[1].split(":")[0])
        queue.finish(chat, now + 0.1)  # answered 100 ms later (the queue only needs the time)
    assert len(starts) == 900
    for i, t in enumerate(starts):
        earlier = [s for s in starts[max(0, i - 40) : i] if s > t - 1.0]
        assert len(earlier) < 30, f"send {i} would be the 31st in a second"
    rate = len(starts) / (starts[-1] - starts[0])
    assert rate > 28


def test_a_late_wakeup_catches_up_at_most_a_quarter_slot() -> None:
    pacer = Pacer(Limits(global_per_second=10))
    pacer.take(0.0)
    assert pacer.global_ready_at() == pytest.approx(0.075)
    pacer.take(0.3)  # woke late: no burst is saved up
    assert pacer.global_ready_at() == pytest.approx(0.375)


def test_pause_holds_a_chat_back() -> None:
    queue: SendQueue[str] = SendQueue(Limits(per_chat_interval=0.0, global_per_second=100))
    _fill(queue, [5, 6], 1)
    queue.pause(5, 10.0)
    popped = queue.pop_ready(0.0)
    assert popped is not None and popped[1] == "6:0"
    assert queue.pop_ready(1.0) is None
    assert queue.next_at() == pytest.approx(10.0)
    popped = queue.pop_ready(10.0)
    assert popped is not None and popped[1] == "5:0"


def test_queue_bookkeeping() -> None:
    queue: SendQueue[str] = SendQueue(Limits(per_chat_interval=0.0, global_per_second=1000))
    queue.push(1, 10, False, "a")
    queue.push(2, 10, False, "b")
    queue.push(3, 11, False, "c")
    queue.push(4, 10, False, "first", front=True)
    queue.push(2, 10, False, "b2")  # same key: replaced in place
    assert len(queue) == 4 and 2 in queue
    assert list(queue.items()) == [(4, "first"), (1, "a"), (2, "b2"), (3, "c")]
    assert queue.crowded(per_chat=3, per_group=1) == [10]
    assert queue.remove(1) == "a"
    assert queue.remove(1) is None
    assert queue.drop_chat(10) == ["first", "b2"]
    assert [v for _, v in queue.items()] == ["c"]
    assert queue.chat_load(10) == 0 and queue.chat_load(11) == 1
    popped = queue.pop_ready(0.0)
    assert popped == (3, "c") and len(queue) == 0


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError):
        Limits(global_per_second=0)
    with pytest.raises(ValueError):
        Limits(group_per_minute=0)


# ---------------------------------------------------------------------------- zhucun outbox


def _seed_cli_database(url: str, now: datetime) -> None:
    async def seed() -> None:
        engine = create_engine(url)
        await migrate.upgrade(engine)
        async with session_factory(engine)() as s:
            await _add(s, "waiting", 1, now - timedelta(minutes=90))
            dead = await _add(s, "refused", 2, now)
            unsure = await _add(s, "unsure", 3, now)
            await outbox_outcomes.mark_dead(s, dead, "400 Bad Request: chat not found", now)
            await outbox_outcomes.mark_uncertain(s, unsure, "no answer within 10 s")
            await s.commit()
        await engine.dispose()

    asyncio.run(seed())


def test_cli_status_and_retry(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", url)
    _seed_cli_database(url, datetime.now(UTC))

    assert cli.main(["outbox", "status"]) == 0  # Chinese by default
    assert "待发消息：1 待发、0 已发送、1 失败、1 不确定" in capsys.readouterr().out

    def en(*argv: str) -> int:
        return cli.main(["--lang", "en", *argv])

    assert en("outbox", "status") == 0
    out = capsys.readouterr().out
    assert "1 pending, 0 sent, 1 dead, 1 uncertain" in out
    assert "oldest pending: created" in out and "90 min ago" in out
    assert "400 Bad Request: chat not found" in out
    assert "no answer within 10 s" in out
    assert "row 1" not in out and "refused" not in out  # no message text, only templates

    assert en("outbox", "retry", "--dead") == 0
    assert "1 dead row(s) queued again" in capsys.readouterr().out
    assert en("outbox", "retry", "--dead") == 0
    assert "no dead rows" in capsys.readouterr().out
    assert en("outbox", "retry", "3") == 0
    assert "row #3 queued again" in capsys.readouterr().out
    assert en("outbox", "retry", "3") == 1
    assert capsys.readouterr().err.strip() == (
        "zhucun: outbox row #3 is pending, not dead or uncertain: only those are sent again"
    )
    assert en("outbox", "retry") == 2
    assert "give one of" in capsys.readouterr().err
    assert en("outbox", "status") == 0
    assert "3 pending, 0 sent, 0 dead, 0 uncertain" in capsys.readouterr().out


def test_relay_settings_come_from_zhucun_relay_fields() -> None:
    from bot.relay.settings import RelaySettings

    given = SimpleNamespace(relay_global_per_second=10.0, relay_lease_seconds=None, token="x")
    settings = RelaySettings.from_settings(given)
    assert settings.global_per_second == 10.0
    assert settings.lease_seconds == RelaySettings().lease_seconds  # unset: the default
    assert RelaySettings.from_settings(object()) == RelaySettings()
    with pytest.raises(ValueError, match="lease_seconds must exceed request_timeout"):
        RelaySettings(lease_seconds=5, request_timeout=10)
