"""How the app learns that it must end, on every platform, and what it leaves behind.

- **Signals by platform.** Unix: SIGTERM, SIGHUP (the terminal hung up) and SIGINT, through
  the event loop. Windows has neither SIGHUP nor ``loop.add_signal_handler``: Ctrl+C and
  Ctrl+Break arrive as SIGINT and SIGBREAK (``signal.signal``), and closing the console
  window (or logging off, shutting down) as a console control event. The C runtime maps
  that event to SIGBREAK, but Python's C-level handler only sets a flag and returns, and
  Windows ends the process as soon as the control handler returns — the Python handler
  would never run. So a handler registered with ``SetConsoleCtrlHandler`` asks the app to
  save and waits for it (Windows allows about 5 s) before returning.
- **Is another window alive?** psutil, on every platform: a zombie, or a pid reused by a
  process started after the window's session began, is not an open window. Never
  ``os.kill(pid, 0)``: on Windows that *terminates* the process.
- **Rescue file.** When the database cannot take a note any more (its folder deleted, the
  disk gone), the text is written to a plain file in the home folder instead.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

CONSOLE_CLOSE_WAIT = 4.0
"""Seconds a console close (Windows) waits for the save; Windows kills the process at 5 s."""

EXIT_CODE_HANGUP = 129
"""128 + SIGHUP: how the app ends when its terminal went away (the same on Windows)."""


def exit_signals(platform: str | None = None) -> list[int]:
    """The signals that end the app on this platform (names that do not exist are skipped)."""
    platform = sys.platform if platform is None else platform
    names = ("SIGINT", "SIGBREAK") if platform == "win32" else ("SIGTERM", "SIGHUP", "SIGINT")
    found = (getattr(signal, name, None) for name in names)
    return [int(signum) for signum in found if signum is not None]


class ExitSignals:
    """The exit signals, routed to ``on_exit(signum)`` on the event loop's thread.

    Args:
        loop: The app's running loop.
        on_exit: Called on the loop with the signal number; it saves and exits.
        platform: ``sys.platform`` (tests pass ``"win32"``).
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_exit: Callable[[int], object],
        platform: str | None = None,
    ) -> None:
        self.loop = loop
        self.on_exit = on_exit
        self.platform = sys.platform if platform is None else platform
        self.signals = exit_signals(self.platform)
        self.saved = threading.Event()
        """Set by the app once it has saved after a signal (a console close waits on it)."""
        self._previous: dict[int, object] = {}
        self._console_handler: object | None = None

    def install(self) -> None:
        if self.platform == "win32":
            # No add_signal_handler on Windows: plain handlers hand over to the loop.
            for signum in self.signals:
                self._previous[signum] = signal.signal(signum, self._from_signal)
            self._console_handler = _install_console_close(self._console_closed)
        else:
            for signum in self.signals:
                self.loop.add_signal_handler(signum, self.on_exit, signum)

    def remove(self) -> None:
        if self.platform == "win32":
            for signum, previous in self._previous.items():
                signal.signal(signum, previous)  # type: ignore[arg-type]
            self._previous.clear()
            _remove_console_close(self._console_handler)
            self._console_handler = None
        else:
            for signum in self.signals:
                self.loop.remove_signal_handler(signum)

    def _from_signal(self, signum: int, _frame: object) -> None:
        self.loop.call_soon_threadsafe(self.on_exit, signum)

    def _console_closed(self, _event: int) -> bool:
        """A console control event (runs on a thread Windows creates): save, then let go."""
        self.loop.call_soon_threadsafe(self.on_exit, EXIT_CODE_HANGUP - 128)
        self.saved.wait(CONSOLE_CLOSE_WAIT)
        return False  # the next handler (the default) ends the process


if sys.platform == "win32":
    import ctypes
    from ctypes import wintypes

    _CTRL_CLOSE_EVENTS = frozenset({2, 5, 6})  # CTRL_CLOSE, CTRL_LOGOFF, CTRL_SHUTDOWN
    _HandlerRoutine = ctypes.WINFUNCTYPE(wintypes.BOOL, wintypes.DWORD)

    def _install_console_close(callback: Callable[[int], bool]) -> object | None:
        def handler(event: int) -> bool:
            if event in _CTRL_CLOSE_EVENTS:
                return callback(event)
            return False  # Ctrl+C / Ctrl+Break: the C runtime raises SIGINT / SIGBREAK

        routine = _HandlerRoutine(handler)
        if not ctypes.windll.kernel32.SetConsoleCtrlHandler(routine, True):
            return None
        return routine  # kept referenced: Windows calls it until it is removed

    def _remove_console_close(routine: object | None) -> None:
        if routine is not None:
            ctypes.windll.kernel32.SetConsoleCtrlHandler(routine, False)

else:

    def _install_console_close(callback: Callable[[int], bool]) -> object | None:
        return None  # only Windows consoles send close events

    def _remove_console_close(routine: object | None) -> None:
        return None


def pid_alive(pid: int, session_age: float | None = None, slack: float = 5.0) -> bool:
    """Whether the process ``pid`` of this machine is still an open tracker window.

    Args:
        pid: The window's process id, as its session recorded it.
        session_age: Seconds since that session began, by the clock that recorded it.
            A process younger than that (less ``slack``) has only reused the pid.
    """
    import psutil  # only when a session was left open: not at every start

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        created = process.create_time()
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # another user's process, but alive
    return session_age is None or time.time() - created >= session_age - slack


def rescue_notes(
    notes: Iterable[tuple[str, str]], home: Path | None = None, now: datetime | None = None
) -> Path:
    """Write notes the database would not take to a text file in the home folder.

    Args:
        notes: (heading, text) pairs, one per item.
        home: The folder (default: the user's home).
        now: The time in the file name (default: now).

    Returns:
        The file written (a new name each time, never overwriting).

    Raises:
        OSError: the home folder cannot be written either.
    """
    folder = Path.home() if home is None else home
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    body = "\n\n".join(f"【{heading}】\n{text}" for heading, text in notes) + "\n"
    for n in range(100):
        target = folder / f"tracker-未保存的进展-{stamp}{f'-{n}' if n else ''}.txt"
        try:
            # utf-8-sig: Notepad and WPS on an older Windows then read it as UTF-8, not GBK.
            with open(target, "x", encoding="utf-8-sig") as file:
                file.write(body)
        except FileExistsError:
            continue
        return target
    raise FileExistsError(target)
