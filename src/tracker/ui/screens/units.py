"""The units screen: every responsible unit with its figures; Enter picks one.

Concrete units come first, then the collectives (区政府工作部门, 各乡镇街委…), each by
pinyin. A unit's figures count every item it answers for, named in it or through a
collective it belongs to. The screen dismisses with the chosen unit's id (the main
screen then shows only that unit's items) or ``None``.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tracker.domain.units import UnitKind
from tracker.store import Store, UnitRecord
from tracker.ui.labels import literal
from tracker.ui.screens.overview import by_pinyin
from tracker.ui.widgets.progress_table import (
    PROGRESS_COLUMNS,
    ColumnSpec,
    ProgressTable,
    TableRow,
    figure,
    heading,
    progress_cells,
)

UNIT_LIST_COLUMNS = (
    ColumnSpec("unit", "责任单位", numeric=False),
    ColumnSpec("kind", "类型", numeric=False),
    *PROGRESS_COLUMNS,
    ColumnSpec("lead", "牵头"),
)
"""The unit, whether it is one office or a collective, its figures and its leads."""
KIND_LABELS = {UnitKind.CONCRETE: Text("具体", "dim"), UnitKind.COLLECTIVE: Text("集合")}
HINT = "Enter 只看该单位的任务　s 按当前列排序　Esc 返回"


def unit_list_row(unit: UnitRecord) -> TableRow:
    """A unit's row: name (by pinyin), kind (concrete first), figures, leads."""
    cells, values = progress_cells(unit.progress)
    collective = unit.kind is UnitKind.COLLECTIVE
    return TableRow(
        unit.id,
        (literal(unit.name), KIND_LABELS[unit.kind].copy(), *cells, figure(unit.lead)),
        ((unit.initials, unit.name), int(collective), *values, unit.lead),
    )


class UnitsScreen(Screen[str | None]):
    """Pick a unit to filter by; dismisses with its id, or None.

    Args:
        store: The open database.
        plan_id: The plan whose items are counted.
        selected: The unit to put the cursor on first (the filter in force), if any.
    """

    BINDINGS = [
        Binding("escape", "cancel", "返回"),
        Binding("q", "cancel", "返回", show=False),
    ]

    def __init__(self, store: Store, plan_id: str, selected: str | None = None) -> None:
        super().__init__()
        self.store = store
        self.plan_id = plan_id
        self.selected = selected

    def compose(self) -> ComposeResult:
        yield Static(id="units-title")
        yield Static(Text(HINT), id="units-hint")
        with Vertical(id="units-box", classes="progress-box") as box:
            box.border_title = "本分工表的责任单位"
            yield ProgressTable(UNIT_LIST_COLUMNS, id="units-table")
        yield Footer()

    def on_mount(self) -> None:
        store = self.store
        plan = store.plan(self.plan_id)
        self.query_one("#units-title", Static).update(
            heading("责任单位", plan.title, store.today())
        )
        units = store.units(self.plan_id)
        concrete = by_pinyin([u for u in units if u.kind is UnitKind.CONCRETE])
        collective = by_pinyin([u for u in units if u.kind is UnitKind.COLLECTIVE])
        table = self.query_one("#units-table", ProgressTable)
        table.set_rows(unit_list_row(unit) for unit in concrete + collective)
        self.query_one(
            "#units-box"
        ).border_subtitle = f"具体单位 {len(concrete)} 个，集合单位 {len(collective)} 个"
        if self.selected is not None:
            table.select_row(self.selected)

    @on(DataTable.RowSelected, "#units-table")
    def choose(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.dismiss(str(event.row_key.value))

    def action_cancel(self) -> None:
        """Back without choosing."""
        self.dismiss(None)
