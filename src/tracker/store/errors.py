"""The store's errors and the clerk-facing texts for a file, disk or lock that fails.

Every message here is written for the clerk (in Chinese) and travels in the exception;
the front ends show it as it is. Kept in one module so the error family can be
re-based (on a project-wide error root) without touching the store's logic.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tracker.errors import Refused, StorageError


class StoreError(StorageError):
    """A database that cannot be used as asked; the message is for the clerk."""


class StoreReadOnly(StoreError, Refused):
    """The database can be read but not written (a read-only file or folder, a CD)."""


class StoreBusy(StoreError):
    """Another program held the database's write lock for longer than the busy timeout."""


class NotResponsible(StoreError, Refused):
    """A unit asked to report on an item it does not answer for; nothing was written."""


class ChangedUnderneath(StoreError):
    """The stored value is not the one the clerk saw: another window saved it since.

    Nothing was written; both versions are at hand to show.
    """

    def __init__(self, item_id: str, field: str, current: str | None, expected: str | None):
        self.item_id = item_id
        self.field = field
        self.current = current
        self.expected = expected
        super().__init__("该任务刚被另一窗口修改")


def error_code(error: sqlite3.Error) -> int:
    return getattr(error, "sqlite_errorcode", None) or 0


def damaged_message(path: Path | None, detail: object) -> str:
    return (
        f"「{path}」已损坏或不完整（{detail}），不是可用的 tracker 数据库，未做任何改动。"
        "可以用导出的快照或升级前自动保存的备份（*.before-v*.db）恢复"
    )


def read_only_message(path: Path | None) -> str:
    return (
        f"数据库是只读的（{path}）：文件或所在文件夹不可写（如光盘、写保护的U盘），"
        "只能查看，不能保存修改。如需修改，请先把文件复制到可写的文件夹"
    )


def moved_message(path: Path | None) -> str:
    return (
        f"数据库文件「{path}」已不在原处（可能被移动、改名、删除，或U盘已拔出），"
        "这次的修改没有保存；请找回文件后重新打开 tracker"
    )


def storage_error(
    error: BaseException, path: Path | None, saving: bool = False
) -> StoreError | None:
    """The clerk's message for a failure of the file, the disk or a lock.

    Args:
        saving: Whether a write failed (the message then says it was not saved).

    Returns:
        None for any other error (a bug, which should surface as it is).
    """
    unsaved = "；这次的修改没有保存，数据库保持修改前的样子" if saving else ""
    if isinstance(error, OSError):
        return StoreError(f"读写数据库「{path}」失败：{error.strerror or error}{unsaved}")
    if not isinstance(error, sqlite3.Error):
        return None
    code = error_code(error)
    primary = code & 0xFF
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreBusy(f"另一个程序正在写入该数据库，请稍后重试（{path}）")
    if code == sqlite3.SQLITE_READONLY_DBMOVED:
        return StoreError(moved_message(path))
    if primary == sqlite3.SQLITE_READONLY:
        return StoreReadOnly(read_only_message(path))
    if primary == sqlite3.SQLITE_FULL:
        return StoreError(f"磁盘空间已满，无法写入数据库「{path}」{unsaved}。请清理磁盘空间后重试")
    if primary in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN):
        return StoreError(
            f"读写数据库「{path}」时出错（文件夹可能已被移走或删除，或U盘已拔出）：{error}{unsaved}"
        )
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        if saving:
            return StoreError(f"数据库「{path}」已损坏（{error}）{unsaved}；请用导出的快照恢复")
        return StoreError(damaged_message(path, error))
    return None
