"""Opening, upgrading, writing and closing the database: what every concept builds on.

:class:`Connection` holds the sqlite-utils ``Database`` and the injected clock; the
concept classes (plans, edits, sessions, settings, units) derive from it and are
composed into :class:`tracker.store.Store`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Self

from sqlite_utils import Database

from tracker.domain.deadlines import Deadline, next_due, parse_deadline
from tracker.store import schema, snapshot
from tracker.store.errors import (
    StoreError,
    StoreReadOnly,
    moved_message,
    read_only_message,
    storage_error,
)
from tracker.store.files import (
    check_tracker_file,
    connect_read_only,
    file_id,
    read_header,
    read_only_uri,
    upgraded_in_memory,
    writable,
)

BUSY_TIMEOUT_MS = 5000
"""How long a write waits for another process's transaction before giving up."""

Clock = Callable[[], datetime]


def _database(conn: sqlite3.Connection) -> Database:
    """The sqlite-utils wrapper of a connection, without sqlite-utils plugins: none is
    used, and looking for them scans every installed package's metadata (tens of
    milliseconds of every start-up)."""
    return Database(conn, execute_plugins=False)


def local_now() -> datetime:
    """The current time in the machine's time zone (the default clock)."""
    return datetime.now().astimezone()


class Connection:
    """The connection to the tracker database, and the clock its times come from.

    Build a :class:`~tracker.store.Store` with :meth:`open`; tests pass a temporary path
    and a fixed clock.
    """

    def __init__(self, db: Database, path: Path | None, clock: Clock = local_now) -> None:
        self.db = db
        self.path = path
        self.clock = clock
        self.session_id: str | None = None
        """The app session writing through this store, recorded with each change."""
        self._machine_id: str | None = None  # read once by Settings.machine_id
        self.today_override: date | None = None
        """A fixed "today" for warnings (``--today``, tests); None follows the clock."""
        self.read_only = False
        """Opened for reading only: every write raises :class:`StoreReadOnly`."""
        self.upgrade_backup: Path | None = None
        """The copy of the file kept before this open upgraded its schema, if it did."""
        self._file_id: tuple[int, int] | None = None
        self._file_path: Path | None = None
        # The due date in force of a recurring deadline, for the plan reads' SQL.
        db.conn.create_function("tracker_next_due", 3, _next_due_sql, deterministic=True)
        # Text that is not UTF-8 (a hand-edited file; a BLOB joined into text) reads with
        # U+FFFD in place of the bad bytes instead of failing the whole query.
        db.conn.text_factory = _lenient_text

    @classmethod
    def open(
        cls,
        path: Path | str,
        clock: Clock = local_now,
        *,
        read_only: bool | None = None,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> Self:
        """Open (creating if needed) a tracker database and bring its schema up to date.

        An existing file is first checked through a read-only connection: that it is
        SQLite, intact (``PRAGMA quick_check``), a tracker database and not from a newer
        version. A file that fails is left byte for byte as it was, without even the
        ``-wal``/``-shm`` files SQLite would create. Before an upgrade to a newer schema
        a checked copy is kept beside the file (``<name>.before-v<N>-<time>.db``).

        Args:
            path: The database file.
            clock: Where times come from (tests pass a fixed one).
            read_only: Open for reading only. None decides by whether the file and its
                folder are writable (a snapshot on a CD or a write-protected USB stick).
            busy_timeout_ms: How long to wait for another program's write lock.

        Raises:
            StoreError: the file is not an intact tracker database, is from a newer
                version, or cannot be read, created or upgraded.
            StoreReadOnly: a read-only file would have to be created or upgraded.
            StoreBusy: another program kept the database locked.
        """
        path = Path(path)
        header = read_header(path)
        if header is None:  # no file yet, or an empty one: a new database
            if read_only:
                raise StoreReadOnly(f"数据库「{path}」不存在，以只读方式无法新建")
            folder = path.absolute().parent
            if folder.is_dir() and not os.access(folder, os.W_OK):
                raise StoreReadOnly(
                    f"无法新建数据库「{path}」：文件夹「{folder}」是只读的，请换一个可写的文件夹"
                )
            return cls._open_writable(path, clock, busy_timeout_ms, checked=True)
        if read_only is None:
            read_only = not writable(path)
        reader = connect_read_only(path, wal=header[18] == 2, timeout_ms=busy_timeout_ms)
        try:
            version = check_tracker_file(reader, path)
        except sqlite3.Error as error:
            # Only a writer can replay the journal a crash left behind (that restores the
            # last commit); the writable connection checks the file again before using it.
            reader.close()
            if read_only:
                raise StoreReadOnly(
                    f"数据库「{path}」上次没有正常关闭，需要先恢复，但文件是只读的；"
                    "请把它复制到可写的文件夹再打开"
                ) from error
            return cls._open_writable(path, clock, busy_timeout_ms, checked=False)
        except BaseException:
            reader.close()
            raise
        if not read_only:
            reader.close()
            return cls._open_writable(path, clock, busy_timeout_ms, checked=True)
        if version < schema.SCHEMA_VERSION:
            # An old snapshot on a CD: upgrade a copy in memory to show it as it is.
            reader = upgraded_in_memory(reader, path)
        store = cls(_database(reader), path, clock)
        store.read_only = True
        return store

    @classmethod
    def _open_writable(cls, path: Path, clock: Clock, busy_timeout_ms: int, checked: bool) -> Self:
        """Open ``path`` for writing, upgrade it, then switch it to WAL.

        Args:
            checked: Whether a read-only connection has vetted the file already.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000)
        except (OSError, sqlite3.Error) as error:
            reason = error.strerror if isinstance(error, OSError) else error
            raise StoreError(
                f"无法创建或打开数据库「{path}」：{reason}；请确认文件夹存在且可写"
            ) from error
        try:
            store = cls(_database(conn), path, clock)
            if not checked:
                check_tracker_file(conn, path)
            store.db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            store.db.execute("PRAGMA foreign_keys = ON")
            store._upgrade()
            store.db.enable_wal()
            # A clerk's words outrank a millisecond: fsync the WAL on every commit.
            store.db.execute("PRAGMA synchronous = FULL")
        except BaseException as error:
            conn.close()
            if isinstance(error, sqlite3.Error):
                raise storage_error(error, path) or StoreError(
                    f"无法打开数据库「{path}」：{error}"
                ) from error
            raise
        store._file_path = path.absolute()
        store._file_id = file_id(store._file_path)
        return store

    def _upgrade(self) -> None:
        """Apply pending migrations in one transaction, after keeping a copy of the file."""
        if not schema.migrations.pending(self.db):
            return
        conn = self.db.conn
        # The write lock is held throughout: a second window opening the same old file
        # waits here, then finds nothing left to do (and keeps no second copy).
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if schema.migrations.pending(self.db):
                if version >= 1:
                    self.upgrade_backup = self._backup_before_upgrade()
                schema.migrations.apply(self.db)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise

    def _backup_before_upgrade(self) -> Path:
        """Copy the file, as last committed, to ``<name>.before-v<N>-<time>.db`` beside it.

        Raises:
            StoreError: if the copy cannot be written or does not check out.
        """
        assert self.path is not None
        stem = f"{self.path.stem}.before-v{schema.SCHEMA_VERSION}-{self.clock():%Y%m%d-%H%M%S}"
        target = self.path.with_name(f"{stem}.db")
        n = 2
        while target.exists():
            target = self.path.with_name(f"{stem}-{n}.db")
            n += 1
        # A second connection reads the committed file; this one holds the write lock,
        # so nothing changes between the copy and the upgrade.
        reader = sqlite3.connect(read_only_uri(self.path), uri=True)
        try:
            snapshot.export_snapshot(reader, self.path, target)
        except snapshot.SnapshotError as error:
            raise StoreError(
                f"升级数据库格式前无法保存备份「{target}」：{error}。数据库没有升级，内容未作改动；"
                "请确认该文件夹可写、磁盘有空间后重试"
            ) from error
        finally:
            reader.close()
        return target

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[Database]:
        """One committed write transaction, taken with ``BEGIN IMMEDIATE``.

        Taking the write lock up front means the busy timeout covers the whole
        read-modify-write, and a failure rolls everything back.

        Raises:
            StoreReadOnly: the store was opened read-only (nothing is attempted).
            StoreBusy: another program kept the write lock past the busy timeout.
            StoreError: the disk is full, the file was moved or deleted, or an I/O
                error; the transaction was rolled back, so the file is as it was.
        """
        if self.read_only:
            raise StoreReadOnly(read_only_message(self.path))
        if self._file_path is not None and file_id(self._file_path) != self._file_id:
            # Writing on would go to a deleted file (or a replaced one's old copy): lost.
            raise StoreError(moved_message(self.path))
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield self.db
            conn.execute("COMMIT")
        except BaseException as error:
            # Some errors (SQLITE_FULL, an I/O error) end the transaction themselves;
            # a second ROLLBACK would hide the real error.
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            translated = storage_error(error, self.path, saving=True)
            if translated is None:
                raise
            raise translated from error

    def _now(self) -> str:
        return self.clock().isoformat(timespec="seconds")

    def today(self) -> date:
        """The day warnings are computed for (``--today`` overrides the clock)."""
        return self.today_override or self.clock().date()

    @classmethod
    def reopen_for_thread(cls, store: Self, busy_timeout_ms: int = 300) -> Self:
        """A second writable connection to ``store``'s file, for another thread (the exit
        deadline, saving while the app's thread is busy). No checks, no upgrade: the file
        was opened and checked already. Never creates the file (nor its folder) again.

        Raises:
            StoreError: the file is gone or cannot be opened.
        """
        if store.path is None or not store.path.exists():
            raise StoreError(f"数据库「{store.path}」已不存在")
        other = cls._open_writable(store.path, store.clock, busy_timeout_ms, checked=True)
        other.session_id = store.session_id
        other.today_override = store.today_override
        return other

    def data_version(self) -> int:
        """A number that changes whenever another connection commits (SQLite's own)."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    def copy_into(self, target: sqlite3.Connection) -> None:
        """Copy the whole database into ``target`` with SQLite's online backup API.

        The copy is consistent even while this or another connection writes, so a
        publisher (``tracker serve``) can reshape the copy without ever touching the
        clerk's file.
        """
        self.db.conn.backup(target)

    def export_snapshot(self, out: Path | str, force: bool = False) -> Path:
        """Write a consistent, self-contained copy of the database to ``out``.

        See :func:`tracker.store.snapshot.export_snapshot`.
        """
        return snapshot.export_snapshot(self.db.conn, self.path, Path(out), force=force)


@lru_cache(maxsize=4096)
def _parsed_deadline(text: str, year: int) -> Deadline:
    return parse_deadline(text, year)


def _lenient_text(raw: bytes) -> str:
    return str(raw, "utf-8", "replace")


@lru_cache(maxsize=4096)
def _next_due_sql(text: object, year: object, today: str) -> str | None:
    """SQL function ``tracker_next_due``: a recurring deadline's next due date."""
    if not isinstance(text, str) or not isinstance(year, int):
        return None
    try:
        due = next_due(_parsed_deadline(text, year), date.fromisoformat(today))
    except (ValueError, OverflowError):  # a year no calendar has
        return None
    return due.isoformat() if due else None
