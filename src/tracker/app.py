"""The Textual app: built with a store and a clerk, it shows the plan's main screen.

The app holds what outlives any one widget: the store, the clerk's name and the
unsaved notes (:class:`~tracker.drafts.NoteDrafts`). It saves those drafts on quit and
on SIGTERM/SIGHUP/SIGINT (a closed terminal window), then exits normally so the
terminal is restored.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from pathlib import Path

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.reactive import var

from tracker.drafts import NoteDrafts
from tracker.locations import stylesheet_path
from tracker.screens.help import HelpScreen
from tracker.screens.main import MainScreen
from tracker.screens.recovery import RecoveryScreen
from tracker.store import ItemFilter, Store
from tracker.theme import DARK, LIGHT, LIGHT_ANSI, LIGHT_THEME, THEME_SETTING
from tracker.undo import UndoStack

EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
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
        self.drafts = drafts if drafts is not None else NoteDrafts(time.monotonic)
        chosen = store.unit(my_unit) if my_unit else None
        remembered = store.setting(MY_UNIT_SETTING)
        if remembered and store.unit(remembered) is None:  # a unit no longer (or never) here
            remembered = None
        self.my_unit_id: str | None = chosen.id if chosen else remembered
        """The clerk's unit, if known: ``m`` switches between its items and all."""
        self.undo = UndoStack()
        """The changes made since the app was opened (Ctrl+Z / Ctrl+Y)."""
        self.read_only: bool = bool(getattr(store, "read_only", False))
        """The database cannot be written (a snapshot on a CD or a locked USB stick)."""
        self.session_id: str | None = None
        self.merged_now: list[str] = []
        """Items whose notes the last save had to merge with another window's."""
        self._data_version = 0
        # The light theme is ours (readable contrast); the choice is remembered.
        self.register_theme(LIGHT_THEME)
        self.ansi_theme_light = LIGHT_ANSI
        self.theme = LIGHT if store.setting(THEME_SETTING) == LIGHT else DARK

    def on_mount(self) -> None:
        plans = self.store.plan_list()
        if not plans:
            self.exit(message="数据库中没有分工表，请先用 tracker import 导入")
            return
        plan = next((p for p in plans if p.id == self.plan_id), plans[0])
        self.sub_title = plan.title
        if self.store.today_override is not None:
            self.sub_title += f"（截至 {self.store.today():%Y-%m-%d}）"
        loop = asyncio.get_running_loop()
        for signum in EXIT_SIGNALS:
            loop.add_signal_handler(signum, self._exit_on_signal, signum)
        self.push_screen(MainScreen(plan.id, ItemFilter(unit_id=self.my_unit_id)))
        if not self.read_only:
            self._begin_session()
        self._data_version = self.store.data_version()
        # Another window (or a command) may write the same database: look for its
        # commits (SQLite's data_version) and show them.
        self.set_interval(EXTERNAL_CHECK_SECONDS, self._check_external_changes)

    def on_unmount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in EXIT_SIGNALS:
            loop.remove_signal_handler(signum)

    def _begin_session(self) -> None:
        host = socket.gethostname()
        self.session_id, unclosed = self.store.begin_session(self.user, host, os.getpid())
        crashed, live = [], []
        for session in unclosed:
            if session.host == host and session.pid is not None and _pid_alive(session.pid):
                live.append(session)
            else:
                crashed.append(session)
        for session in crashed:
            self.store.end_session(session.id, clean=False)
        recovered = [c for s in crashed for c in self.store.session_changes(s.id)]
        if crashed:
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
            self.store.end_session(self.session_id, clean=True)
            self.session_id = None

    def _check_external_changes(self) -> None:
        version = self.store.data_version()
        if version != self._data_version:
            self._data_version = version
            if isinstance(self.screen, MainScreen):
                self.screen.show_external_changes()

    def _exit_on_signal(self, signum: int) -> None:
        self.save_drafts()
        if not self.drafts:
            self.end_session()
        self.exit(return_code=128 + signum)

    def show_plan(self, plan_id: str) -> None:
        """Switch the main screen to another plan of the database."""
        self.save_drafts()
        plan = self.store.plan(plan_id)
        self.plan_id = plan_id
        self.sub_title = plan.title
        if self.store.today_override is not None:
            self.sub_title += f"（截至 {self.store.today():%Y-%m-%d}）"
        self.switch_screen(MainScreen(plan_id, ItemFilter(unit_id=self.my_unit_id)))

    def remember_my_unit(self, unit_id: str | None) -> None:
        """Make a unit the clerk's own (remembered in the database), or forget it."""
        if not self.read_only:
            self.store.set_setting(MY_UNIT_SETTING, unit_id)
        self.my_unit_id = unit_id

    def refuse_if_read_only(self) -> bool:
        """Say why an edit does nothing on a read-only database; True if refused."""
        if self.read_only:
            self.notify(
                "此数据库是只读的（如光盘、写保护的U盘或只读文件），不能修改。"
                "请先把它复制到本机可写的位置再打开。",
                title="只读",
                severity="warning",
                timeout=8,
            )
        return self.read_only

    # ------------------------------------------------------------------ saving
    def save_drafts(self) -> set[str]:
        """Commit every unsaved note, one transaction each.

        Returns:
            The ids of the items saved now. A failed save keeps its draft (to be
            retried) and says so in :attr:`save_message`.
        """
        pending = self.drafts.pending()
        merged: list[str] = []

        def save(item_id: str, text: str, base: str | None) -> None:
            change, was_merged = self.store.save_draft(item_id, text, self.user, base)
            self.undo.record(change)
            if was_merged:
                merged.append(item_id)

        failures = self.drafts.flush(save)
        for _ in merged:
            self.notify(
                "这项任务的进展情况刚被另一窗口修改过；两处的文字已合并保存，请检查。",
                title="已合并两处的修改",
                severity="warning",
                timeout=15,
            )
        self.merged_now = merged
        if failures:
            _, error = failures[0]
            self.save_message = Text(
                f"⚠ 进展情况未能保存：{error}。文字仍保留在窗格中，将自动重试。", style="bold red"
            )
            return set()
        if pending:
            self.show_saved()
        return set(pending)

    def show_saved(self) -> None:
        """Tell the clerk that everything is saved, and when (by the store's clock)."""
        self.save_message = Text(f"✓ 已保存 {self.store.clock():%H:%M:%S}", style="green")

    def typing(self) -> None:
        """Tell the clerk that what they type will be saved in a moment."""
        self.save_message = Text("… 正在输入（停顿后自动保存）", style="dim")

    # ------------------------------------------------------------------ actions
    async def action_quit(self) -> None:
        """Save the notes, then quit; if they cannot be saved, stay and say why."""
        self.save_drafts()
        if self.drafts:
            self.notify(
                "进展情况未能保存，暂不退出。请检查磁盘空间或数据库位置后再按 q。",
                severity="error",
                timeout=10,
            )
            return
        self.end_session()
        self.exit()

    def action_save_now(self) -> None:
        """Save the notes now (Ctrl+S)."""
        if isinstance(self.screen, MainScreen):
            self.screen.save_now()  # also shows a merge with another window's text
        else:
            self.save_drafts()
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


def _pid_alive(pid: int) -> bool:
    """Whether a tracker process of this machine is still running.

    A killed app that is not reaped yet (a zombie), or a pid reused by another
    program, does not count as an open window.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process, but alive
    proc = Path(f"/proc/{pid}")
    if not proc.exists():
        return True  # no /proc (macOS, Windows): trust the signal check
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
    except (OSError, IndexError):
        return False
    return state != "Z" and (b"tracker" in cmdline or b"python" in cmdline)
