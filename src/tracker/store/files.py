"""Vetting a database file before it is used: header, size, quick check, ownership.

Each check runs before SQLite may change anything, so a file that fails is left byte for
byte as it was (see :meth:`tracker.store.connection.Connection.open`).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from tracker.store import schema
from tracker.store.errors import StoreError, damaged_message, error_code, storage_error

_SQLITE_MAGIC = b"SQLite format 3\x00"
QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024
"""Files up to this size are read in full (``PRAGMA quick_check``) before each open."""


def read_header(path: Path) -> bytes | None:
    """The first 100 bytes of an existing database file.

    Returns:
        None for a new database: no file, or an empty one (SQLite treats it as new).

    Raises:
        StoreError: for a folder, an unreadable file, or one that is not SQLite at all.
    """
    if path.is_dir():
        raise StoreError(f"「{path}」是一个文件夹，请给出数据库文件的路径（如 台账.db）")
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StoreError(f"无法读取「{path}」：{error.strerror or error}") from error
    if not header:
        return None
    if not header.startswith(_SQLITE_MAGIC):
        raise StoreError(f"「{path}」不是 tracker 数据库（不是 SQLite 数据库文件），未做任何改动")
    if len(header) < 100:
        raise StoreError(damaged_message(path, "文件头不完整"))
    # Cut short (a full USB stick, an interrupted copy)? Without a -wal file, the file
    # holds at least the pages its header counts.
    if not Path(f"{path}-wal").exists() and _header_size(header) > _file_size(path):
        raise StoreError(damaged_message(path, "文件比它记录的大小短，复制可能没有完成"))
    return header


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _header_size(header: bytes) -> int:
    """The database size the header records, in bytes (0 if it records none)."""
    page_size = int.from_bytes(header[16:18], "big")
    pages = int.from_bytes(header[28:32], "big")
    # The count is valid only if written with the current change counter.
    if header[92:96] != header[24:28]:
        return 0
    return pages * (65536 if page_size == 1 else page_size)


def writable(path: Path) -> bool:
    """Whether SQLite could write the file: the file and its folder (for the journal or
    WAL beside it) must both be writable. A read-only mount says no even to root."""
    return os.access(path, os.W_OK) and os.access(path.absolute().parent, os.W_OK)


def file_id(path: Path) -> tuple[int, int] | None:
    """Which file is at ``path`` (device and inode), or None if there is none."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def read_only_uri(path: Path, immutable: bool = False) -> str:
    uri = f"{path.absolute().as_uri()}?mode=ro"
    return f"{uri}&immutable=1" if immutable else uri


def connect_read_only(path: Path, wal: bool, timeout_ms: int) -> sqlite3.Connection:
    """A connection that cannot write ``path`` nor create anything beside it."""
    # Even a read-only connection to a WAL file creates -wal and -shm files. With
    # neither present, everything is in the file itself and no other program has it
    # open, so SQLite may treat it as immutable and create nothing.
    immutable = wal and not any(
        Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-shm", "-journal")
    )
    return sqlite3.connect(read_only_uri(path, immutable), uri=True, timeout=timeout_ms / 1000)


def upgraded_in_memory(reader: sqlite3.Connection, path: Path) -> sqlite3.Connection:
    """A copy in memory of an old read-only database, upgraded to the current schema.

    The copy refuses writes (``query_only``); ``reader`` is closed.
    """
    memory = sqlite3.connect(":memory:")
    try:
        reader.backup(memory)
        db = Database(memory)
        db.execute("PRAGMA foreign_keys = ON")
        schema.migrations.apply(db)
        db.execute("PRAGMA query_only = ON")
    except sqlite3.Error as error:
        memory.close()
        raise storage_error(error, path) or StoreError(
            f"无法读取旧格式的只读数据库「{path}」：{error}"
        ) from error
    finally:
        reader.close()
    return memory


def check_tracker_file(conn: sqlite3.Connection, path: Path) -> int:
    """Check that ``conn`` reads an intact tracker database this version understands.

    Returns:
        Its schema version (0 for an empty database).

    Raises:
        StoreError: another program's database, a damaged one or a newer one.
        StoreBusy: another program kept it locked.
        sqlite3.Error: an ``SQLITE_READONLY`` error: only a writer can read the file
            (it must replay what a crash left in its journal first).
    """
    try:
        version, tables, ours = schema.identify(conn)
        # Every page is read: 0.05 s at 10,000 items, 0.5 s at 100,000. Above the limit
        # the header's size check and the reads above have to do.
        checked = _file_size(path) <= QUICK_CHECK_MAX_BYTES
        problems = [row[0] for row in conn.execute("PRAGMA quick_check")] if checked else ["ok"]
    except sqlite3.Error as error:
        if error_code(error) & 0xFF == sqlite3.SQLITE_READONLY:
            raise
        raise storage_error(error, path) or StoreError(f"无法读取「{path}」：{error}") from error
    if problems != ["ok"]:
        raise StoreError(damaged_message(path, "；".join(problems[:3])))
    if version > schema.SCHEMA_VERSION:
        raise StoreError(
            f"数据库「{path}」由更新版本的 tracker 创建（格式版本 {version}，"
            f"本程序支持到 {schema.SCHEMA_VERSION}），请升级 tracker 后再打开；文件未做任何改动"
        )
    if not ours and not (version == 0 and tables <= {"_sqlite_migrations"}):
        raise StoreError(f"「{path}」是其他程序的 SQLite 数据库，不是 tracker 数据库，未做任何改动")
    return version
