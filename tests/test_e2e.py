"""End to end: the installed ``tracker`` in a real terminal (tmux), its database checked after.

Every test runs its own tmux server on a private socket (``tmux -L``) and kills it
afterwards. The screen is read with ``capture-pane -p`` and polled until what the test
waits for is there; nothing sleeps for a fixed time in place of waiting on the screen.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from conftest import seeded_db

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("tmux") is None,
        reason="tmux is not installed (the end-to-end tests drive the app in a tmux terminal)",
    ),
]

TRACKER = Path(sys.executable).with_name("tracker")
CLERK = "测试员"
TIMEOUT = 20.0
"""Seconds to wait for any one thing to appear (generous: CI machines can be slow)."""
POLL = 0.05

FIRST_ITEM = "聚焦推动经济运行"
"""The start of the first item of the bundled plan (category 1, key task 1, item 1)."""

NOTES = "进展：[bold]初稿[/]已报送，（待审）；下一步：征求意见、修改完善。"
"""Full-width punctuation and text that would be console markup if it were read as such."""

TYPING = "正在输入"
"""The save-state line while typed notes are not saved yet."""
SAVED = "已保存"
"""The save-state line once everything is saved."""


# ---------------------------------------------------------------------- screen reading
def _cells(line: str) -> list[str]:
    """The line as terminal cells: a wide (CJK) character is followed by an empty cell."""
    cells: list[str] = []
    for char in line:
        cells.append(char)
        if unicodedata.east_asian_width(char) in "WF":
            cells.append("")
    return cells


def box_text(screen: str, title: str) -> str | None:
    """The text inside the bordered box titled ``title``, its wrapped lines joined.

    Columns are counted in cells, so the box is found whatever wide characters sit to
    its left. ``None`` when no such box is on the screen.
    """
    lines = screen.splitlines()
    for top, line in enumerate(lines):
        if title not in line:
            continue
        cells = _cells(line)
        at = len(_cells(line[: line.index(title)]))
        left = next((i for i in range(at, -1, -1) if cells[i] == "╭"), None)
        right = next((i for i in range(at, len(cells)) if cells[i] == "╮"), None)
        if left is None or right is None:
            continue
        body: list[str] = []
        for row in lines[top + 1 :]:
            row_cells = _cells(row)
            if len(row_cells) > left and row_cells[left] == "╰":
                return "".join("".join(body).split())
            body.append("".join(row_cells[left + 1 : right]))
    return None


def notes_on(screen: str) -> str | None:
    """The text in the notes pane (titled 进展情况)."""
    return box_text(screen, "进展情况")


# ---------------------------------------------------------------------- the terminal
class Terminal:
    """A private tmux server running the app in one session called ``app``."""

    def __init__(self, tmp_path: Path) -> None:
        self.socket = f"tracker-e2e-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
        self.env.update(LANG="C.UTF-8", LC_ALL="C.UTF-8")
        self.db = seeded_db(tmp_path / "tracker.db")  # ``--db`` must name an existing file
        self.socket_path: Path | None = None

    def tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, "-f", os.devnull, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        if result.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def start(self, width: int, height: int, *args: str) -> int:
        """Start ``tracker`` on the test database (with ``args``: more options); returns
        its pid (the pane's own)."""
        # exec, so the pane's process IS tracker: its pid takes signals and tmux
        # reports its exit status (the pane stays, dead, thanks to remain-on-exit).
        command = shlex.join(
            [
                "env",
                "TERM=xterm-256color",
                "LANG=C.UTF-8",
                "LC_ALL=C.UTF-8",
                str(TRACKER),
                "--db",
                str(self.db),
                "--user",
                CLERK,
                *args,
            ]
        )
        if not self._server_up():
            # A second session keeps the server (which reaps the app) alive when the
            # app's pane is closed.
            self.tmux(
                "start-server",
                ";",
                "set-option",
                "-g",
                "remain-on-exit",
                "on",
                ";",
                "set-option",
                "-g",
                "default-shell",
                "/bin/sh",
                ";",
                "new-session",
                "-d",
                "-s",
                "keep",
                "-x",
                "20",
                "-y",
                "5",
                "cat",
            )
            self.socket_path = Path(self.tmux("display-message", "-p", "#{socket_path}").strip())
        self.tmux(
            "new-session", "-d", "-s", "app", "-x", str(width), "-y", str(height), f"exec {command}"
        )
        return int(self.tmux("display-message", "-p", "-t", "app", "#{pane_pid}"))

    def _server_up(self) -> bool:
        return (
            subprocess.run(
                ["tmux", "-L", self.socket, "has-session"],
                env=self.env,
                capture_output=True,
                timeout=TIMEOUT,
            ).returncode
            == 0
        )

    def capture(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "app")

    def wait_for(self, condition: str | Callable[[str], object], what: str = "") -> str:
        """Poll the screen until it shows ``condition`` (a text or a test); return it."""
        test = (lambda s: condition in s) if isinstance(condition, str) else condition
        what = what or repr(condition)
        deadline = time.monotonic() + TIMEOUT
        while True:
            screen = self.capture()
            if test(screen):
                return screen
            if self.dead() is not None:
                raise AssertionError(f"tracker exited while waiting for {what}:\n{screen}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} on screen after {TIMEOUT} s:\n{screen}")
            time.sleep(POLL)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "app", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "app", "-l", text)

    def dead(self) -> int | None:
        """The app's exit status once it has ended, else ``None``."""
        fields = "#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}|#{pid}"
        shown = self.tmux("display-message", "-p", "-t", "app", fields)
        dead, status, signum, server = shown.strip().split("|")
        if dead != "1":
            return None
        if not (status or signum):
            # The pane reads as dead when its terminal closes, before tmux has reaped
            # the process. A tmux built with libutempter can miss that SIGCHLD for
            # good (tmux/tmux#311, #4559), leaving the status unknown: nudge it.
            os.kill(int(server), signal.SIGCHLD)
            return None
        assert not signum, f"tracker was killed by signal {signum} instead of exiting"
        return int(status)

    def wait_exit(self) -> int:
        deadline = time.monotonic() + TIMEOUT
        while (code := self.dead()) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"tracker still running after {TIMEOUT} s:\n{self.capture()}")
            time.sleep(POLL)
        return code

    def close(self) -> None:
        """Kill the server (and any app still running) and remove its socket file."""
        subprocess.run(
            ["tmux", "-L", self.socket, "kill-server"],
            env=self.env,
            capture_output=True,
            timeout=TIMEOUT,
        )
        if self.socket_path is not None:
            self.socket_path.unlink(missing_ok=True)  # tmux leaves it behind


