"""Shown after an unclean shutdown: what the last session had saved is all there."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tracker.store import ChangeRecord, SessionRecord, Store
from tracker.ui.format import minute_label, second_label
from tracker.ui.screens.history import change_text


class RecoveryScreen(ModalScreen[None]):
    """Says the app did not close normally last time and lists what was recovered."""

    BINDINGS = [Binding("escape,enter,q", "close", "知道了")]

    def __init__(
        self, sessions: list[SessionRecord], changes: list[ChangeRecord], store: Store
    ) -> None:
        super().__init__()
        self.sessions = sessions
        self.changes = changes
        self.store = store

    def compose(self) -> ComposeResult:
        started = "、".join(minute_label(s.started_at) for s in self.sessions)
        with VerticalScroll(id="recovery-dialog", classes="dialog") as dialog:
            dialog.border_title = "上次未正常退出"
            dialog.border_subtitle = "Enter/Esc 知道了"
            if self.changes:
                last = second_label(self.changes[-1].changed_at)
                summary = (
                    f"上次（{started} 打开）的窗口没有正常关闭（可能被强行结束或断电）。"
                    f"它保存的 {len(self.changes)} 处修改都在数据库中，最后一次保存于 {last}："
                )
            else:
                summary = f"上次（{started} 打开）的窗口没有正常关闭；它没有保存过修改，无需恢复。"
            yield Static(Text(summary))
            for change in reversed(self.changes[-20:]):
                try:
                    content = self.store.item(change.item_id).content
                except KeyError:
                    content = change.item_id
                yield Static(change_text(change, with_item=content), classes="history-entry")

    def action_close(self) -> None:
        self.dismiss(None)
