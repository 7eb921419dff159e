"""One unit's report on an item, for the office: its full notes and its change history.

Opened from the office's table of units in the item's detail (Enter on a row); read-only
(the unit writes its own report); Esc returns.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tracker.domain.units import Role
from tracker.store import Store
from tracker.ui.format import minute_label
from tracker.ui.labels import literal, one_line, status_badge
from tracker.ui.screens.history import change_text
from tracker.ui.tones import Tone

ROLE_LABELS = {Role.LEAD: "牵头", Role.COOPERATING: "配合"}


class UnitReportScreen(ModalScreen[None]):
    """A unit's status, full notes and history on one item (read-only)."""

    BINDINGS = [Binding("escape,q", "close", "返回")]

    def __init__(self, store: Store, item_id: str, unit: str) -> None:
        """
        Args:
            store: The open database.
            item_id: The item.
            unit: The unit's id or name (a responsible concrete unit).
        """
        super().__init__()
        self.store = store
        self.item_id = item_id
        self.unit = unit

    def compose(self) -> ComposeResult:
        store = self.store
        item = store.item(self.item_id)
        report = store.report(self.item_id, self.unit)
        changes = store.changes(self.item_id, unit=report.unit_id)
        with VerticalScroll(id="unit-report-dialog", classes="dialog") as dialog:
            dialog.border_title = "单位填报"
            dialog.border_subtitle = "只读　Esc 返回"
            yield Static(
                Text.assemble((f"{item.outline}　", "bold"), one_line(item.content, 60)),
                classes="history-item",
            )
            head = Text.assemble(
                literal(report.unit, "bold"),
                (f"（{ROLE_LABELS.get(report.role, '')}）", Tone.MARK),
                "　",
                status_badge(report.status),
            )
            if report.updated_at:
                head.append(f"　最后更新：{minute_label(report.updated_at)}　", style="dim")
                head.append_text(literal(report.updated_by or "", "dim"))
            else:
                head.append("　尚未填报", style="dim")
            if report.last_reviewed is not None:
                head.append(f"　检查：{report.last_reviewed.isoformat()}", style="dim")
            yield Static(head, id="unit-report-head")
            yield Static(Text("进展情况", style="bold"))
            yield Static(
                literal(report.notes) if report.notes else Text("（未填写）", style="dim"),
                id="unit-report-notes",
            )
            yield Static(Text("修改历史", style="bold"))
            if not changes:
                yield Static(Text("尚无修改记录", style="dim"))
            for change in changes:
                yield Static(change_text(change), classes="history-entry")

    def action_close(self) -> None:
        self.dismiss(None)
