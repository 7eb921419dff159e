"""Files a clerk asks for (a snapshot, a ledger): checked before any work, written under a
temporary name, and moved into place only when complete — never over an existing file
unless asked to."""

from __future__ import annotations

import os
import re
import sys
import tempfile
from datetime import date
from pathlib import Path

from tracker.errors import Refused


class OutputRefused(Refused):
    """The target cannot or may not be written; the message is for the clerk."""


def _exists_message(target: Path) -> str:
    return f"文件「{target}」已存在，未覆盖；如确需覆盖，请加 --force"


def check_target(out: Path, force: bool, example: str) -> Path:
    """Validate where an output file goes and return it resolved.

    Args:
        out: The path the clerk gave.
        force: Whether an existing file may be replaced.
        example: A file name to suggest when ``out`` is a folder (``快照.db``).

    Raises:
        OutputRefused: a folder, an existing file without ``force``, or a folder that
            does not exist or cannot be written.
    """
    target = Path(out).expanduser().resolve()
    if target.is_dir():
        raise OutputRefused(f"「{out}」是一个文件夹，请给出文件名（如 {example}）")
    if target.exists() and not force:
        raise OutputRefused(_exists_message(Path(out)))
    if not target.parent.is_dir():
        raise OutputRefused(f"文件夹「{target.parent}」不存在")
    if not os.access(target.parent, os.W_OK):
        raise OutputRefused(f"没有写入文件夹「{target.parent}」的权限")
    return target


def move_into_place(tmp: Path, target: Path, force: bool) -> None:
    """Give a finished temporary file its name.

    Raises:
        OutputRefused: the target appeared meanwhile and ``force`` was not given; or it
            cannot be replaced because another program holds it open (Windows: the
            workbook open in Excel or WPS). The finished file is then kept beside it,
            under a name the message gives.
    """
    if force:
        _replace(tmp, target)
        return
    try:
        # A hard link fails if the target appeared meanwhile: never overwrite.
        os.link(tmp, target)
    except FileExistsError as error:
        raise OutputRefused(_exists_message(target)) from error
    except OSError:
        # File systems without hard links (FAT on a USB stick): check, then rename.
        if target.exists():
            raise OutputRefused(_exists_message(target)) from None
        _replace(tmp, target)


def _replace(tmp: Path, target: Path) -> None:
    try:
        os.replace(tmp, target)
    except PermissionError as error:
        kept = _keep(tmp, target)
        where = f"新文件已保存为「{kept}」" if kept else "新文件也无法另存"
        raise OutputRefused(
            f"无法替换「{target}」：该文件可能正被其他程序（如 Excel、WPS）打开。"
            f"{where}；请关闭该文件后重新导出，或用新文件替换它"
        ) from error


def _keep(tmp: Path, target: Path) -> Path | None:
    """Give the finished temporary file a visible name beside ``target`` (never
    overwriting); None if even that fails (the temporary file is then left as it is)."""
    for n in range(1, 100):
        kept = target.with_name(f"{target.stem}（新）{'' if n == 1 else n}{target.suffix}")
        if kept.exists():
            continue
        try:
            os.rename(tmp, kept)
        except OSError:
            return None
        return kept
    return None


def temp_beside(target: Path) -> Path:
    """An empty temporary file beside ``target``, with the mode a new file gets.

    ``mkstemp`` creates files readable by their owner only (0600); a file handed in on
    a shared folder must open for colleagues too, so the temporary file is given the
    mode ``open()`` would give a new file under the current umask (0644 under 022).
    """
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        if sys.platform != "win32":  # Windows files have no such bits
            os.fchmod(fd, 0o666 & ~current_umask())
    finally:
        os.close(fd)
    return Path(name)


def current_umask() -> int:
    """The process's umask (read by setting it and putting it back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def export_name(year: int, unit_name: str | None, day: date, suffix: str) -> str:
    """The file name an export is offered under: ``2023分工表-区发改局-20230825.xlsx``.

    Args:
        year: The plan's year.
        unit_name: The unit whose items it holds, or None for the whole plan (全部).
        day: The day it is as of (``--today`` where given).
        suffix: ``db``, ``xlsx``, ``docx``, ``md`` …
    """
    unit = _FILE_NAME_UNSAFE.sub("_", unit_name).strip(" .") if unit_name else "全部"
    return f"{year}分工表-{unit or '全部'}-{day:%Y%m%d}.{suffix}"


_FILE_NAME_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
"""Characters a Windows or Unix file name cannot hold."""
