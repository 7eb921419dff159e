"""An item's history: every change of its status, notes and reviews, newest first."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tracker.store import ChangeRecord, Store
from tracker.ui.format import FIELD_LABELS, field_value, second_label
from tracker.ui.labels import literal, one_line
from tracker.ui.tones import Tone

KIND_LABELS = {"edit": "", "undo": "（撤销）", "redo": "（重做）", "carried": "（修订带入）"}


def change_text(change: ChangeRecord, with_item: str | None = None) -> Text:
    """One change as a clerk reads it: when, who, what, from → to."""
    when = second_label(change.changed_at)
    head = Text.assemble(
        (when, "bold"),
        "　",
        literal(change.by, Tone.INFO),
        "　",
        (FIELD_LABELS.get(change.field, change.field), "bold"),
        (KIND_LABELS.get(change.kind, ""), Tone.WARNING),
    )
    if with_item:
        head.append("　")
        head.append_text(one_line(with_item, 40))
    if change.field == "notes":
        body = Text.assemble(("改为：\n", "dim"), field_value(change.field, change.new_value))
    else:
        body = Text.assemble(
            field_value(change.field, change.old_value),
            (" → ", "dim"),
            field_value(change.field, change.new_value),
        )
    return Text.assemble(head, "\n", body)


class HistoryScreen(ModalScreen[None]):
    """Every change of one item, newest first, with time and clerk."""

    BINDINGS = [Binding("escape,q,h", "close", "关闭")]

    def __init__(self, store: Store, item_id: str) -> None:
        super().__init__()
        self.store = store
        self.item_id = item_id

    def compose(self) -> ComposeResult:
        item = self.store.item(self.item_id)
        changes = self.store.changes(self.item_id)
        with VerticalScroll(id="history-dialog", classes="dialog") as dialog:
            dialog.border_title = "修改历史"
            dialog.border_subtitle = "Esc 关闭"
            yield Static(one_line(item.content, 70), classes="history-item")
            if not changes:
                yield Static(Text("尚无修改记录", style="dim"))
            for change in changes:
                yield Static(change_text(change), classes="history-entry")

    def action_close(self) -> None:
        self.dismiss(None)
