"""End to end: closing the terminal ends ``tracker`` within a second, on every screen.

``tmux kill-session`` closes the terminal as closing the window or an SSH drop does:
the app gets SIGHUP and its terminal reads EOF and fails writes with EIO. Whatever
screen or dialog is open, the process must be gone within 1 s, the note typed before
must be in the database, and its session must be recorded as ended cleanly.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from test_e2e import (
    FIRST_ITEM,
    Terminal,
    _alive,
    back_to_tree,
    focus_notes,
    item_row,
    open_first_item,
    type_unsaved,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("tmux") is None or sys.platform == "win32",
        reason="needs tmux (the app runs in a real terminal that is then closed)",
    ),
]

EXIT_WITHIN = 1.0
"""Seconds from the terminal closing to the process being gone."""

SCREENS = {
    # name: (keys that open it from the tree, text that shows it is open, text to type)
    "search": (["/"], "搜索", "公开"),
    "help": (["?"], "按键说明", None),
    "overview": (["o"], "按工作任务", None),
    "units": (["U"], "本分工表的责任单位", None),
    "due": (["d"], "按完成时限", None),
    "report": (["R"], "总结", None),
    "history": (["h"], "修改历史", None),
    "merge": (["M"], "合并快照", None),
    "conflicts": (["C"], "合并冲突", None),
    "unit_picker": (["u"], "选择我的单位", None),
    "filters": (["f"], "筛选", None),
    "export": (["e"], "导出 SQLite 快照", None),
}


@pytest.fixture
def term(tmp_path: Path) -> Iterator[Terminal]:
    terminal = Terminal(tmp_path)
    try:
        yield terminal
    finally:
        terminal.close()


def close_terminal(term: Terminal, pid: int) -> float:
    """Close the app's terminal; return the seconds until its process was gone."""
    term.tmux("kill-session", "-t", "app")
    closed = time.monotonic()
    while _alive(pid) and time.monotonic() - closed < 10:
        time.sleep(0.01)
    gone = time.monotonic() - closed
    assert not _alive(pid), f"tracker (pid {pid}) still runs 10 s after its terminal closed"
    return gone


def type_query(term: Terminal, query: str, title: str) -> None:
    """Type into the search box once it is ready (its hint shows)."""
    term.wait_for("输入关键词开始搜索", "the search box ready")
    term.type(query)
    term.wait_for(lambda s: query in s.split(title, 1)[-1], f"the query {query!r} typed")


def sessions(db: Path) -> list[tuple[str | None, int]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT ended_at, clean FROM sessions").fetchall()


def assert_clean(db: Path) -> None:
    recorded = sessions(db)
    assert recorded, "the app recorded no session"
    assert all(ended and clean == 1 for ended, clean in recorded), recorded


def test_hang_up_on_the_first_frame(term: Terminal) -> None:
    pid = term.start(80, 24)
    term.wait_for("目录")
    assert close_terminal(term, pid) < EXIT_WITHIN
    assert_clean(term.db)


def test_hang_up_while_the_autosave_is_pending(term: Terminal) -> None:
    pid = term.start(80, 24)
    open_first_item(term)
    focus_notes(term)
    typed = type_unsaved(term, "挂断前输入、尚未自动保存的进展。")
    assert close_terminal(term, pid) < EXIT_WITHIN
    assert item_row(term.db)[2] == typed
    assert_clean(term.db)


@pytest.mark.parametrize("screen", list(SCREENS))
def test_hang_up_with_a_screen_open(term: Terminal, screen: str) -> None:
    keys, shown, query = SCREENS[screen]
    pid = term.start(100, 30)
    open_first_item(term)
    focus_notes(term)
    typed = type_unsaved(term, f"打开「{screen}」前输入的进展。")
    back_to_tree(term)
    term.keys(*keys)
    term.wait_for(shown, f"the {screen} screen")
    if query:
        type_query(term, query, shown)
    assert close_terminal(term, pid) < EXIT_WITHIN
    item_id, _, notes = item_row(term.db)
    assert notes == typed, f"{FIRST_ITEM}: the note typed before the hang-up is not saved"
    assert item_id
    assert_clean(term.db)
