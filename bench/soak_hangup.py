"""Soak: close the terminal under the installed ``tracker`` at random moments, many times.

Each run starts the app in its own tmux session (80×24, a private tmux server) on one
database, picks a moment and closes the terminal with ``tmux kill-session`` (as closing
the window or an SSH drop does: SIGHUP, then EOF/EIO on the terminal):

* ``startup``    — 0-2.5 s after the start, often before the first frame;
* ``first-frame``— as soon as the tree shows;
* ``typing``     — while Chinese is being typed into the notes;
* ``autosave``   — right after the screen shows typed notes not saved yet;
* ``dialog``     — with one of the screens or dialogs open (search with a query, help,
  overview, units, due list, report, history, merge, conflicts, unit picker, filters,
  export).

Then it waits for the process (found by its unique database path) to be gone. A
process still there after 5 s is an orphan (killed with SIGKILL and counted). For the
``autosave`` and ``dialog`` runs the notes typed before must be in the database. At
the end every session the app recorded must be ended cleanly.

    python bench/soak_hangup.py               # 50 runs
    python bench/soak_hangup.py --runs 100 --seed 3

Prints one line per run and a summary; exits 1 on an orphan, a lost note or an
unclean session.
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import psutil

TRACKER = Path(sys.executable).with_name("tracker")
MOMENTS = ("startup", "first-frame", "typing", "autosave", "dialog")
DIALOGS = {
    "search": ("/", "搜索", "公开"),
    "help": ("?", "按键说明", None),
    "overview": ("o", "按工作任务", None),
    "units": ("U", "本分工表的责任单位", None),
    "due": ("d", "按完成时限", None),
    "report": ("R", "总结", None),
    "history": ("h", "修改历史", None),
    "merge": ("M", "合并快照", None),
    "conflicts": ("C", "合并冲突", None),
    "unit-picker": ("u", "选择我的单位", None),
    "filters": ("f", "筛选", None),
    "export": ("e", "导出 SQLite 快照", None),
}
FIRST_ITEM = "聚焦推动经济运行"
ORPHAN_AFTER = 5.0


class Soak:
    def __init__(self, folder: Path) -> None:
        self.socket = f"soak-hangup-{os.getpid()}"
        self.db = folder / "soak.db"
        self.env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
        self.env.update(LANG="C.UTF-8", LC_ALL="C.UTF-8")
        self.tmux("new-session", "-d", "-s", "keep", "-x", "20", "-y", "5", "cat")

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", os.devnull, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout

    def start(self) -> None:
        command = shlex.join(
            ["env", "TERM=xterm-256color", str(TRACKER), "--db", str(self.db), "--user", "soak"]
        )
        self.tmux("new-session", "-d", "-s", "app", "-x", "80", "-y", "24", f"exec {command}")

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "app")

    def wait_for(self, text: str, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.screen():
                return True
            time.sleep(0.03)
        return False

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "app", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "app", "-l", text)

    def processes(self) -> list[psutil.Process]:
        found = []
        for process in psutil.process_iter(["cmdline", "status"]):
            cmdline = process.info["cmdline"] or []
            if str(self.db) in cmdline and process.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(process)
        return found

    def close(self) -> None:
        self.tmux("kill-session", "-t", "app")
        self.tmux("kill-session", "-t", "keep")

    def notes(self) -> str:
        with closing(sqlite3.connect(self.db)) as conn:
            row = conn.execute(
                "SELECT notes FROM items WHERE content LIKE ? ORDER BY rowid", (FIRST_ITEM + "%",)
            ).fetchone()
        return row[0] if row else ""

    def sessions(self) -> list[tuple[str | None, int]]:
        with closing(sqlite3.connect(self.db)) as conn:
            return conn.execute("SELECT ended_at, clean FROM sessions").fetchall()


def open_notes(soak: Soak) -> bool:
    if not soak.wait_for("目录"):
        return False
    soak.keys("Right", "Right", "Right", "Right")
    if not soak.wait_for(FIRST_ITEM):
        return False
    soak.keys("Enter")
    return soak.wait_for("返回目录")


def run_once(soak: Soak, n: int, rng: random.Random) -> dict:
    moment = rng.choice(MOMENTS)
    detail = ""
    expected: str | None = None
    soak.start()
    if moment == "startup":
        time.sleep(rng.uniform(0.0, 2.5))
    elif moment == "first-frame":
        soak.wait_for("目录")
    else:
        if not open_notes(soak):
            return {"n": n, "moment": moment, "error": "the notes never opened"}
        text = f"第{n}次：挂断前输入的进展，"
        if moment == "typing":
            for chunk in (text[i : i + 3] for i in range(0, len(text), 3)):
                soak.type(chunk)
                time.sleep(rng.uniform(0.0, 0.1))
        else:
            soak.type(text)
            if not soak.wait_for(text.rstrip("，")):
                return {"n": n, "moment": moment, "error": "the typed notes never showed"}
            expected = text
            if moment == "dialog":
                detail = rng.choice(list(DIALOGS))
                key, shown, query = DIALOGS[detail]
                soak.keys("Escape")
                soak.wait_for("q 退出")
                soak.keys(key)
                if not soak.wait_for(shown):
                    return {"n": n, "moment": moment, "error": f"{detail} never opened"}
                if query:
                    soak.type(query)
    soak.tmux("kill-session", "-t", "app")
    closed = time.monotonic()
    while soak.processes() and time.monotonic() - closed < ORPHAN_AFTER:
        time.sleep(0.01)
    exit_seconds = time.monotonic() - closed
    orphans = soak.processes()
    for process in orphans:
        process.kill()
    result = {
        "n": n,
        "moment": moment + (f":{detail}" if detail else ""),
        "exit_s": exit_seconds,
        "orphan": bool(orphans),
    }
    if expected is not None and soak.db.exists():
        result["lost"] = expected not in soak.notes()  # added to what earlier runs typed
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("tmux") is None or not TRACKER.exists():
        print("needs tmux and the installed tracker (pip install -e '.[test]')", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    started = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory(prefix="soak-hangup-") as folder:
        soak = Soak(Path(folder))
        try:
            for n in range(1, args.runs + 1):
                result = run_once(soak, n, rng)
                results.append(result)
                print(
                    f"{n:3} {result['moment']:<22} "
                    + (
                        f"error: {result['error']}"
                        if "error" in result
                        else f"gone in {result['exit_s']:.3f} s"
                        + (" ORPHAN" if result["orphan"] else "")
                        + (" LOST NOTE" if result.get("lost") else "")
                    ),
                    flush=True,
                )
            unclean = [s for s in soak.sessions() if not (s[0] and s[1] == 1)]
            sessions = len(soak.sessions())
        finally:
            soak.close()
    timed = [r for r in results if "exit_s" in r]
    orphans = sum(r["orphan"] for r in timed)
    lost = sum(bool(r.get("lost")) for r in timed)
    errors = sum("error" in r for r in results)
    slowest = max(timed, key=lambda r: r["exit_s"]) if timed else None
    print(
        f"summary: {len(results)} hang-ups, {orphans} orphans, {lost} lost notes, "
        f"{len(unclean)} unclean of {sessions} sessions, {errors} setup errors, seed {args.seed}, "
        + (
            f"slowest exit {slowest['exit_s']:.3f} s ({slowest['moment']}), "
            f"mean {sum(r['exit_s'] for r in timed) / len(timed):.3f} s, "
            if slowest
            else ""
        )
        + f"{time.monotonic() - started:.0f} s"
    )
    return 1 if orphans or lost or unclean else 0


if __name__ == "__main__":
    sys.exit(main())
