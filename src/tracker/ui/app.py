"""The Textual app: built with a store and a clerk, it shows the plan's main screen.

The app holds what outlives any one widget: the store, the clerk's name and the
editing service (:class:`~tracker.services.editing.Editing`, which keeps the unsaved
notes). It shows what the service answers (toasts, the save line), runs the one
autosave timer the service asks for, and saves the drafts on quit and on an exit
signal (:mod:`tracker.ui.exits`: SIGTERM/SIGHUP/SIGINT on Unix; Ctrl+C, Ctrl+Break and
closing the console on Windows), then exits normally so the terminal is
restored. When the terminal itself is gone (hung up: EOF or EIO on it), the app saves,
records a clean end and exits within a second, writing nothing more to the terminal.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.driver import Driver
from textual.reactive import var
from textual.timer import Timer
from textual.worker import WorkerFailed

from tracker.errors import TrackerError
from tracker.services.drafts import NoteDrafts
from tracker.services.editing import Editing, Outcome
from tracker.store import ItemFilter, Store, StoreError
from tracker.store.locations import stylesheet_path
from tracker.ui.exits import EXIT_CODE_HANGUP, ExitSignals, pid_alive, rescue_notes
from tracker.ui.screens.dialogs import ConfirmScreen
from tracker.ui.screens.help import HelpScreen
from tracker.ui.screens.main import DatabaseChanged, MainScreen
from tracker.ui.theme import DARK, LIGHT, LIGHT_ANSI, LIGHT_THEME, THEME_SETTING
from tracker.ui.tones import Tone

EXIT_DEADLINE = 0.5
"""Seconds after an exit signal or a hang-up by which the process is gone, whatever hangs."""
EXIT_SAVE_WAIT = 0.25
"""Seconds the deadline waits for the event loop to save before saving by itself."""
EXTERNAL_CHECK_SECONDS = 1.0
"""How often the app looks for commits by another window or command."""
MY_UNIT_SETTING = "my_unit"
"""The settings key remembering the clerk's unit."""


