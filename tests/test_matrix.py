"""The office's view (issue #11): the matrix of who has reported, the units overdue on
an item in the due list and the overview, and the by-unit figures from each unit's own
reports.

On the seed, 1.1.1 names 区发改局 (lead), 区经信局 and 区自然资源局; here 区发改局
reports it 已完成 and 区经信局 writes notes only (reported, still 未启动); 区自然资源局
never reports. With today 2023-08-25, 4.1.1 (5月31日: 区经信局、区政府信息公开管理中心)
and 3.2.1 (7月31日: 区政府工作部门, 39 members) are overdue.
"""

from __future__ import annotations

from datetime import date

import pytest
from textual.widgets import DataTable

from tracker.domain.models import Status
from tracker.store import Store
from tracker.ui.app import TrackerApp
from tracker.ui.screens.due import DueScreen, unfinished_label
from tracker.ui.screens.main import MainScreen
from tracker.ui.screens.matrix import MatrixScreen, short_names
from tracker.ui.screens.overview import OverviewScreen
from tracker.ui.widgets.progress_table import ProgressTable

USER = "张三"
TODAY = date(2023, 8, 25)


def seed_reports(store: Store) -> str:
    """Two units report on 1.1.1; returns the plan's id."""
    store.today_override = TODAY
    plan_id = store.plans()[0].id
    first = store.item_by_outline(plan_id, "1.1.1")
    store.set_status(first.id, Status.DONE, USER, unit="区发改局")
    store.save_notes(first.id, "已部署", USER, unit="区经信局")
    return plan_id


def unit_id(store: Store, name: str) -> str:
    unit = store.unit(name)
    assert unit is not None
    return unit.id


# ---------------------------------------------------------------------- store
def test_matrix_has_each_units_own_status(store: Store) -> None:
    plan_id = seed_reports(store)
    first = store.item_by_outline(plan_id, "1.1.1")
    matrix = store.report_matrix(plan_id, first.category_id)
    assert [i.outline for i in matrix.items][:3] == ["1.1.1", "1.1.2", "1.1.3"]
    assert [u.name for u in matrix.units][:3] == ["区发改局", "区经信局", "区自然资源局"]
    cells = matrix.items[0].cells
    assert set(cells) == {unit_id(store, n) for n in ("区发改局", "区经信局", "区自然资源局")}
    fgj, jxj, zrzy = (cells[unit_id(store, n)] for n in ("区发改局", "区经信局", "区自然资源局"))
    assert (fgj.status, fgj.reported) == (Status.DONE, True)
    assert (jxj.status, jxj.reported) == (Status.NOT_STARTED, True)
    assert (zrzy.status, zrzy.reported) == (Status.NOT_STARTED, False)
    assert matrix.items[0].reported == 2
    assert matrix.items[0].status is Status.IN_PROGRESS  # the roll-up

    counts = matrix.unit_counts()
    # Units that have reported nothing come first; the two that reported come last.
    assert {c.name for c in counts[-2:]} == {"区发改局", "区经信局"}
    assert all(c.reported == 0 for c in counts[:-2])
    fgj_counts = next(c for c in counts if c.name == "区发改局")
    assert fgj_counts.by_status[Status.DONE] == 1
    assert fgj_counts.unreported == fgj_counts.total - 1
    whole = store.report_matrix(plan_id)
    assert len(whole.items) == 47 and len(whole.units) == 39


def test_by_unit_figures_count_own_reports(store: Store) -> None:
    plan_id = seed_reports(store)
    units = {u.name: u for u in store.units(plan_id)}
    # 区发改局's own 已完成 counts for it, not for 区经信局 or 区自然资源局.
    assert units["区发改局"].progress.done == 1
    assert units["区经信局"].progress.done == 0
    assert units["区自然资源局"].progress.done == 0
    # The office's verdict is no unit's report.
    second = store.item_by_outline(plan_id, "1.1.2")
    store.set_status(second.id, Status.DONE, USER)
    assert store.item(second.id).status is Status.DONE
    units = {u.name: u for u in store.units(plan_id)}
    assert units["区发改局"].progress.done == 1
    # Each concrete unit's figures are those it reads as itself (ItemFilter.as_unit).
    from tracker.store import ItemFilter

    for name in ("区发改局", "区经信局", "区司法局"):
        own = store.plan(plan_id, ItemFilter(unit_id=units[name].id, as_unit=True)).progress
        assert units[name].progress.by_status == own.by_status
        assert units[name].progress.overdue == own.overdue


