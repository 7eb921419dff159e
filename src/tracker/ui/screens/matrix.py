"""The office's matrix (填报情况): who has reported, at a glance.

Two views of the current category (or the whole plan), from one read of the store
(:meth:`~tracker.store.matrix.Matrix.report_matrix`), switched with ``v``:

- 任务 × 单位: one row per item, one column per responsible unit, each cell the unit's
  own status as a mark (blank: not responsible); Enter opens the item;
- 单位 × 状态: one row per unit with its items counted by its own status, the units
  that have reported nothing first; Enter shows that unit's column in the other view.

``a`` widens the scope to the whole plan (and back). The screen dismisses with the
chosen item's id, or None.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import ContentSwitcher, DataTable, Footer, Static

from tracker.domain.models import Status
from tracker.domain.units import Role
from tracker.store import Store
from tracker.store.matrix import MatrixCell, ReportMatrix, UnitCounts
from tracker.ui.labels import STATUS_STYLES, literal, one_line, painted
from tracker.ui.tones import Tone
from tracker.ui.widgets.progress_table import ColumnSpec, ProgressTable, TableRow, figure, heading

UNREPORTED_MARK = "·"
"""A responsible unit that has not reported (no status, no notes)."""
ITEM_WIDTH = 26
"""Cells of the fixed item column (outline and the start of the content)."""
COUNT_COLUMNS = (
    ColumnSpec("unit", "责任单位", numeric=False),
    ColumnSpec("total", "任务"),
    ColumnSpec("unreported", "未填报"),
    *(ColumnSpec(status.value, status.label) for status in Status),
)
"""单位 × 状态: the unit, its items, those it has not reported on, the rest by its status."""


def cell_mark(cell: MatrixCell | None) -> Text:
    """A unit's status on an item as one mark (the tree's status symbols); blank when
    the unit is not responsible, ``·`` when it has not reported."""
    if cell is None:
        return Text("", justify="center")
    if not cell.reported:
        return painted(UNREPORTED_MARK, "dim", justify="center")
    symbol, style = STATUS_STYLES[cell.status]
    if cell.status is Status.NOT_STARTED:
        style = ""  # reported notes only: not as faint as 未填报
    return painted(symbol, style, justify="center")


def legend() -> Text:
    """What the marks mean."""
    parts: list[Text | str] = []
    for status in Status:
        symbol, style = STATUS_STYLES[status]
        label = "未启动（已填进展）" if status is Status.NOT_STARTED else status.label
        parts += [painted(symbol, style), f" {label}　"]
    parts += [painted(UNREPORTED_MARK, "dim"), " 未填报　空白 非责任单位"]
    return Text.assemble(*parts)


def short_names(names: list[str]) -> list[str]:
    """Column headers: a name without its leading 区 (区发改局 → 发改局) when that stays
    unambiguous and at least two characters; else the full name."""
    shortened = [n[1:] if n.startswith("区") and len(n) > 2 else n for n in names]
    if len(set(shortened)) != len(set(names)):
        return list(names)
    return shortened


def counts_row(counts: UnitCounts) -> TableRow:
    """A unit's row of the 单位 × 状态 view (sort values beside what is shown)."""
    unreported = figure(counts.unreported, f"bold {Tone.ERROR}" if counts.unreported else "")
    by_status = [counts.by_status.get(s, 0) for s in Status]
    return TableRow(
        counts.unit_id,
        (
            literal(counts.name),
            figure(counts.total),
            unreported,
            *(figure(n) for n in by_status),
        ),
        (counts.name, counts.total, counts.unreported, *by_status),
    )


def category_of(store: Store, kind: str, node_id: str) -> str | None:
    """The category a tree node lies in (None for the plan's root)."""
    if kind == "category":
        return node_id
    if kind == "key_task":
        return store.key_task(node_id).category_id
    if kind == "item":
        return store.item(node_id).category_id
    return None