@pytest.fixture
def term(tmp_path: Path) -> Iterator[Terminal]:
    if not TRACKER.exists():
        pytest.fail(f"the tracker program is not installed next to {sys.executable}")
    terminal = Terminal(tmp_path)
    try:
        yield terminal
    finally:
        terminal.close()


# ---------------------------------------------------------------------- steps
def open_first_item(term: Terminal) -> str:
    """From the start: → → → → opens category 1 and key task 1 and lands on item 1."""
    term.wait_for("目录")
    term.keys("Right", "Right", "Right", "Right")
    return term.wait_for(
        lambda s: notes_on(s) is not None and FIRST_ITEM in s, "the first item's panes"
    )


def focus_notes(term: Terminal) -> None:
    term.keys("Enter")
    # Keys typed before the notes have the focus would go to the tree.
    term.wait_for("返回目录", "the notes focused (footer: Esc 返回目录)")


def back_to_tree(term: Terminal) -> None:
    # Escape and a following key sent together would read as Alt+key: wait between.
    term.keys("Escape")
    term.wait_for(
        lambda s: "返回目录" not in s and "退出" in s, "the tree focused (footer: q 退出)"
    )


def item_row(db: Path) -> tuple[str, str, str]:
    with closing(sqlite3.connect(db)) as conn:
        row = conn.execute(
            "SELECT id, status, notes FROM items WHERE content LIKE ? ORDER BY rowid",
            (FIRST_ITEM + "%",),
        ).fetchone()
    assert row is not None, "the first item is not in the database"
    return row


