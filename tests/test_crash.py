"""Crash safety, end to end: the installed ``tracker`` killed with SIGKILL in a real terminal.

SIGKILL cannot be caught, so nothing the app does at exit runs: what survives is what
the autosave had committed. The promise ("nothing is ever lost"): what was saved is a
prefix of what was typed, nothing typed more than 2 s before the kill is lost, the
database passes ``PRAGMA integrity_check``, and the next start says the app did not
close normally and shows what was recovered.

The terminal helpers come from ``test_e2e`` (a private tmux server per test).
:func:`type_and_kill` is also what ``bench/soak_kill.py`` repeats many times.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# The terminal helpers of the end-to-end tests (tests/ is on sys.path under pytest).
from test_e2e import (
    FIRST_ITEM,
    POLL,
    SAVED,
    TIMEOUT,
    TRACKER,
    TYPING,
    Terminal,
    box_text,
    focus_notes,
    notes_on,
    open_first_item,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("tmux") is None,
        reason="tmux is not installed (the end-to-end tests drive the app in a tmux terminal)",
    ),
]

PROMISE = 2.0
"""Seconds: nothing typed longer ago than this before a kill may be lost."""
CI_SLACK = 0.25
"""Seconds the CI test allows beyond :data:`PROMISE`. A chunk counts as typed when
tmux accepted it, a little before the app reads it, and on a loaded machine the
app's two-second save timer fires late: with the save due exactly 2 s after the
first unsaved key, 2.00x s was seen with two busy processes on two CPUs. The soak
(``bench/soak_kill.py``) reports against 2 s exactly."""
RECOVERY_TITLE = "上次未正常退出"

PASSAGE = (
    "本季度政务公开工作进展：一、及时公开重大项目、重大平台信息十二条；"
    "二、召开专题会议两次，部署“双随机、一公开”；三、（待审）政策解读材料初稿已报送，"
    "下一步征求意见、修改完善。"
)
"""Chinese text with full-width punctuation, typed chunk by chunk."""


@pytest.fixture
def term(tmp_path: Path) -> Iterator[Terminal]:
    if not TRACKER.exists():
        pytest.fail(f"the tracker program is not installed next to {TRACKER.parent}")
    terminal = Terminal(tmp_path)
    try:
        yield terminal
    finally:
        terminal.close()


# ---------------------------------------------------------------------- helpers
def wait_killed(term: Terminal, pid: int) -> None:
    """Wait until the killed app is gone (reaped, not a zombie) and check it was SIGKILL.

    Reaped matters: the next start takes a session whose pid still exists (a zombie
    counts) for another open window rather than a crash. tmux can miss the SIGCHLD
    (see ``Terminal.dead``), so it is nudged.
    """
    deadline = time.monotonic() + TIMEOUT
    while _exists(pid):
        assert time.monotonic() < deadline, f"tracker (pid {pid}) still there after SIGKILL"
        server = term.tmux("display-message", "-p", "#{pid}").strip()
        os.kill(int(server), signal.SIGCHLD)
        time.sleep(POLL)
    fields = term.tmux("display-message", "-p", "-t", "app", "#{pane_dead}|#{pane_dead_signal}")
    dead, signum = fields.strip().split("|")
    assert dead == "1"
    assert signum in ("", str(int(signal.SIGKILL))), f"tracker ended by signal {signum}"


def _exists(pid: int) -> bool:
    """Whether the process exists, a zombie not yet reaped included."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def read_db(db: Path) -> tuple[str, str, list[str], list[tuple[str | None, int]]]:
    """Open the database as the next start would (SQLite replays the WAL on open).

    Returns:
        ``PRAGMA integrity_check``'s answer, the first item's notes, every notes value
        logged for it (oldest first) and each session's ``(ended_at, clean)``.
    """
    with closing(sqlite3.connect(db)) as conn:
        integrity = "\n".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
        item_id, notes = conn.execute(
            "SELECT id, notes FROM items WHERE content LIKE ? ORDER BY rowid",
            (FIRST_ITEM + "%",),
        ).fetchone()
        logged = [
            row[0]
            for row in conn.execute(
                "SELECT new_value FROM changes WHERE item_id = ? AND field = 'notes' "
                "ORDER BY changed_at, rowid",
                (item_id,),
            )
        ]
        sessions = conn.execute("SELECT ended_at, clean FROM sessions ORDER BY started_at")
        return integrity, notes or "", logged, sessions.fetchall()


@dataclass
class KillRun:
    """One app killed with SIGKILL while the clerk was typing, and what survived."""

    kill_after: float
    """Seconds from the first key to the kill."""
    typed: str = ""
    """Everything sent to the terminal before the kill."""
    sent: list[tuple[float, int]] = field(default_factory=list)
    """Per chunk: when ``send-keys`` returned (monotonic) and the length typed by then."""
    killed_at: float = 0.0
    integrity: str = ""
    stored: str = ""
    logged: list[str] = field(default_factory=list)
    """The notes values the autosave committed, oldest first."""

    @property
    def lag(self) -> float:
        """How long before the kill the oldest text not saved was typed (0: none lost)."""
        for at, length in self.sent:
            if length > len(self.stored):
                return self.killed_at - at
        return 0.0

    def problems(self, promise: float = PROMISE) -> list[str]:
        """What breaks the promise (empty when it holds)."""
        found = []
        if self.integrity != "ok":
            found.append(f"integrity_check: {self.integrity}")
        if not self.typed.startswith(self.stored):
            found.append(f"saved text is not a prefix of the typed text: {self.stored!r}")
        if self.lag > promise:
            found.append(f"text typed {self.lag:.3f} s before the kill was lost")
        for value in self.logged:
            if not self.typed.startswith(value):
                found.append(f"a save was not a prefix of the typed text: {value!r}")
        if self.logged and self.logged[-1] != self.stored:
            found.append("the last logged save is not the stored notes")
        return found

    def summary(self) -> str:
        return (
            f"killed {self.kill_after:.2f} s into typing: typed {len(self.typed)}, "
            f"saved {len(self.stored)} chars in {len(self.logged)} saves, "
            f"oldest unsaved text typed {self.lag:.3f} s before the kill"
        )


