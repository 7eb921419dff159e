"""Export a SQLite snapshot: one self-contained file to hand in, archive or merge.

The copy is made with SQLite's online backup API, so it is consistent even while the
app is writing. It is written under a temporary name in the target directory,
switched out of WAL mode (no ``-wal``/``-shm`` side files needed), checked with
``PRAGMA quick_check`` (the page-level half of ``integrity_check``, at a fraction of the
cost on a big file) and only then moved into place.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from tracker.errors import BadFile
from tracker.store import outfile


class SnapshotError(BadFile):
    """The snapshot could not be written; the message is for the clerk."""


def check_target(source: Path | None, out: Path, force: bool) -> Path:
    """Validate a snapshot target and return it resolved.

    Raises:
        SnapshotError: for the database's own path, an existing file without
            ``force``, a directory, or a folder that does not exist or is not writable.
    """
    out = Path(out).expanduser()
    if source is not None:
        own = Path(source).resolve()
        if out.resolve() in {own, Path(f"{own}-wal"), Path(f"{own}-shm")}:
            raise SnapshotError(f"不能把快照导出到数据库自身的文件「{out}」，请换一个文件名")
    try:
        return outfile.check_target(out, force, example="快照.db")
    except outfile.OutputRefused as refused:
        raise SnapshotError(str(refused)) from None


def export_snapshot(
    conn: sqlite3.Connection, source: Path | None, out: Path, force: bool = False
) -> Path:
    """Copy the database behind ``conn`` into a standalone snapshot file.

    Args:
        conn: An open connection to the tracker database.
        source: The database's own path (refused as a target), if it has one.
        out: Where to write the snapshot.
        force: Replace ``out`` if it exists.

    Returns:
        The snapshot's resolved path.

    Raises:
        SnapshotError: if the target is refused or the copy fails; nothing is left behind.
    """
    target = check_target(source, out, force)
    tmp = outfile.temp_beside(target)
    try:
        copy = sqlite3.connect(tmp)
        try:
            conn.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
            result = copy.execute("PRAGMA quick_check").fetchone()[0]
            if result != "ok":
                raise SnapshotError(f"快照校验失败：{result}")
        finally:
            copy.close()
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        try:
            outfile.move_into_place(tmp, target, force)
        except outfile.OutputRefused as refused:
            raise SnapshotError(str(refused)) from None
    except sqlite3.Error as error:
        raise SnapshotError(f"导出快照失败：{error}") from error
    except OSError as error:
        raise SnapshotError(f"写入「{out}」失败：{error.strerror or error}") from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return target
