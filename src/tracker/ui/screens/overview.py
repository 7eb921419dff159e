"""The progress overview: the figures a clerk copies into the monthly report.

Two tables, both straight from the store: one row per category (工作任务) with a 合计
row for the whole plan, and one row per concrete unit that answers for at least one
item (named in it, or through a collective such as 区政府工作部门), counted from each
unit's own reports; beside it, 逾期单位: the units overdue on some item (their own report
neither 已完成 nor 持续推进 past its due date) with how many. Below them, a line
names the collectives with no members (未设成员) and how many items each holds: that
work counts for no unit in the table.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from tracker.domain.units import UnitKind
from tracker.services.report import ReportLine, unassigned_collectives, unassigned_sentence
from tracker.store import CategoryRecord, Store, UnitRecord
from tracker.ui.labels import literal
from tracker.ui.screens.members import UNASSIGNED_STYLE
from tracker.ui.tones import Tone
from tracker.ui.widgets.progress_table import (
    PROGRESS_COLUMNS,
    ColumnSpec,
    ProgressTable,
    TableRow,
    figure,
    heading,
    progress_cells,
)

CATEGORY_COLUMNS = (ColumnSpec("category", "序号 工作任务", numeric=False), *PROGRESS_COLUMNS)
"""按工作任务: the category, then its figures."""
UNIT_COLUMNS = (
    ColumnSpec("unit", "责任单位", numeric=False),
    *PROGRESS_COLUMNS,
    ColumnSpec("lead", "牵头"),
)
"""按责任单位: the unit, its figures, and how many items it leads."""
OVERDUE_COLUMNS = (
    ColumnSpec("unit", "责任单位", numeric=False),
    ColumnSpec("overdue", "逾期项"),
)
"""逾期单位: a unit and how many items it is overdue on (its own report not finished)."""
TOTAL_KEY = "total"
"""The key of the 合计 row."""


def category_row(category: CategoryRecord) -> TableRow:
    """A category's row (sorted by its place in the plan)."""
    name = Text.assemble(literal(category.no or str(category.seq)), " ", literal(category.title))
    cells, values = progress_cells(category.progress)
    return TableRow(category.id, (name, *cells), (category.seq, *values))


def unit_row(unit: UnitRecord) -> TableRow:
    """A unit's row (its name sorts by pinyin)."""
    cells, values = progress_cells(unit.progress)
    return TableRow(
        unit.id,
        (literal(unit.name), *cells, figure(unit.lead)),
        ((unit.initials, unit.name), *values, unit.lead),
    )


def overdue_row(unit: UnitRecord) -> TableRow:
    """A unit's row of 逾期单位 (its name sorts by pinyin)."""
    return TableRow(
        unit.id,
        (literal(unit.name), figure(unit.progress.overdue, f"bold {Tone.ERROR}")),
        ((unit.initials, unit.name), unit.progress.overdue),
    )


def overdue_units(units: list[UnitRecord]) -> list[UnitRecord]:
    """The concrete units overdue on some item (their own report neither 已完成 nor 持续
    推进 past its due date), most overdue items first, then by pinyin."""
    late = [u for u in units if u.kind is UnitKind.CONCRETE and u.progress.overdue]
    return sorted(by_pinyin(late), key=lambda u: -u.progress.overdue)


def by_pinyin(units: list[UnitRecord]) -> list[UnitRecord]:
    """Units in the order a Chinese list is read: by pinyin initials, then name."""
    return sorted(units, key=lambda unit: (unit.initials, unit.name))


class OverviewScreen(Screen[None]):
    """进度总览: progress by category and by unit, as of the store's today.

    Args:
        store: The open database.
        plan_id: The plan to sum up.
    """

    BINDINGS = [
        Binding("escape,q", "close", "返回"),
        Binding("tab", "app.focus_next", "切换表格"),
        Binding("shift+tab", "app.focus_previous", "切换表格", show=False),
    ]

    def __init__(self, store: Store, plan_id: str) -> None:
        super().__init__()
        self.store = store
        self.plan_id = plan_id

    def compose(self) -> ComposeResult:
        yield Static(id="overview-title")
        with Vertical(id="overview-categories", classes="progress-box") as box:
            box.border_title = "按工作任务"
            yield ProgressTable(CATEGORY_COLUMNS, id="category-table")
        with Horizontal(id="overview-lower"):
            with Vertical(id="overview-units", classes="progress-box") as box:
                box.border_title = "按责任单位"
                box.border_subtitle = "具体单位，按各单位自己的填报"
                yield ProgressTable(UNIT_COLUMNS, id="unit-table")
            with Vertical(id="overview-overdue", classes="progress-box") as box:
                box.border_title = "逾期单位"
                yield ProgressTable(OVERDUE_COLUMNS, id="overdue-table")
        yield Static(id="overview-unassigned")
        yield Footer()

    def on_mount(self) -> None:
        store = self.store
        plan = store.plan(self.plan_id)
        self.query_one("#overview-title", Static).update(
            heading("进度总览", plan.title, store.today())
        )
        total_cells, total_values = progress_cells(plan.progress, "bold")
        total = TableRow(
            TOTAL_KEY, (Text("合计", "bold"), *total_cells), ("", *total_values), pinned=True
        )
        self.query_one("#category-table", ProgressTable).set_rows(
            [*(category_row(c) for c in store.categories(self.plan_id)), total]
        )
        all_units = store.units(self.plan_id)
        units = [
            unit for unit in all_units if unit.kind is UnitKind.CONCRETE and unit.progress.total
        ]
        self.query_one("#unit-table", ProgressTable).set_rows(
            unit_row(unit) for unit in by_pinyin(units)
        )
        late = overdue_units(all_units)
        self.query_one("#overview-overdue").display = bool(late)
        self.query_one("#overdue-table", ProgressTable).set_rows(overdue_row(u) for u in late)
        unassigned = self.query_one("#overview-unassigned", Static)
        lines = [
            ReportLine(key=u.id, name=u.name, progress=u.progress)
            for u in unassigned_collectives(store, by_pinyin(all_units))
        ]
        unassigned.display = bool(lines)
        if lines:
            unassigned.update(
                Text.assemble(
                    literal(unassigned_sentence(lines), UNASSIGNED_STYLE),
                    "在责任单位（U）中按 m 设置成员。",
                )
            )

    def action_close(self) -> None:
        """Back to where the clerk came from."""
        self.dismiss(None)
