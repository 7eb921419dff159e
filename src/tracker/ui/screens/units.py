"""The units screen: every responsible unit with its figures; Enter picks one.

Concrete units come first, then the collectives (区政府工作部门, 各乡镇街委…), each by
pinyin. A unit's figures count every item it answers for, named in it or through a
collective it belongs to. A collective's 成员 column counts its members, or flags it
未设成员: its work then counts for no concrete unit. ``m`` opens the members dialog
(:mod:`tracker.ui.screens.members`) for the unit under the cursor. The screen
dismisses with the chosen unit's id (the main screen then shows only that unit's
items) or ``None``.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tracker.domain.units import UnitKind
from tracker.store import Store, UnitRecord
from tracker.ui.labels import literal, painted
from tracker.ui.screens.members import UNASSIGNED_LABEL, UNASSIGNED_STYLE, MembersScreen
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
    ColumnSpec("members", "成员", numeric=False),
    *PROGRESS_COLUMNS,
    ColumnSpec("lead", "牵头"),
)
"""The unit, whether it is one office or a collective (and its members), its figures
and its leads."""
KIND_LABELS = {UnitKind.CONCRETE: Text("具体", "dim"), UnitKind.COLLECTIVE: Text("集合")}
HINT = "Enter 只看该单位的任务　m 设置成员　s 按当前列排序　Esc 返回"


def members_cell(unit: UnitRecord, members: int) -> Text:
    """A collective's member count, or 未设成员; empty for a concrete unit."""
    if unit.kind is not UnitKind.COLLECTIVE:
        return Text("")
    if not members:
        return painted(UNASSIGNED_LABEL, UNASSIGNED_STYLE, justify="right")
    return figure(members)


def unit_list_row(unit: UnitRecord, members: int = 0) -> TableRow:
    """A unit's row: name (by pinyin), kind (concrete first), members (a collective's),
    figures, leads."""
    cells, values = progress_cells(unit.progress)
    collective = unit.kind is UnitKind.COLLECTIVE
    return TableRow(
        unit.id,
        (
            literal(unit.name),
            KIND_LABELS[unit.kind].copy(),
            members_cell(unit, members),
            *cells,
            figure(unit.lead),
        ),
        ((unit.initials, unit.name), int(collective), members if collective else -1, *values,
         unit.lead),
    )  # fmt: skip


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
        Binding("m", "members", "设置成员"),
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
        self.show_units()
        if self.selected is not None:
            self.query_one("#units-table", ProgressTable).select_row(self.selected)

    def show_units(self) -> None:
        """Fill the table (again, after members changed), keeping the sort and cursor."""
        units = self.store.units(self.plan_id)
        concrete = by_pinyin([u for u in units if u.kind is UnitKind.CONCRETE])
        collective = by_pinyin([u for u in units if u.kind is UnitKind.COLLECTIVE])
        members = {u.id: len(self.store.membership_ids(u.id)) for u in collective}
        table = self.query_one("#units-table", ProgressTable)
        table.set_rows(unit_list_row(u, members.get(u.id, 0)) for u in concrete + collective)
        unassigned = sum(1 for u in collective if not members[u.id])
        subtitle = f"具体单位 {len(concrete)} 个，集合单位 {len(collective)} 个"
        if unassigned:
            subtitle += f"（{unassigned} 个{UNASSIGNED_LABEL}，其任务不计入任何具体单位）"
        self.query_one("#units-box").border_subtitle = subtitle

    @on(DataTable.RowSelected, "#units-table")
    def choose(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.dismiss(str(event.row_key.value))

    def action_cancel(self) -> None:
        """Back without choosing."""
        self.dismiss(None)

    @work
    async def action_members(self) -> None:
        """Tick the members of the collective under the cursor (or the collectives of a
        concrete unit); the figures are recounted after."""
        if self.app.refuse_if_read_only():  # type: ignore[attr-defined]
            return
        key = self.query_one("#units-table", ProgressTable).cursor_key
        unit = self.store.unit(key) if key else None
        if unit is None:
            self.app.bell()
            return
        if await self.app.push_screen_wait(MembersScreen(self.store, unit)):
            self.show_units()
