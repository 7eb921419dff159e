"""The deadlines dialog (按完成时限): every open item with a due date, soonest first.

Overdue items come first (red), then those inside the warning window (yellow), then
the rest; the header line counts them as of the store's today. For the overdue and
due-soon ones, 未完成单位 names the responsible units whose own report is neither 已完成
nor 持续推进. Enter opens an item.
"""

from __future__ import annotations

from datetime import date

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from tracker.domain.deadlines import DueWarning
from tracker.domain.models import Status
from tracker.store import ItemFilter, ItemRecord, Store
from tracker.ui.labels import one_line, painted, status_badge
from tracker.ui.tones import Tone

CELL_PADDING = 1
"""Blank cells either side of each column."""
MIN_FLEX_WIDTH = 8
"""The narrowest the 任务 and 责任单位 columns get."""
CONTENT_SHARE = 0.4
"""The part of the free width given to 任务."""
_WARNED = (DueWarning.OVERDUE, DueWarning.DUE_SOON)
UNITS_SHARE = 0.2
"""The part of the free width given to 责任单位 (the rest goes to 未完成单位)."""


def unfinished_label(names: list[str], width: int) -> Text:
    """Units still owing an item, as many names as fit ``width`` then ``等 k 个``
    (e.g. ``区发改局、区经信局等 3 个``); empty when none."""
    if not names:
        return Text("")
    shown: list[str] = []
    for index, name in enumerate(names):
        rest = len(names) - index - 1
        candidate = "、".join([*shown, name]) + (f"等 {rest} 个" if rest else "")
        if shown and cell_len(candidate) > width:
            break
        shown.append(name)
    rest = len(names) - len(shown)
    label = "、".join(shown) + (f"等 {rest} 个" if rest else "")
    if rest and cell_len(label) > width:  # not even one name fits: the count
        label = f"{len(names)} 个单位"
    return one_line(label, width)


def due_items(store: Store, plan_id: str, flt: ItemFilter | None = None) -> list[ItemRecord]:
    """The open (not 已完成) items of a plan that have a due date, soonest first."""
    return [
        item
        for item in store.filtered_items(plan_id, flt, order="due")
        if item.due_date is not None and item.status is not Status.DONE
    ]


def days_left(due: date, today: date, warning: DueWarning) -> Text:
    """``逾期 N 天`` (red), ``今天到期`` / ``N 天`` (yellow inside the window), or ``N 天``."""
    days = (due - today).days
    if days < 0:
        return painted(f"逾期 {-days} 天", f"bold {Tone.ERROR}", justify="right")
    label = "今天到期" if days == 0 else f"{days} 天"
    style = f"bold {Tone.WARNING}" if warning is DueWarning.DUE_SOON or days == 0 else ""
    return painted(label, style, justify="right")


def summary(today: date, items: list[ItemRecord], filtered: bool) -> Text:
    """``截至 YYYY-MM-DD，共 N 项未完成的有时限任务，其中逾期 X 项、临期 Y 项``."""
    overdue = sum(item.warning is DueWarning.OVERDUE for item in items)
    due_soon = sum(item.warning is DueWarning.DUE_SOON for item in items)
    text = Text(f"截至 {today.isoformat()}，")
    if not items:
        text.append("没有未完成的有时限任务")
    else:
        text.append(f"共 {len(items)} 项未完成的有时限任务，其中")
        text.append(f"逾期 {overdue} 项", style=f"bold {Tone.ERROR}" if overdue else "")
        text.append("、")
        text.append(f"临期 {due_soon} 项", style=f"bold {Tone.WARNING}" if due_soon else "")
    if filtered:
        text.append("（当前筛选范围内）", style="dim")
    return text


