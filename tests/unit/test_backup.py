"""``zhucun backup`` / ``zhucun restore`` on real SQLite files, the command line run
in-process; the doctor's backup line; the worker's daily backup."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import backup
from bot.cli import main
from bot.config import Settings
from bot.context import AppContext
from services.clock import FixedClock
from tests.factories import seed_roster


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A seeded database at data/zhucun.db under a working directory with no .env and no
    ZHUCUN_ variables but its URL."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("ZHUCUN_")]:
        monkeypatch.delenv(name)
    path = tmp_path / "data" / "zhucun.db"
    url = f"sqlite+aiosqlite:///{path}"
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", url)

    async def seed() -> None:
        ctx = AppContext(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
        async with await ctx.uow() as uow:
            await seed_roster(uow.session, datetime.now(UTC))
            await uow.commit()
        await ctx.close()

    asyncio.run(seed())
    return path


def _people(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM people").fetchone()[0])


def _add_person(path: Path, name: str) -> None:
    with sqlite3.connect(path) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(people)")]
        row = conn.execute(f"SELECT {', '.join(columns)} FROM people LIMIT 1").fetchone()
        values = dict(zip(columns, row, strict=True))
        values.pop("id")
        values["name"] = name
        for key in ("mobile", "phone"):
            if key in values and values[key] is not None:
                values[key] = f"139{abs(hash(name)) % 10**8:08d}"
        marks = ", ".join("?" for _ in values)
        conn.execute(
            f"INSERT INTO people ({', '.join(values)}) VALUES ({marks})", list(values.values())
        )
    conn.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_backup_then_restore_a_deleted_database(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = _people(db)
    assert people > 0
    code, out, err = _run(capsys, "backup")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("已备份")
    [taken] = backup.list_backups(db.parent / "backups")
    assert str(taken.path) in lines[0] and "KB" in lines[0]
    assert not list((db.parent / "backups").glob(".*"))  # no temporary file left

    for path in db.parent.glob("zhucun.db*"):
        path.unlink()
    code, out, err = _run(capsys, "restore", "--yes")
    assert code == 0, err
    assert out.startswith("已恢复") and str(taken.path) in out
    assert _people(db) == people
    assert not list(db.parent.glob("zhucun.db.before-restore-*"))  # there was nothing to keep


def test_restore_without_a_file_takes_the_latest_and_keeps_the_current(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = _people(db)
    assert _run(capsys, "backup")[0] == 0
    _add_person(db, "赵新")
    assert _run(capsys, "backup")[0] == 0
    _add_person(db, "钱多")
    newest = backup.list_backups(db.parent / "backups")[0]

    code, out, err = _run(capsys, "restore", "--yes")
    assert code == 0, err
    assert str(newest.path) in out
    assert _people(db) == people + 1  # the second backup, not the first
    [before] = db.parent.glob("zhucun.db.before-restore-*")
    assert _people(before) == people + 2  # the database it replaced, to undo the restore


def _corrupt(source: Path, target: Path) -> None:
    data = bytearray(source.read_bytes())
    for i in range(4096, len(data) - 4096):
        data[i] = (i * 7 + 13) % 256
    target.write_bytes(bytes(data))


@pytest.mark.parametrize("kind", ["corrupt", "not-sqlite", "unknown-revision", "no-schema"])
def test_a_bad_file_is_refused_and_nothing_changes(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    assert _run(capsys, "backup")[0] == 0
    good = backup.list_backups(db.parent / "backups")[0].path
    bad = tmp_path / "bad.db"
    if kind == "corrupt":
        _corrupt(good, bad)
    elif kind == "not-sqlite":
        bad.write_text("名单,手机\n王芳,13800000001\n", encoding="utf-8")
    elif kind == "unknown-revision":
        shutil.copy(good, bad)
        with sqlite3.connect(bad) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '9999'")
        conn.close()
    else:
        sqlite3.connect(bad).close()
        with sqlite3.connect(bad) as conn:
            conn.execute("CREATE TABLE t (x)")
        conn.close()
    before = _digest(db)

    code, out, err = _run(capsys, "restore", str(bad), "--yes")
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and "未做任何改动" in err
    assert _digest(db) == before
    if kind == "not-sqlite":  # and in English on request
        code, out, err = _run(capsys, "--lang", "en", "restore", str(bad), "--yes")
        assert err == f"zhucun: not an SQLite database: {bad}; nothing was changed\n"
    assert not list(db.parent.glob("zhucun.db.before-restore-*"))


def test_restore_asks_first(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    people = _people(db)
    assert _run(capsys, "backup")[0] == 0
    _add_person(db, "孙立")
    before = _digest(db)

    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # not a terminal: refused
    code, out, err = _run(capsys, "restore")
    assert code == 2 and "--yes" in err and len(err.strip().splitlines()) == 1
    assert _digest(db) == before

    monkeypatch.setattr("sys.stdin", _Terminal("n\n"))
    code, out, err = _run(capsys, "restore")
    assert code == 1
    assert "将用" in out and "覆盖当前数据库" in out and "zhucun run" in out and "[y/N]" in out
    assert _digest(db) == before
    assert not list(db.parent.glob("zhucun.db.before-restore-*"))

    monkeypatch.setattr("sys.stdin", _Terminal("y\n"))
    code, out, err = _run(capsys, "restore")
    assert code == 0, err
    assert _people(db) == people


def test_restore_refuses_while_the_database_is_open_elsewhere(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(capsys, "backup")[0] == 0
    running = sqlite3.connect(db)  # as zhucun run holds it: WAL mode, open
    running.execute("PRAGMA journal_mode=WAL")
    running.execute("SELECT count(*) FROM people").fetchone()
    try:
        before = _digest(db)
        code, _, err = _run(capsys, "restore", "--yes")
        assert code == 2 and "正被使用" in err and len(err.strip().splitlines()) == 1
        assert _digest(db) == before
    finally:
        running.close()


def test_a_backup_is_consistent_while_another_connection_writes(tmp_path: Path) -> None:
    import threading

    db = tmp_path / "busy.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)")
        conn.executemany("INSERT INTO t (s) VALUES (?)", [("x" * 100,)] * 20000)
    conn.close()
    stop = threading.Event()

    def write() -> None:
        with contextlib.closing(sqlite3.connect(db, timeout=30)) as writer:
            while not stop.is_set():
                writer.execute("INSERT INTO t (s) VALUES ('y')")
                writer.commit()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        taken, revision = backup.take_backup(db, tmp_path / "b", datetime.now(UTC))
    finally:
        stop.set()
        thread.join()
    assert revision is None  # no alembic table here; the copy checked ok
    with contextlib.closing(sqlite3.connect(taken.path)) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert copy.execute("SELECT count(*) FROM t").fetchone()[0] >= 20000


def test_retention_keeps_the_newest_n(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = db.parent / "backups"
    written = []
    for _ in range(4):  # within a second or two: names get -2, -3… and still sort right
        code, out, _ = _run(capsys, "backup", "--keep", "2")
        assert code == 0
        written.append(out.split("已备份：")[1].split("（")[0])
    kept = backup.list_backups(folder)
    assert [str(b.path) for b in kept] == written[:-3:-1]  # the last two, newest first

    # Several at once (a smaller --keep) is a deletion to confirm: without --yes and a
    # terminal, all are kept.
    for _ in range(2):
        assert _run(capsys, "backup", "--keep", "4")[0] == 0
    code, out, _ = _run(capsys, "backup", "--keep", "1")
    assert code == 0 and "--yes" in out
    assert len(backup.list_backups(folder)) == 5
    assert _run(capsys, "backup", "--keep", "1", "--yes")[0] == 0
    assert len(backup.list_backups(folder)) == 1


def test_backup_dir_setting_and_to(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHUCUN_BACKUP_DIR", str(tmp_path / "elsewhere"))
    assert _run(capsys, "backup")[0] == 0
    assert len(backup.list_backups(tmp_path / "elsewhere")) == 1
    assert _run(capsys, "backup", "--to", str(tmp_path / "usb"))[0] == 0
    assert len(backup.list_backups(tmp_path / "usb")) == 1
    code, out, _ = _run(capsys, "restore", "--yes")  # the configured folder's latest
    assert code == 0 and "elsewhere" in out


def test_doctor_reports_the_newest_backup(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run(capsys, "doctor", "--offline")
    [line] = [line for line in out.splitlines() if "备份" in line]
    assert line.startswith("注意") and "还没有备份" in line and "zhucun backup" in line

    assert _run(capsys, "backup")[0] == 0
    _, out, _ = _run(capsys, "doctor", "--offline")
    [line] = [line for line in out.splitlines() if "备份" in line]
    assert line.startswith("正常") and "最新备份" in line

    newest = backup.list_backups(db.parent / "backups")[0].path
    old = backup.stamp(datetime.now(UTC) - timedelta(days=3))
    newest.rename(newest.with_name(f"zhucun-{old}.db"))
    _, out, _ = _run(capsys, "doctor", "--offline")
    [line] = [line for line in out.splitlines() if "备份" in line]
    assert line.startswith("注意") and "3 天" in line


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_postgresql_is_refused_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZHUCUN_DATABASE_URL", "postgresql+asyncpg://zhucun@127.0.0.1:9/zhucun")
    code, out, err = _run(capsys, command, "--yes")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "pg_dump" in err


def test_the_worker_backs_up_once_a_day_from_three(db: Path) -> None:
    from bot.worker import Worker

    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{db}")  # type: ignore[call-arg]
    clock = FixedClock(datetime(2026, 12, 8, 2, 30, tzinfo=settings.zone))
    worker = Worker(AppContext(settings, clock=clock), backups=True)
    folder = db.parent / "backups"

    async def run() -> None:
        assert await worker.daily_backup() is None  # 02:30 local: not yet
        clock.set(datetime(2026, 12, 8, 9, 0, tzinfo=settings.zone))  # machine on at 09:00
        taken = await worker.daily_backup()
        assert taken is not None and taken.exists()
        clock.set(datetime(2026, 12, 8, 23, 0, tzinfo=settings.zone))
        assert await worker.daily_backup() is None  # once a day
        clock.set(datetime(2026, 12, 9, 3, 1, tzinfo=settings.zone))
        assert await worker.daily_backup() is not None

    asyncio.run(run())
    assert len(backup.list_backups(folder)) == 2


def test_an_older_schema_is_restored_with_a_note(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from models import migrate

    assert _run(capsys, "backup")[0] == 0
    older = tmp_path / "older.db"
    shutil.copy(backup.list_backups(db.parent / "backups")[0].path, older)
    previous = migrate.revisions()[-2]
    with contextlib.closing(sqlite3.connect(older)) as conn:  # only the label matters here
        conn.execute("UPDATE alembic_version SET version_num = ?", (previous,))
        conn.commit()
    code, out, err = _run(capsys, "restore", str(older), "--yes")
    assert code == 0, err
    assert "下次启动时会自动升级" in out and previous in out
