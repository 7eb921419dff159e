"""A table of progress figures the clerk can sort by any column (overview, units).

Each row keeps, next to the text shown, a value per cell to sort by: numbers sort as
numbers, the completion rate by its exact fraction, unit names by pinyin. A *pinned*
row (the 合计 row) stays last whichever way the table is sorted.

The table has a row cursor (a row is what Enter picks), so ← → choose the column that
``s`` sorts by, and that column's header is highlighted; clicking a header sorts too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.geometry import Region, Spacing
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from tracker.domain.deadlines import DueWarning
from tracker.domain.models import Status
from tracker.store import Progress
from tracker.ui.format import day_label, percent_label
from tracker.ui.labels import literal, painted, warning_style

SORT_MARKS = {False: "▲", True: "▼"}
"""The header mark of the sorted column: ascending, descending."""


@dataclass(frozen=True)
class ColumnSpec:
    """A column of a :class:`ProgressTable`."""

    key: str
    """The column's key (stable; tests and callers find columns by it)."""
    label: str
    """The header a clerk reads."""
    numeric: bool = True
    """Right-aligned figures (False: left-aligned text such as a name)."""


@dataclass(frozen=True)
class TableRow:
    """A row: what it shows and what it sorts by."""

    key: str
    """The row's key (a category or unit id, or ``total``)."""
    cells: tuple[Text, ...]
    """One cell per column, as shown."""
    values: tuple[Any, ...]
    """One sort value per column (comparable within a column)."""
    pinned: bool = False
    """Whether the row stays last however the table is sorted (合计)."""


PROGRESS_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("total", "总数"),
    ColumnSpec("rate", "完成率"),
    ColumnSpec("overdue", DueWarning.OVERDUE.label),
    ColumnSpec("due_soon", DueWarning.DUE_SOON.label),
    *(ColumnSpec(status.value, status.label) for status in Status),
)
"""The figures every progress row has, in order: total, rate, warnings, each status.

The figures a report leads with come first, so they stay on screen at 80 columns."""


def heading(name: str, plan_title: str, today: date) -> Text:
    """A screen's first line: its name, the plan's title and the day the figures are for."""
    return Text.assemble(
        (name, "bold"), "　", literal(plan_title), "　", (f"截至 {day_label(today)}", "dim")
    )


def figure(value: int, style: str = "") -> Text:
    """A right-aligned count."""
    return painted(str(value), style, justify="right")


def progress_cells(progress: Progress, style: str = "") -> tuple[list[Text], list[Any]]:
    """The cells and sort values of :data:`PROGRESS_COLUMNS` for some items' progress.

    Overdue counts are red and due-soon counts yellow when not zero.

    Args:
        progress: The items' counts, as the store gives them.
        style: A style for every cell (bold for the 合计 row).
    """
    cells = [figure(progress.total, style)]
    values: list[Any] = [progress.total]
    if progress.total:
        cells.append(painted(percent_label(progress.done, progress.total), style, justify="right"))
        values.append(Fraction(progress.done, progress.total))
    else:
        cells.append(painted("-", f"{style} dim", justify="right"))
        values.append(Fraction(-1))
    for count, warning in (
        (progress.overdue, DueWarning.OVERDUE),
        (progress.due_soon, DueWarning.DUE_SOON),
    ):
        cells.append(figure(count, f"{style} bold {warning_style(warning)}" if count else style))
        values.append(count)
    for status in Status:
        count = progress.by_status.get(status, 0)
        cells.append(figure(count, style))
        values.append(count)
    return cells, values


