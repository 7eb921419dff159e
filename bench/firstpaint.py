"""Launch to first painted frame, as a whole process in a real (pseudo-)terminal.

:func:`first_paint` starts a command in a fresh pseudo-terminal of 120×40 cells and
reads what the program writes to it. The first frame is "painted" when the terminal
has received every marker (the plan's title and its categories' titles, which both
the tracker and the floor show in their tree); the time from just before the
process is spawned to that moment is the figure, interpreter start-up included.
Both sides load their modules from bytecode caches, as an installed program does
(``PYTHONDONTWRITEBYTECODE`` is dropped from the child's environment). Its peak
resident memory so far (VmHWM) is read, and it is sent SIGTERM (the
tracker saves and ends its session on SIGTERM, as when a terminal window closes).

The floor is this file run as a script::

    python bench/firstpaint.py LABELS.json

a bare Textual app whose only widget is a Tree with the same first screen (the
plan's root label and its categories' labels, read from ``LABELS.json``). The tracker
side is the installed ``tracker --db DB`` command itself, unchanged.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from dataclasses import dataclass
from pathlib import Path

COLUMNS, ROWS = 120, 40
TIMEOUT = 120.0
"""Seconds to wait for a first frame before giving up."""


@dataclass(frozen=True)
class Launch:
    """One launch: seconds to the first frame, peak memory, and what went wrong."""

    seconds: float
    maxrss_kb: int
    error: str = ""


def peak_rss_kb(pid: int | str = "self") -> int:
    """A process's peak resident memory (VmHWM), in KiB.

    Read from /proc rather than ``getrusage``: Linux carries ``ru_maxrss`` over
    ``fork`` and ``execve``, so a child started by a big parent would report the
    parent's peak. VmHWM belongs to the address space ``execve`` creates.
    """
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def first_paint(command: list[str], markers: list[str], env: dict | None = None) -> Launch:
    """Run ``command`` in a pseudo-terminal until every marker has been written to it."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    environment = dict(os.environ if env is None else env)
    environment.update(TERM="xterm-256color", COLORTERM="truecolor", LANG="C.UTF-8")
    # As installed (pip compiles every module when it installs a package), the program's
    # own modules load from their bytecode caches, as the bare app's (Textual's) do: a
    # development environment that never writes them would compile tracker's modules
    # from source at every launch. The untimed warm-up launch writes them.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    seen = threading.Event()
    painted: list[float] = []
    output = bytearray()

    def drain() -> None:
        pending = list(markers)
        while True:
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            now = time.monotonic()
            output.extend(chunk)
            if pending:
                text = output.decode("utf-8", "replace")
                pending = [m for m in pending if m not in text]
                if not pending:
                    painted.append(now)
                    seen.set()

    started = time.monotonic()
    process = subprocess.Popen(
        command,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=environment,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    error = ""
    if not seen.wait(TIMEOUT):
        error = "no first frame within the timeout"
    elif process.poll() is not None:
        error = f"exited with {process.returncode} before the frame was seen"
    maxrss = peak_rss_kb(process.pid)
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    process.wait()
    reader.join(5)
    with contextlib.suppress(OSError):
        os.close(master)
    if error:
        tail = output.decode("utf-8", "replace")[-400:]
        return Launch(float("nan"), maxrss, f"{error}: {tail!r}")
    return Launch(painted[0] - started, maxrss)


def bare_app(labels_file: Path) -> None:
    """The floor: a bare Textual app painting a Tree of the plan root and its categories."""
    from textual.app import App, ComposeResult
    from textual.widgets import Tree

    labels = json.loads(labels_file.read_text(encoding="utf-8"))

    class BareTree(App[None]):
        def compose(self) -> ComposeResult:
            tree: Tree[None] = Tree(labels["root"])
            tree.root.expand()
            for label in labels["children"]:
                tree.root.add(label, allow_expand=True)
            yield tree

    BareTree().run()


if __name__ == "__main__":
    bare_app(Path(sys.argv[1]))