class DueScreen(ModalScreen[str | None]):
    """Lists open items by due date.

    Dismisses with the chosen item's id, or None when closed.

    Args:
        store: The database (its today and warning window are used).
        plan_id: The plan listed.
        flt: The filter in force; only its items are listed.
    """

    # q closes it, as it does the help screen (there is no text to type here).
    BINDINGS = [Binding("escape,q", "cancel", "关闭")]

    def __init__(self, store: Store, plan_id: str, flt: ItemFilter | None = None) -> None:
        super().__init__()
        self.store = store
        self.plan_id = plan_id
        self.flt = flt or ItemFilter()
        self.today = store.today()
        self.items = due_items(store, plan_id, self.flt)
        """The items listed, soonest first."""
        warned = [
            i.id for i in self.items if i.warning in (DueWarning.OVERDUE, DueWarning.DUE_SOON)
        ]
        self.unfinished = {
            item_id: [unit.name for unit in units]
            for item_id, units in store.unfinished_units(warned).items()
        }
        """For overdue and due-soon items: the units whose own report is not finished."""
        self._filled_width: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="due-dialog", classes="dialog") as dialog:
            dialog.border_title = "按完成时限"
            dialog.border_subtitle = "↑↓ 选择　Enter 打开　Esc 关闭"
            yield Static(summary(self.today, self.items, not self.flt.is_empty), id="due-summary")
            yield DataTable(
                id="due-table", cursor_type="row", zebra_stripes=True, cell_padding=CELL_PADDING
            )

    def on_mount(self) -> None:
        self.query_one("#due-table", DataTable).focus()
        # The 任务 and 责任单位 columns share the width left over, known after layout.
        self.call_after_refresh(self.fill)

    def on_resize(self) -> None:
        self.call_after_refresh(self.fill)

    def fill(self) -> None:
        """(Re)build the table to fit its width, keeping the cursor on the same item."""
        table = self.query_one("#due-table", DataTable)
        width = table.scrollable_content_region.width
        if width == self._filled_width:
            return
        self._filled_width = width
        current = self._cursor_item(table)

        due_cells = [Text(item.due_date.isoformat()) for item in self.items if item.due_date]
        left_cells = [
            days_left(item.due_date, self.today, item.warning)
            for item in self.items
            if item.due_date
        ]
        status_cells = [status_badge(item.status) for item in self.items]
        # The outline number (1.2.1) is how a clerk names an item in a report.
        outline_cells = [Text(item.outline) for item in self.items]
        headers = ["序号", "完成时限", "剩余", "状态"]
        fixed = [
            max([cell_len(header), *(cell.cell_len for cell in cells)])
            for header, cells in zip(
                headers, [outline_cells, due_cells, left_cells, status_cells], strict=True
            )
        ]
        free = width - sum(fixed) - 2 * CELL_PADDING * 7
        content_width = max(MIN_FLEX_WIDTH, int(free * CONTENT_SHARE))
        units_width = max(MIN_FLEX_WIDTH, int(free * UNITS_SHARE))
        unfinished_width = max(cell_len("未完成单位"), free - content_width - units_width)

        table.clear(columns=True)
        for header, key, column_width in zip(
            [*headers, "任务", "责任单位", "未完成单位"],
            ["outline", "due", "left", "status", "content", "units", "unfinished"],
            [*fixed, content_width, units_width, unfinished_width],
            strict=True,
        ):
            table.add_column(Text(header, style="bold"), key=key, width=column_width)
        for item, outline, due, left, status in zip(
            self.items, outline_cells, due_cells, left_cells, status_cells, strict=True
        ):
            table.add_row(
                outline,
                due,
                left,
                status,
                one_line(item.content, content_width),
                one_line(item.units_text, units_width),
                unfinished_label(self.unfinished.get(item.id, []), unfinished_width),
                key=item.id,
            )
        if current is not None:
            table.move_cursor(row=table.get_row_index(current), animate=False)

    @staticmethod
    def _cursor_item(table: DataTable) -> str | None:
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    @on(DataTable.RowSelected, "#due-table")
    def open_item(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.dismiss(event.row_key.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