def type_and_kill(
    term: Terminal,
    rng: random.Random,
    kill_between: tuple[float, float] = (2.5, 5.0),
    pause_between: tuple[float, float] = (0.02, 0.25),
) -> KillRun:
    """Start the app, type the first item's notes in chunks, SIGKILL it mid-typing.

    The kill comes at a random moment ``kill_between`` seconds after the first key,
    whether between two chunks or right after one; chunks of 1-6 characters follow
    each other after random pauses (shorter than the half-second pause that saves, so
    only the at-least-every-2-s save and the kill decide what is stored).
    """
    pid = term.start(80, 24)
    open_first_item(term)
    focus_notes(term)
    text = PASSAGE * 20
    run = KillRun(kill_after=rng.uniform(*kill_between))
    start = time.monotonic()
    kill_at = start + run.kill_after
    position = 0
    while time.monotonic() < kill_at and position < len(text):
        chunk = text[position : position + rng.randint(1, 6)]
        term.type(chunk)
        position += len(chunk)
        run.sent.append((time.monotonic(), position))
        time.sleep(max(0.0, min(rng.uniform(*pause_between), kill_at - time.monotonic())))
    run.killed_at = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    run.typed = text[:position]
    wait_killed(term, pid)
    run.integrity, run.stored, run.logged, _ = read_db(term.db)
    return run


# ---------------------------------------------------------------------- tests
def test_sigkill_after_autosave_keeps_the_note_and_next_start_says_so(term: Terminal) -> None:
    pid = term.start(80, 24)
    open_first_item(term)
    focus_notes(term)
    chunks = ["断电测试：", "初稿已报送，", "（待审）；", "下一步：征求意见。"]
    note = "".join(chunks)
    for chunk in chunks:
        term.type(chunk)
        time.sleep(0.1)
    # 已保存 may still be on screen from a save between chunks: it counts only once
    # 正在输入 was seen with the whole note, or a second after the note showed (the
    # autosave comes half a second after the last key).
    seen: dict[str, float | bool] = {"typing": False}

    def saved(screen: str) -> bool:
        if notes_on(screen) != note:
            return False
        seen.setdefault("shown", time.monotonic())
        seen["typing"] = seen["typing"] or TYPING in screen
        settled = seen["typing"] or time.monotonic() - float(seen["shown"]) > 1.0
        return bool(settled) and SAVED in screen and TYPING not in screen

    term.wait_for(saved, "the whole note, saved")

    os.kill(pid, signal.SIGKILL)
    wait_killed(term, pid)

    integrity, notes, logged, sessions = read_db(term.db)
    assert integrity == "ok"
    assert notes == note
    assert logged[-1] == note
    assert sessions == [(None, 0)], "the killed session is still open (not ended cleanly)"

    # The next start: says the app did not close normally and shows the note.
    term.tmux("kill-session", "-t", "app")
    term.start(80, 24)
    screen = term.wait_for(
        lambda s: (box_text(s, RECOVERY_TITLE) or "").find(note) >= 0,
        f"「{RECOVERY_TITLE}」 showing the note",
    )
    assert "强行结束" in (box_text(screen, RECOVERY_TITLE) or "")
    term.keys("Enter")
    term.wait_for(lambda s: RECOVERY_TITLE not in s and "目录" in s, "the dialog closed")
    term.keys("q")
    assert term.wait_exit() == 0

    integrity, notes, _, sessions = read_db(term.db)
    assert integrity == "ok"
    assert notes == note
    assert len(sessions) == 2
    assert sessions[0][0] is not None and sessions[0][1] == 0, "the killed session, unclean"
    assert sessions[1][0] is not None and sessions[1][1] == 1, "this session, clean"


def test_sigkill_mid_typing_keeps_a_prefix_and_loses_nothing_older_than_2s(
    term: Terminal,
) -> None:
    """One run of the soak (``bench/soak_kill.py`` repeats it at many random moments)."""
    seed = int(os.environ.get("TRACKER_KILL_SEED", "20240611"))
    run = type_and_kill(term, random.Random(seed))
    detail = f"seed {seed}: {run.summary()}"
    assert run.integrity == "ok", detail
    assert run.typed.startswith(run.stored), detail
    assert run.lag <= PROMISE + CI_SLACK, detail
    assert run.stored, f"nothing was saved in {run.kill_after:.1f} s of typing ({detail})"
    problems = run.problems(PROMISE + CI_SLACK)
    assert not problems, f"{detail}: {problems}"
