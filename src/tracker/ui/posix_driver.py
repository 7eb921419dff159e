"""Textual's Linux/macOS driver, made to let go when the terminal hangs up.

Closing the terminal window (``tmux kill-session``, an SSH drop, the window's ×) leaves
the app a terminal that reads EOF (or fails with EIO) and fails every write with EIO.
Textual's own driver is not made for that:

- its input thread ``select``s the dead descriptor, reads nothing, and loops — a spin;
- its writer thread dies on the first EIO, its queue (30 writes) fills, and the app's
  next write, or its shutdown, blocks in ``Queue.put`` for ever.

This driver reads EOF and EIO as a hang-up, stops its input thread, tells the app
(``App.exit_deadline`` at once from its own thread, ``App.terminal_lost`` on the event
loop), and from then on sends output nowhere: the writer thread
discards what it is given, and the standard output and error are pointed at the null
device so nothing (Rich's exit message included) writes to the dead terminal.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import sys
import termios
import threading
from codecs import getincrementaldecoder
from typing import IO, Any

from textual._loop import loop_last
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

assert sys.platform != "win32", "the Windows driver is Textual's own"  # mypy: POSIX only


class TerminalOutput:
    """The terminal as the writer thread sees it: once it is gone, writes go nowhere."""

    def __init__(self, stream: IO[str], on_lost: Any) -> None:
        self._stream = stream
        self._on_lost = on_lost
        self.gone = threading.Event()

    def write(self, text: str) -> int:
        if not self.gone.is_set():
            try:
                return self._stream.write(text)
            except (OSError, ValueError):
                self._on_lost("写入失败")
        return len(text)

    def flush(self) -> None:
        if not self.gone.is_set():
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self._on_lost("写入失败")

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return True


def terminal_hung_up(fd: int) -> bool:
    """Whether the terminal on ``fd`` is gone (a hung-up terminal fails every ioctl)."""
    try:
        termios.tcgetattr(fd)
    except termios.error:
        return True
    return False


class HangupAwareDriver(LinuxDriver):
    """Textual's ``LinuxDriver``, plus: EOF/EIO on the terminal ends the app cleanly."""

    def __init__(self, app: Any, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._lost_lock = threading.Lock()
        self._lost = False
        self._output = TerminalOutput(self._file or sys.stderr, self.terminal_lost)
        self._file = self._output  # type: ignore[assignment]  # the writer thread's file

    @property
    def is_lost(self) -> bool:
        return self._lost

    def terminal_lost(self, why: str = "挂断") -> None:
        """The terminal went away: stop writing to it and tell the app (any thread)."""
        with self._lost_lock:
            if self._lost:
                return
            self._lost = True
        self.silence()
        self.exit_event.set()  # the input thread stops; disable_input will not wait
        deadline = getattr(self._app, "exit_deadline", None)
        if deadline is not None:
            deadline()  # from this thread: the event loop may be busy for a while
        notify = getattr(self._app, "terminal_lost", None)
        try:
            if notify is not None:
                self._loop.call_soon_threadsafe(notify, why)
            else:
                self._loop.call_soon_threadsafe(self._app.exit)
        except RuntimeError:
            pass  # the loop has closed: the app is ending anyway

    def silence(self) -> None:
        """Send all further output to the null device (called once the terminal is gone)."""
        self._output.gone.set()
        try:
            null = os.open(os.devnull, os.O_WRONLY)
        except OSError:
            return
        try:
            for fd in (1, 2):
                with contextlib.suppress(OSError):
                    os.dup2(null, fd)
        finally:
            os.close(null)

    def check_hangup(self) -> bool:
        """After SIGHUP: whether the terminal is really gone (then stop writing to it)."""
        if terminal_hung_up(self.fileno):
            self.terminal_lost("挂断")
            return True
        return False

    def run_input_thread(self) -> None:
        """Textual's input loop, ending at EOF or EIO instead of spinning on them."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        fileno = self.fileno
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def process(events: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> bool:
            """Feed what was read to the parser; False at EOF or on a read error."""
            for last, (_key, mask) in loop_last(events):
                if mask & selectors.EVENT_READ:
                    try:
                        data = os.read(fileno, 1024 * 4)
                    except OSError:
                        return False
                    if not data:
                        return False
                    for event in parser.feed(decode(data, final=final and last)):
                        self.process_message(event)
            for event in parser.tick():
                self.process_message(event)
            return True

        try:
            while not self.exit_event.is_set():
                if not process(selector.select(0.1)):
                    self.terminal_lost("输入结束")
                    return
            selector.unregister(fileno)
            process(selector.select(0.1), final=True)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass

    def stop_application_mode(self) -> None:
        if self._lost:
            return  # nothing to restore on a terminal that is gone
        super().stop_application_mode()