class ProgressTable(DataTable[Text]):
    """A zebra-striped table with a row cursor, sortable by any column.

    Args:
        columns: The columns, in order.
        fixed_columns: How many leading columns stay put when the table scrolls sideways.
    """

    BINDINGS = [
        Binding("left", "cursor_left", "选列", key_display="←→"),
        Binding("right", "cursor_right", "选列", show=False),
        Binding("s", "sort", "按当前列排序"),
    ]

    def __init__(
        self,
        columns: Sequence[ColumnSpec],
        *,
        fixed_columns: int = 1,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id, classes=classes)
        self.specs = tuple(columns)
        self.fixed_columns = fixed_columns
        self.sort_column: int | None = None
        """The column the rows are sorted by (None: in the order given)."""
        self.sort_reverse = False
        """Whether the sort is descending."""
        self._rows: list[TableRow] = []

    # ------------------------------------------------------------------ rows
    def set_rows(self, rows: Iterable[TableRow]) -> None:
        """Show these rows (in this order until the clerk sorts)."""
        self._rows = list(rows)
        if not self.columns:
            for index, spec in enumerate(self.specs):
                width = cell_len(spec.label) + 1 if spec.numeric else None
                self.add_column(self._label(index), key=spec.key, width=width)
        self._fill()

    def row_keys(self) -> list[str]:
        """The rows' keys, top to bottom."""
        return [str(row.key.value) for row in self.ordered_rows]

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor."""
        if not self.row_count:
            return None
        return str(self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key.value)

    def select_row(self, key: str) -> None:
        """Put the cursor on the row with this key (if there is one)."""
        if key in self.rows:
            self.move_cursor(row=self.get_row_index(key))

    def _label(self, index: int) -> Text:
        # Every header keeps one cell for the sort mark, so marking never widens a column.
        spec = self.specs[index]
        mark = SORT_MARKS[self.sort_reverse] if index == self.sort_column else ""
        if spec.numeric:
            return Text(spec.label + mark, justify="right")
        return Text(spec.label + (mark or " "))

    def _fill(self) -> None:
        current, column, scroll_x = self.cursor_key, self.cursor_column, self.scroll_x
        for index, spec in enumerate(self.specs):
            self.columns[ColumnKey(spec.key)].label = self._label(index)
        self.clear()
        for row in self._ordered():
            self.add_row(*row.cells, key=row.key)
        row_index = self.get_row_index(current) if current and current in self.rows else 0
        self.move_cursor(row=row_index, column=column)
        self.scroll_x = scroll_x

    def _ordered(self) -> list[TableRow]:
        rows = [row for row in self._rows if not row.pinned]
        if self.sort_column is not None:
            index = self.sort_column
            # A stable sort: rows that tie keep the order they were given in.
            rows.sort(key=lambda row: row.values[index], reverse=self.sort_reverse)
        return rows + [row for row in self._rows if row.pinned]

    # ------------------------------------------------------------------ sorting
    def sort_by(self, column: int) -> None:
        """Sort by a column: ascending, or the other way if it is sorted by it already."""
        if column == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, False
        self._fill()

    def action_sort(self) -> None:
        """Sort by the column under the cursor (again: the other way)."""
        if self.columns:
            self.sort_by(self.cursor_column)

    @on(DataTable.HeaderSelected)
    def sort_by_header(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.move_cursor(column=event.column_index, scroll=False)
        self.sort_by(event.column_index)

    # ------------------------------------------------------------------ column cursor
    def action_cursor_left(self) -> None:
        """Choose the column to the left."""
        self._move_column(-1)

    def action_cursor_right(self) -> None:
        """Choose the column to the right."""
        self._move_column(1)

    def _move_column(self, step: int) -> None:
        # A row cursor normally ignores ← →; here they pick the column to sort by.
        if not self.columns:
            return
        column = max(0, min(len(self.columns) - 1, self.cursor_column + step))
        self.move_cursor(column=column, scroll=False)
        self._scroll_to_column(column)

    def _scroll_to_column(self, column: int) -> None:
        columns = self.ordered_columns
        if column < self.fixed_columns:
            return
        fixed_width = sum(c.get_render_width(self) for c in columns[: self.fixed_columns])
        x = sum(c.get_render_width(self) for c in columns[:column])
        top = self.header_height if self.show_header else 0
        region = Region(x, int(self.scroll_y) + top, columns[column].get_render_width(self), 1)
        self.scroll_to_region(
            region, spacing=Spacing(top, 0, 0, fixed_width), animate=False, force=True
        )

    def _should_highlight(
        self, cursor: Coordinate, target_cell: Coordinate, type_of_cursor: str
    ) -> bool:
        # DataTable's own rule, plus: with a row cursor, light up the header of the
        # column ``s`` would sort by (while the table has focus).
        if type_of_cursor == "row" and target_cell.row == -1:
            return self.has_focus and target_cell.column == cursor.column
        return super()._should_highlight(cursor, target_cell, type_of_cursor)  # type: ignore[arg-type]