def test_unfinished_units_of_overdue_items(store: Store) -> None:
    plan_id = seed_reports(store)
    late = store.item_by_outline(plan_id, "4.1.1")
    first = store.item_by_outline(plan_id, "1.1.1")
    found = store.unfinished_units([late.id, first.id])
    assert [u.name for u in found[late.id]] == ["区经信局", "区政府信息公开管理中心"]
    assert [u.name for u in found[first.id]] == ["区经信局", "区自然资源局"]
    store.set_status(late.id, Status.DONE, USER, unit="区经信局")
    assert [u.name for u in store.unfinished_units([late.id])[late.id]] == [
        "区政府信息公开管理中心"
    ]


def test_labels() -> None:
    assert unfinished_label([], 10).plain == ""
    assert unfinished_label(["区发改局", "区经信局", "区商务局"], 30).plain == (
        "区发改局、区经信局、区商务局"
    )
    assert unfinished_label(["区发改局", "区经信局", "区商务局"], 25).plain == (
        "区发改局、区经信局等 1 个"
    )
    assert unfinished_label(["区发改局", "区经信局", "区商务局"], 10).plain == "3 个单位"
    assert short_names(["区发改局", "城关镇"]) == ["发改局", "城关镇"]


# ---------------------------------------------------------------------- the app
async def open_matrix(pilot, store: Store) -> MatrixScreen:
    await pilot.press("b")  # the tree opens on the first category
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, MatrixScreen)
    return screen


@pytest.mark.slow
async def test_matrix_shows_who_reported_and_opens_the_item(store: Store) -> None:
    plan_id = seed_reports(store)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_matrix(pilot, store)
        table = screen.query_one("#matrix-items", DataTable)
        first = store.item_by_outline(plan_id, "1.1.1")
        row = [cell.plain for cell in table.get_row(first.id)]
        assert row[1] == "2/3"
        marks = dict(zip([str(c.key.value) for c in table.ordered_columns], row, strict=True))
        assert marks[unit_id(store, "区发改局")] == "●"  # 已完成
        assert marks[unit_id(store, "区经信局")] == "○"  # notes only
        assert marks[unit_id(store, "区自然资源局")] == "·"  # not reported
        assert marks[unit_id(store, "区商务局")] == ""  # not responsible
        assert "未填报" in str(screen.query_one("#matrix-legend").render())

        # Units × statuses: a unit that never reported comes first.
        await pilot.press("v")
        units = screen.query_one("#matrix-units", ProgressTable)
        assert units.has_focus
        keys = units.row_keys()
        assert keys[0] not in {unit_id(store, "区发改局"), unit_id(store, "区经信局")}
        assert set(keys[-2:]) == {unit_id(store, "区发改局"), unit_id(store, "区经信局")}
        await pilot.press("v")

        # Enter on a cell opens that item in the tree.
        table.move_cursor(row=table.get_row_index(first.id), column=3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.screen.query_one("#plan-tree").cursor_node.data.id == first.id


@pytest.mark.slow
async def test_matrix_key_returns_to_the_tree(store: Store) -> None:
    seed_reports(store)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_matrix(pilot, store)
        assert screen.category_id is not None
        await pilot.press("a")  # the whole plan
        assert screen.category_id is None
        assert screen.query_one("#matrix-items", DataTable).row_count == 47
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


@pytest.mark.slow
async def test_due_list_and_overview_name_overdue_units(store: Store) -> None:
    plan_id = seed_reports(store)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(160, 50)) as pilot:
        due = DueScreen(store, plan_id)
        await app.push_screen(due)
        await pilot.pause()
        await pilot.pause()
        table = due.query_one("#due-table", DataTable)
        late = store.item_by_outline(plan_id, "4.1.1")
        row = [cell.plain for cell in table.get_row(late.id)]
        assert row[-1] == "区经信局、区政府信息公开管理中心"
        await pilot.press("escape")

        overview = OverviewScreen(store, plan_id)
        await app.push_screen(overview)
        await pilot.pause()
        rows = {
            row[0]: row[1]
            for row in (
                [
                    cell.plain
                    for cell in overview.query_one("#overdue-table", ProgressTable).get_row(k)
                ]
                for k in overview.query_one("#overdue-table", ProgressTable).row_keys()
            )
        }
        # 4.1.1 and 3.2.1 (through 区政府工作部门) for 区经信局 and 区政府信息公开管理中心:
        # two; 3.2.1 for the other 37 departments.
        assert rows["区经信局"] == "2" and rows["区发改局"] == "1"
        assert list(rows)[:2] == ["区经信局", "区政府信息公开管理中心"]
        assert len(rows) == 39


@pytest.mark.slow
@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_matrix_snapshot(snap_compare, store: Store, size: tuple[int, int]) -> None:
    seed_reports(store)
    assert snap_compare(TrackerApp(store, USER), press=["b"], terminal_size=size)