class MatrixScreen(Screen[str | None]):
    """Items × units (or units × statuses) of a category or the plan.

    Args:
        store: The open database.
        plan_id: The plan.
        category_id: The category in view, or None for the whole plan.
    """

    BINDINGS = [
        Binding("escape,b", "close", "返回目录"),
        Binding("q", "close", "返回", show=False),
        Binding("v", "switch_view", "任务×单位/单位×状态"),
        Binding("a", "switch_scope", "本类/全部"),
    ]

    def __init__(self, store: Store, plan_id: str, category_id: str | None = None) -> None:
        super().__init__()
        self.store = store
        self.plan_id = plan_id
        self.category_id = category_id
        """The category shown (None: the whole plan)."""
        self.home_category = category_id
        """The category the screen was opened on (``a`` goes back to it)."""
        self.matrix = ReportMatrix([], [])
        """What is shown, as the store gave it."""

    def compose(self) -> ComposeResult:
        yield Static(id="matrix-title")
        yield Static(legend(), id="matrix-legend")
        with ContentSwitcher(initial="matrix-items", id="matrix-views"):
            yield DataTable(
                id="matrix-items", cursor_type="cell", fixed_columns=2, zebra_stripes=True
            )
            yield ProgressTable(COUNT_COLUMNS, id="matrix-units")
        yield Static(id="matrix-cell")
        yield Footer()

    def on_mount(self) -> None:
        self.fill()
        self.query_one("#matrix-items", DataTable).focus()

    # ------------------------------------------------------------------ filling
    def fill(self) -> None:
        """Read the scope (one statement) and fill both views."""
        store = self.store
        self.matrix = matrix = store.report_matrix(self.plan_id, self.category_id)
        plan = store.plan_list()
        title = next((p.title for p in plan if p.id == self.plan_id), "")
        scope = "全部工作任务"
        if self.category_id is not None:
            category = store.category(self.category_id)
            scope = f"{category.no or category.seq} {category.title}"
        silent = sum(1 for c in matrix.unit_counts() if not c.reported)
        self.query_one("#matrix-title", Static).update(
            Text.assemble(
                heading("填报情况", title, store.today()),
                "\n",
                literal(scope, "bold"),
                f"　{len(matrix.items)} 项任务，{len(matrix.units)} 个责任单位，",
                painted(f"{silent} 个单位尚未填报", f"bold {Tone.ERROR}" if silent else ""),
            )
        )
        self._fill_items()
        self.query_one("#matrix-units", ProgressTable).set_rows(
            counts_row(c) for c in matrix.unit_counts()
        )
        self._describe_cell()

    def _fill_items(self) -> None:
        table = self.query_one("#matrix-items", DataTable)
        matrix = self.matrix
        table.clear(columns=True)
        table.add_column(Text("序号 任务", style="bold"), key="item", width=ITEM_WIDTH)
        table.add_column(Text("已填报", style="bold"), key="reported")
        for unit, name in zip(
            matrix.units, short_names([u.name for u in matrix.units]), strict=True
        ):
            table.add_column(literal(name, "bold"), key=unit.unit_id, width=max(2, cell_len(name)))
        for item in matrix.items:
            label = Text.assemble(literal(item.outline), " ", one_line(item.content, ITEM_WIDTH))
            label.truncate(ITEM_WIDTH, overflow="ellipsis")
            total = len(item.cells)
            done = item.reported
            style = Tone.SUCCESS if total and done == total else ("dim" if not done else "")
            # No concrete unit (a collective with no members): no one to report.
            shown = f"{done}/{total}" if total else "-"
            table.add_row(
                label,
                painted(shown, style, justify="right"),
                *(cell_mark(item.cells.get(u.unit_id)) for u in matrix.units),
                key=item.id,
            )

    # ------------------------------------------------------------------ the cell line
    @on(DataTable.CellHighlighted, "#matrix-items")
    def _cell_moved(self) -> None:
        self._describe_cell()

    def _describe_cell(self) -> None:
        """Under the table: the item and unit under the cursor, in words."""
        line = self.query_one("#matrix-cell", Static)
        table = self.query_one("#matrix-items", DataTable)
        if not table.row_count:
            line.update(Text("本范围没有任务", style="dim"))
            return
        row_key, column_key = table.coordinate_to_cell_key(table.cursor_coordinate)
        item = next(i for i in self.matrix.items if i.id == row_key.value)
        unit = next((u for u in self.matrix.units if u.unit_id == column_key.value), None)
        parts: list[Text | str] = [literal(item.outline, "bold"), " "]
        if unit is None:
            parts.append(one_line(item.content, 40))
        else:
            cell = item.cells.get(unit.unit_id)
            parts += [literal(unit.name, "bold"), "："]
            if cell is None:
                parts.append(Text("非责任单位", style="dim"))
            else:
                if cell.role is Role.LEAD:
                    parts.append(painted("★牵头 ", Tone.MARK))
                if cell.reported:
                    symbol, style = STATUS_STYLES[cell.status]
                    parts.append(painted(f"{symbol}{cell.status.label}", style))
                else:
                    parts.append(painted("未填报", f"bold {Tone.ERROR}"))
        parts.append(Text("　Enter 打开该任务", style="dim"))
        line.update(Text.assemble(*parts))

    # ------------------------------------------------------------------ keys
    @on(DataTable.CellSelected, "#matrix-items")
    def open_item(self, event: DataTable.CellSelected) -> None:
        event.stop()
        self.dismiss(str(event.cell_key.row_key.value))

    @on(DataTable.RowSelected, "#matrix-units")
    def show_unit(self, event: DataTable.RowSelected) -> None:
        """Enter on a unit: its column in the 任务 × 单位 view."""
        event.stop()
        self.action_switch_view()
        table = self.query_one("#matrix-items", DataTable)
        key = str(event.row_key.value)
        if key in table.columns:
            column = table.get_column_index(key)
            row = next(
                (
                    index
                    for index, item in enumerate(self.matrix.items)
                    if key in item.cells and not item.cells[key].reported
                ),
                0,
            )
            table.move_cursor(row=row, column=column)

    def action_switch_view(self) -> None:
        """任务 × 单位 ↔ 单位 × 状态."""
        switcher = self.query_one("#matrix-views", ContentSwitcher)
        switcher.current = "matrix-units" if switcher.current == "matrix-items" else "matrix-items"
        self.query_one(f"#{switcher.current}").focus()
        self.query_one("#matrix-cell").display = switcher.current == "matrix-items"

    def action_switch_scope(self) -> None:
        """The category opened on ↔ the whole plan."""
        if self.home_category is None:
            self.notify("已经是全部工作任务", severity="information")
            return
        self.category_id = None if self.category_id is not None else self.home_category
        self.fill()

    def action_close(self) -> None:
        """Back to the tree."""
        self.dismiss(None)
