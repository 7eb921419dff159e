"""The dialog asking where to export a snapshot (overwriting: `dialogs.ConfirmScreen`)."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class ExportScreen(ModalScreen[Path | None]):
    """Asks where to write the snapshot; dismisses with the path, or None if cancelled."""

    BINDINGS = [Binding("escape", "cancel", "取消")]

    def __init__(self, default: Path) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog", classes="dialog") as dialog:
            dialog.border_title = "导出 SQLite 快照"
            yield Static(Text("快照是一个完整的数据库文件，可上报、存档，或在其他电脑上合并。"))
            yield Input(str(self.default), id="export-path")
            yield Static(Text("Enter 导出　Esc 取消", style="dim"))

    @on(Input.Submitted, "#export-path")
    def submit(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value:
            self.notify("请填写快照文件的路径", severity="warning")
            return
        self.dismiss(Path(value).expanduser())

    def action_cancel(self) -> None:
        self.dismiss(None)