def changes(db: Path, item_id: str) -> list[tuple[str, str, str]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(
            "SELECT field, new_value, by FROM changes WHERE item_id = ? ORDER BY changed_at, rowid",
            (item_id,),
        ).fetchall()


def type_unsaved(term: Terminal, text: str) -> str:
    """Type ``text`` and return once it is on screen and not saved yet.

    Returns the whole text typed. Should the half-second autosave win the race with
    the screen poll, a little more is typed, so the text is unsaved when we return.
    """
    typed = ""
    for attempt in range(5):
        chunk = text if attempt == 0 else "，续"
        term.type(chunk)
        typed += chunk
        screen = term.wait_for(lambda s, t=typed: notes_on(s) == t, f"the notes {typed!r}")
        if TYPING in screen:
            return typed
    raise AssertionError(f"the notes were always saved before the screen showed them:\n{screen}")


# ---------------------------------------------------------------------- tests
def test_status_and_notes_are_saved_and_shown_again(term: Terminal) -> None:
    pid = term.start(80, 24)
    assert pid > 0
    open_first_item(term)

    term.keys("2")
    term.wait_for(f"推进中 {FIRST_ITEM}", "the item's tree label showing 推进中")

    focus_notes(term)
    term.type(NOTES)
    # 已保存 is on screen already (from the status change): wait for the typing state
    # to pass. Were it missed between two polls, the autosave (0.5 s after the last
    # key) is surely done a second after the text is shown.
    seen: dict[str, float | bool] = {"typing": False}

    def saved(screen: str) -> bool:
        if notes_on(screen) != NOTES:
            return False
        seen.setdefault("shown", time.monotonic())
        seen["typing"] = seen["typing"] or TYPING in screen
        settled = seen["typing"] or time.monotonic() - float(seen["shown"]) > 1.0
        return bool(settled) and SAVED in screen and TYPING not in screen

    term.wait_for(saved, "the typed notes, saved")

    back_to_tree(term)
    term.keys("q")
    assert term.wait_exit() == 0

    item_id, status, notes = item_row(term.db)
    assert status == "in_progress"
    assert notes == NOTES
    log = changes(term.db, item_id)
    assert ("status", "in_progress", CLERK) in log
    assert log[-1] == ("notes", NOTES, CLERK)
    assert {by for _, _, by in log} == {CLERK}

    # Again, in a bigger terminal: the notes are there.
    term.tmux("kill-session", "-t", "app")
    term.start(160, 50)
    open_first_item(term)
    screen = term.wait_for(lambda s: notes_on(s) == NOTES, "the saved notes")
    assert f"推进中 {FIRST_ITEM}" in screen
    term.keys("q")
    assert term.wait_exit() == 0
    assert item_row(term.db)[1:] == ("in_progress", NOTES)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_signal_saves_unsaved_notes(term: Terminal, signum: signal.Signals) -> None:
    pid = term.start(100, 30)
    open_first_item(term)
    focus_notes(term)
    typed = type_unsaved(term, f"收到{signum.name}前输入的进展，（未等自动保存）")

    os.kill(pid, signum)

    assert term.wait_exit() == 128 + signum
    item_id, status, notes = item_row(term.db)
    assert notes == typed
    assert status == "not_started"
    assert ("notes", typed, CLERK) in changes(term.db, item_id)


def test_closing_the_terminal_saves_unsaved_notes(term: Terminal) -> None:
    """Closing the window: the terminal goes away and the app gets SIGHUP."""
    pid = term.start(100, 30)
    open_first_item(term)
    focus_notes(term)
    typed = type_unsaved(term, "关闭窗口前输入的进展：甲、乙、丙。")

    term.tmux("kill-pane", "-t", "app")

    deadline = time.monotonic() + TIMEOUT
    while _alive(pid):
        assert time.monotonic() < deadline, f"tracker (pid {pid}) still running"
        time.sleep(POLL)
    item_id, _, notes = item_row(term.db)
    assert notes == typed
    assert ("notes", typed, CLERK) in changes(term.db, item_id)


def _alive(pid: int) -> bool:
    """Whether the process still runs (an exited one not yet reaped does not count)."""
    if not Path("/proc/self/stat").exists():  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):  # gone while being read
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")