class TrackerApp(App[None]):
    """政务公开任务台账.

    Args:
        store: The open database.
        user: The clerk's name, recorded with every change.
        plan_id: The plan to show (default: the newest).
        drafts: Where unsaved notes are kept (tests pass one with a fake clock).
        my_unit: The clerk's unit (name or id; ``--unit``); default: the one remembered
            in the database. When there is one, the tree opens showing only its items.
    """

    TITLE = "政务公开任务台账"
    ENABLE_COMMAND_PALETTE = False
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = [
        Binding("q", "quit", "退出"),
        Binding("ctrl+q", "quit", "退出", show=False, priority=True),
        Binding("question_mark", "help", "帮助", key_display="?"),
        Binding("f1", "help", "帮助", show=False),
        Binding("ctrl+s", "save_now", "保存", priority=True),
        Binding("t", "toggle_theme", "主题", show=False),
    ]

    save_message: var[Text] = var(Text(""))
    """The line that tells the clerk whether their notes are saved."""

    def __init__(
        self,
        store: Store,
        user: str,
        plan_id: str | None = None,
        drafts: NoteDrafts | None = None,
        my_unit: str | None = None,
    ) -> None:
        super().__init__(css_path=stylesheet_path())
        self.store = store
        self.user = user
        self.plan_id = plan_id
        self.editing = Editing(store, user, drafts=drafts)
        """Every edit goes through it; it answers with what changed."""
        self.editing.listen(self._heard)
        self._autosave_timer: Timer | None = None
        chosen = store.unit(my_unit) if my_unit else None
        remembered = store.setting(MY_UNIT_SETTING)
        if remembered and store.unit(remembered) is None:  # a unit no longer (or never) here
            remembered = None
        self.my_unit_id: str | None = chosen.id if chosen else remembered
        """The clerk's unit, if known: ``m`` switches between its items and all."""
        self.session_id: str | None = None
        self._data_version = 0
        # The light theme is ours (readable contrast); the choice is remembered.
        self.register_theme(LIGHT_THEME)
        self.ansi_theme_light = LIGHT_ANSI
        self.theme = LIGHT if store.setting(THEME_SETTING) == LIGHT else DARK
        self._exit_signals: ExitSignals | None = None
        self._ending = False
        self._exit_lock = threading.Lock()
        """Held while the notes are saved on the way out (by the loop or the deadline)."""
        self._exit_saved = threading.Event()
        self._exit_lock_arm = threading.Lock()
        self._deadline_armed = False

    @property
    def drafts(self) -> NoteDrafts:
        """The notes typed but not yet saved (kept by the editing service)."""
        return self.editing.drafts

    @property
    def read_only(self) -> bool:
        """The database cannot be written (a snapshot on a CD or a locked USB stick)."""
        return self.editing.read_only

    @read_only.setter
    def read_only(self, value: bool) -> None:
        self.editing.read_only = value

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver; on Linux/macOS one that ends cleanly when the terminal hangs up."""
        if sys.platform != "win32":
            from tracker.ui.posix_driver import HangupAwareDriver

            return HangupAwareDriver
        return super().get_driver_class()

    def on_mount(self) -> None:
        plans = self.store.plan_list()
        if not plans:
            self.exit(message="数据库中没有分工表，请先用 tracker import 导入")
            return
        plan = next((p for p in plans if p.id == self.plan_id), plans[0])
        self.sub_title = plan.title
        if self.store.today_override is not None:
            self.sub_title += f"（截至 {self.store.today():%Y-%m-%d}）"
        self._exit_signals = ExitSignals(asyncio.get_running_loop(), self._exit_on_signal)
        self._exit_signals.install()
        self.push_screen(MainScreen(self.editing, plan.id, ItemFilter(unit_id=self.my_unit_id)))
        if not self.read_only:
            self._begin_session()
        self._data_version = self.store.data_version()
        # Another window (or a command) may write the same database: look for its
        # commits (SQLite's data_version) and show them.
        self.set_interval(EXTERNAL_CHECK_SECONDS, self._check_external_changes)

    def on_unmount(self) -> None:
        if self._exit_signals is not None:
            self._exit_signals.remove()
            self._exit_signals = None

    def _begin_session(self) -> None:
        host = socket.gethostname()
        self.session_id, unclosed = self.store.begin_session(self.user, host, os.getpid())
        crashed, live = [], []
        for session in unclosed:
            if (
                session.host == host
                and session.pid is not None
                and pid_alive(session.pid, _age(session.started_at, self.store.clock()))
            ):
                live.append(session)
            else:
                crashed.append(session)
        for session in crashed:
            self.store.end_session(session.id, clean=False)
        recovered = [c for s in crashed for c in self.store.session_changes(s.id)]
        if crashed:
            from tracker.ui.screens.recovery import RecoveryScreen

            self.push_screen(RecoveryScreen(crashed, recovered, self.store))
        if live:
            pids = "、".join(str(s.pid) for s in live)
            self.notify(
                f"此数据库已在另一个窗口中打开（进程 {pids}）。两处的修改都会保存；"
                "同一任务的进展情况若两处同时修改，会合并保留两者。",
                title="注意：另一个窗口",
                severity="warning",
                timeout=15,
                markup=False,
            )

    def end_session(self) -> None:
        """Record a clean end of this window's session (after the last save)."""
        if self.session_id is not None:
            try:
                self.store.end_session(self.session_id, clean=True)
            except (StoreError, sqlite3.Error):
                return  # the database is unreachable: the next start finds it unclosed
            self.session_id = None

    def _check_external_changes(self) -> None:
        version = self.store.data_version()
        if version != self._data_version:
            self._data_version = version
            self.screen.post_message(DatabaseChanged())  # the main screen shows them

    def _exit_on_signal(self, signum: int) -> None:
        if signum == EXIT_CODE_HANGUP - 128:
            check = getattr(self._driver, "check_hangup", None)
            if check is not None:
                check()  # a terminal that is gone gets no more output
        self._end_now(128 + signum)

    def terminal_lost(self, why: str = "") -> None:
        """The terminal hung up (EOF or EIO on it): save, end cleanly, exit at once."""
        self._end_now(EXIT_CODE_HANGUP)

    def _end_now(self, return_code: int) -> None:
        """Save everything, record a clean end and exit; gone by :data:`EXIT_DEADLINE`."""
        if self._ending:
            return
        self._ending = True
        self.exit_deadline(return_code)
        try:
            with self._exit_lock:
                if not self._exit_saved.is_set():
                    self.save_drafts()
                    if self.drafts:
                        if self.rescue_drafts() is not None:
                            self.drafts.discard()  # kept in the rescue file
                    else:
                        self.end_session()
                    self._exit_saved.set()
        finally:
            if self._exit_signals is not None:
                self._exit_signals.saved.set()  # a Windows console close may now end us
            self.exit(return_code=return_code)

    @property
    def ended_by_signal(self) -> bool:
        """Whether an exit signal or a hang-up ended the app (all saved by then)."""
        return self._ending

    def exit_deadline(self, return_code: int = EXIT_CODE_HANGUP) -> None:
        """Make sure the process is gone :data:`EXIT_DEADLINE` seconds from now (any thread).

        Called as soon as the terminal is found gone, whatever the event loop is busy
        with. Should the loop not have saved by :data:`EXIT_SAVE_WAIT`, this thread saves
        the notes itself through its own connection; then it ends the process if the
        normal shutdown has not. Tests run headless and are never ended this way.
        """
        if self.is_headless:
            return
        with self._exit_lock_arm:
            if self._deadline_armed:
                return
            self._deadline_armed = True
        threading.Thread(
            target=self._end_by_deadline, args=(return_code,), name="tracker-exit", daemon=True
        ).start()

    def _end_by_deadline(self, return_code: int) -> None:
        armed = time.monotonic()
        if not self._exit_saved.wait(EXIT_SAVE_WAIT):
            with self._exit_lock:  # the loop may be saving right now: never cut that off
                if not self._exit_saved.is_set():
                    self._save_from_thread()
                    self._exit_saved.set()
        time.sleep(max(0.0, EXIT_DEADLINE - (time.monotonic() - armed)))
        os._exit(return_code)

    def _save_from_thread(self) -> None:
        """Save the drafts and end the session through a connection of this thread."""
        path = self.store.path
        if path is not None and not self.read_only:
            try:
                store = Store.reopen_for_thread(self.store)
                try:
                    self.editing.flush(via=store)
                    if not self.drafts and self.session_id is not None:
                        store.end_session(self.session_id, clean=True)
                finally:
                    store.close()
            except Exception:  # the database is unreachable: the rescue file keeps the text
                pass
        if self.drafts and self.rescue_drafts() is not None:
            self.drafts.discard()  # kept in the rescue file

    def rescue_drafts(self) -> Path | None:
        """Write the notes the database did not take to a text file in the home folder."""
        notes = []
        for item_id, text in self.drafts.pending().items():
            try:
                heading = self.store.item(item_id).content[:40]
            except Exception:  # the database is unreachable: the id still names the item
                heading = item_id
            notes.append((heading, text))
        try:
            return rescue_notes(notes)
        except OSError:
            return None

    def show_plan(self, plan_id: str) -> None:
        """Switch the main screen to another plan of the database."""
        self.save_drafts()
        plan = self.store.plan(plan_id)
        self.plan_id = plan_id
        self.sub_title = plan.title
        if self.store.today_override is not None:
            self.sub_title += f"（截至 {self.store.today():%Y-%m-%d}）"
        self.switch_screen(MainScreen(self.editing, plan_id, ItemFilter(unit_id=self.my_unit_id)))

    def remember_my_unit(self, unit_id: str | None) -> None:
        """Make a unit the clerk's own (remembered in the database), or forget it."""
        if not self.read_only:
            self.store.set_setting(MY_UNIT_SETTING, unit_id)
        self.my_unit_id = unit_id

    def refuse_if_read_only(self) -> bool:
        """Say why an edit does nothing on a read-only database; True if refused."""
        return self.editing.refuse_if_read_only()

    # ------------------------------------------------------------------ saving
    def save_drafts(self) -> Outcome:
        """Commit every unsaved note now (the editing service answers what it saved)."""
        return self.editing.save_drafts()

    def _heard(self, outcome: Outcome) -> None:
        """Show what an edit answered (from any screen), and keep the autosave timer."""
        for notice in outcome.notices:
            self.notify(
                notice.text,
                title=notice.title,
                severity=notice.severity,
                timeout=notice.timeout,
                markup=False,
            )
        if outcome.save_state == "saved":
            self.show_saved()
        elif outcome.save_state == "typing":
            self.save_message = Text("… 正在输入（停顿后自动保存）", style="dim")
        elif outcome.save_state == "failed":
            self.save_message = Text(
                f"⚠ 进展情况未能保存：{outcome.error}。文字仍保留在窗格中，将自动重试。",
                style=f"bold {Tone.ERROR}",
            )
        self._arm_autosave()

    def _arm_autosave(self) -> None:
        """One timer, set for when the service says the drafts are due."""
        if self._autosave_timer is not None:
            self._autosave_timer.stop()
            self._autosave_timer = None
        due = self.editing.due_in()
        if due is not None and not self._ending:
            self._autosave_timer = self.set_timer(due, self._autosave)

    def _autosave(self) -> None:
        self._autosave_timer = None
        if self.editing.save_due() is None:  # not due yet by the drafts' clock
            self._arm_autosave()

    def show_saved(self) -> None:
        """Tell the clerk that everything is saved, and when (by the store's clock)."""
        self.save_message = Text(f"✓ 已保存 {self.store.clock():%H:%M:%S}", style=Tone.SUCCESS)

    # ------------------------------------------------------------------ actions
    async def action_quit(self) -> None:
        """Save the notes, then quit. If they cannot be saved (the disk is full, the
        database's folder was deleted), offer to keep them in a text file and quit."""
        self.save_drafts()
        if self.drafts:
            self.push_screen(ConfirmScreen(self._rescue_question()), self._rescue_and_quit)
            return
        self.end_session()
        self.exit()

    def _rescue_question(self) -> str:
        reason = str(self.save_message).removeprefix("⚠ ").split("。文字仍保留", 1)[0]
        return (
            f"{reason}。\n\n"
            f"是（Y）：把未保存的进展情况写入主文件夹「{Path.home()}」中的文本文件"
            "（tracker-未保存的进展-日期时间.txt），然后退出。\n"
            "否（N）：返回，不退出；检查磁盘空间或数据库位置后按 Ctrl+S 再试。"
        )

    def _rescue_and_quit(self, yes: bool | None) -> None:
        if not yes:
            return
        path = self.rescue_drafts()
        if path is None:
            self.notify(
                f"也无法写入主文件夹「{Path.home()}」，暂不退出。请把进展情况窗格中的文字"
                "复制到别处保存。",
                severity="error",
                timeout=15,
                markup=False,
            )
            return
        self.drafts.discard()  # kept in the file now; nothing is left to retry
        self.end_session()
        self.exit(message=f"未能写入数据库的进展情况已保存到：{path}")

    async def run_action(self, *args: Any, **kwargs: Any) -> bool:
        """Run an action (every key binding's, on any screen); a
        :class:`~tracker.errors.TrackerError` escaping it is shown as a notification with
        its message for the clerk, and the app goes on."""
        try:
            return await super().run_action(*args, **kwargs)
        except TrackerError as error:
            self.notify(str(error), severity="error", timeout=10, markup=False)
            return True

    def _handle_exception(self, error: Exception) -> None:
        # A worker (an action that asks first, e.g. an export) that failed with a
        # message for the clerk: shown like an action's, and the app goes on. Any
        # other error ends the app as Textual ends it (an error in a message handler
        # also stops that widget's messages, so it is never kept alive here).
        cause = error.error if isinstance(error, WorkerFailed) else None
        if isinstance(cause, TrackerError):
            self.notify(str(cause), severity="error", timeout=10, markup=False)
            return
        super()._handle_exception(error)

    def action_save_now(self) -> None:
        """Save the notes now (Ctrl+S)."""
        self.save_drafts()  # the main screen, told, shows a merge with another's text
        if not self.drafts:
            self.show_saved()

    def action_help(self) -> None:
        """Show every key."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        """Switch between the dark and the light theme (remembered in the database)."""
        self.theme = LIGHT if self.theme == DARK else DARK
        if not self.read_only:
            self.store.set_setting(THEME_SETTING, self.theme)


def _age(started_at: str, now: datetime) -> float | None:
    """Seconds from ``started_at`` (ISO 8601) to ``now``; None if it does not read."""
    try:
        return (now - datetime.fromisoformat(started_at)).total_seconds()
    except (TypeError, ValueError):
        return None
