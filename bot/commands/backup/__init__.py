"""``zhucun backup`` and ``zhucun restore``: copies of the SQLite database and putting one
back (``bot/backup.py`` does the file work and says why the backup API, not Litestream).

PostgreSQL is backed up with its own tools (pg_dump, the README's "Backups"): both commands
say so in one line. A restore asks first (the answer read from a terminal), or takes
``--yes``; the database it replaces is kept as ``<db>.before-restore-<ts>``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.cli_language import t
from bot.commands.base import CliError, Subparsers, add
from bot.config import Settings
from bot.context import AppContext
from locales import N_

POSTGRES = N_(
    "zhucun backs up only SQLite: for PostgreSQL use pg_dump -Fc / pg_restore (README, Backups)"
)


def _database(settings: Settings) -> Path:
    from bot.backup import BackupError, sqlite_file

    try:
        path = sqlite_file(settings.database_url)
    except BackupError as exc:
        raise CliError(t(exc.message, **exc.params)) from exc
    if path is None:
        raise CliError(t(POSTGRES))
    return path


def _ask(question: str) -> bool:
    print(question, end="", flush=True)
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes", "是", "确定")


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


async def _backup(args: argparse.Namespace, ctx: AppContext) -> int:
    from bot import backup as files

    settings = ctx.settings
    database = _database(settings)
    folder = Path(args.to) if args.to else files.backup_folder(database, settings.backup_dir)
    keep = args.keep if args.keep is not None else settings.backup_keep
    if keep < 1:
        raise CliError(t("--keep must be at least 1"))
    try:
        taken, revision = await asyncio.to_thread(
            files.take_backup, database, folder, ctx.clock.now()
        )
    except files.BackupError as exc:
        raise CliError(t(exc.message, **exc.params)) from exc
    print(
        t(
            "backup written: {path} ({size}, schema {revision})",
            path=taken.path,
            size=files.human_size(taken.size),
            revision=revision or t("none"),
        )
    )
    # The new copy checked OK: now the oldest may go. More than one at once (a smaller
    # --keep) is a deletion the person confirms.
    surplus = len(files.list_backups(folder)) - keep
    if surplus > 1 and not args.yes:
        question = t(
            "This deletes {surplus} old backups (keeping the newest {keep}). Go ahead? [y/N] ",
            surplus=surplus,
            keep=keep,
        )
        if not _interactive() or not _ask(question):
            print(
                t(
                    "kept all older backups ({surplus} over --keep {keep}; add --yes)",
                    surplus=surplus,
                    keep=keep,
                )
            )
            return 0
    removed = await asyncio.to_thread(files.prune, folder, keep, taken.path)
    if removed:
        print(t("removed {n} older backup(s), keeping {keep}", n=len(removed), keep=keep))
    return 0


def _source(args: argparse.Namespace, folder: Path) -> tuple[Path, datetime]:
    from bot import backup as files

    if args.file:
        path = Path(args.file)
        if not path.is_file():
            raise CliError(t("no such file: {path}", path=path))
        match = files.NAME.match(path.name)
        if match:
            return path, datetime.strptime(match.group(1), files.STAMP).replace(tzinfo=UTC)
        return path, datetime.fromtimestamp(path.stat().st_mtime, UTC)
    newest = files.newest_good(folder)
    if newest is None:
        raise CliError(t("no backup in {folder} (name one: zhucun restore FILE)", folder=folder))
    return newest.path, newest.taken


async def _restore(args: argparse.Namespace, ctx: AppContext) -> int:
    from bot import backup as files

    settings = ctx.settings
    database = _database(settings)
    source, taken = _source(args, files.backup_folder(database, settings.backup_dir))
    try:
        revision = await asyncio.to_thread(files.inspect, source)
        note = files.check_revision(revision, source)
    except files.BackupError as exc:
        error = t(exc.message, **exc.params)
        raise CliError(t("{error}; nothing was changed", error=error)) from exc
    if note:
        print(t(note[0], **note[1]))
    when = taken.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")
    if not args.yes:
        if not _interactive():
            raise CliError(
                t(
                    "restore asks before it overwrites the database: run it in a terminal, "
                    "or add --yes; nothing was changed"
                )
            )
        question = t(
            "This overwrites the database {database} with {source} ({when}); stop zhucun run "
            "first. Go ahead? [y/N] ",
            database=database,
            source=source,
            when=when,
        )
        if not _ask(question):
            print(t("cancelled: nothing was changed"))
            return 1
    try:
        before = await asyncio.to_thread(files.restore, source, database, ctx.clock.now())
    except files.BackupError as exc:
        raise CliError(t(exc.message, **exc.params)) from exc
    kept = ""
    if before:
        kept = t("; the previous one is kept as {path} (zhucun restore it to undo)", path=before)
    print(
        t(
            "restored {database} from {source} ({when}, schema {revision}){kept}",
            database=database,
            source=source,
            when=when,
            revision=revision,
            kept=kept,
        )
    )
    return 0


def register(sub: Subparsers) -> None:
    backup = add(
        sub,
        "backup",
        _backup,
        N_(
            "copy the SQLite database (consistent while the bot runs) to the backup folder and "
            "keep the newest N"
        ),
    )
    backup.add_argument(
        "--to", metavar="DIR", help=t("the folder (default: ZHUCUN_BACKUP_DIR or data/backups/)")
    )
    backup.add_argument(
        "--keep",
        type=int,
        metavar="N",
        help=t("keep the newest N (default: ZHUCUN_BACKUP_KEEP, 14)"),
    )
    backup.add_argument(
        "--yes", action="store_true", help=t("delete surplus old backups without asking")
    )
    restore = add(
        sub,
        "restore",
        _restore,
        N_(
            "replace the SQLite database with a backup (the latest unless FILE is given); stop "
            "zhucun run first"
        ),
    )
    restore.add_argument(
        "file", nargs="?", metavar="FILE", help=t("a backup (default: the latest)")
    )
    restore.add_argument("--yes", action="store_true", help=t("do not ask before overwriting"))
